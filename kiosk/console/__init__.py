"""The supervisor console's side of the store: read-only views of the day and the devices."""
