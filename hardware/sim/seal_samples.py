"""Sample seal imprints for training mode and tests (made by tests/sealgen.py).

``IMPRINTS_DIR`` holds stills at ``SAMPLE_PX_PER_MM`` (``good.jpg``, ``bad_*.jpg``, and
``good_mat.jpg`` on the capture mat) and ``session.mp4``, a short camera video the training mode
plays through cv2.VideoCapture as the seal camera.
"""

from __future__ import annotations

from pathlib import Path

IMPRINTS_DIR = Path(__file__).with_name("imprints")
SAMPLE_PX_PER_MM = 7.5
# session.mp4 is the stills shrunk to 960×540.
VIDEO_PX_PER_MM = SAMPLE_PX_PER_MM * 0.75


def training_video() -> Path:
    """The camera stand-in video for training mode."""
    return IMPRINTS_DIR / "session.mp4"


def sample(name: str) -> Path:
    """A sample still by file name (``good.jpg``, ``bad_blurred.jpg`` …)."""
    p = IMPRINTS_DIR / name
    if not p.is_file():
        known = sorted(x.name for x in IMPRINTS_DIR.glob("*.jpg"))
        raise FileNotFoundError(f"no sample imprint {name!r}; known: {', '.join(known)}")
    return p
