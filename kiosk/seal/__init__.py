"""The seal station: the camera, the imprint check, and what the seal screen shows."""
