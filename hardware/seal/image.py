"""Loading a seal photo from a file or bytes, bounded in size, with named errors.

Pillow reads only the header first, so a 100-megapixel image is refused before a pixel is
decoded; a truncated JPEG is refused rather than analysed with a grey bottom half.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from kiosk.errors import SealError

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Analysis works on at most this many pixels; larger photos are shrunk (and px/mm with them).
WORK_LONG_SIDE = 2400


def load_image(source: str | Path | bytes, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an image into a BGR uint8 array.

    Args:
        source: a path or the file's bytes.
        max_pixels: refuse images with more pixels than this (decoding would need ~3 bytes each).

    Returns:
        An (H, W, 3) uint8 BGR array.

    Raises:
        SealError: ``seal.not_found``, ``seal.too_large``, ``seal.not_image``, ``seal.truncated``.
    """
    if isinstance(source, bytes):
        data = source
        name = "<bytes>"
    else:
        p = Path(source)
        name = str(p)
        try:
            size = p.stat().st_size
        except OSError as e:
            raise SealError(
                f"{name}: cannot read the file ({e.strerror})", code="seal.not_found"
            ) from e
        if size > MAX_FILE_BYTES:
            raise SealError(
                f"{name}: file is {size // (1024 * 1024)} MB; at most "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB is accepted",
                code="seal.too_large",
            )
        data = p.read_bytes()
    if not data:
        raise SealError(f"{name}: the file is empty", code="seal.not_image")
    try:
        with warnings.catch_warnings():
            # We refuse large images ourselves, with a clearer message than Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
        with im:
            w, h = im.size
            if w * h > max_pixels:
                raise SealError(
                    f"{name}: {w}×{h} is {w * h / 1e6:.0f} megapixels; at most "
                    f"{max_pixels / 1e6:.0f} are accepted: photograph the imprint at a lower "
                    "resolution",
                    code="seal.too_large",
                )
            im.load()
            rgb = im.convert("RGB")
    except SealError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as e:
        raise SealError(f"{name}: not an image Pillow can read", code="seal.not_image") from e
    except (OSError, SyntaxError, ValueError) as e:
        if "truncated" in str(e) or "broken data stream" in str(e):
            raise SealError(
                f"{name}: the image is truncated (incomplete file); send it again",
                code="seal.truncated",
            ) from e
        raise SealError(f"{name}: cannot decode the image ({e})", code="seal.not_image") from e
    arr = np.asarray(rgb)[:, :, ::-1]
    return np.ascontiguousarray(arr)
