"""Seal imprint (印模) analysis: find, measure and judge the red seal in a photo; extract it.

Public entry points: :func:`check_frame` (scale from kiosk.toml or from the capture mat),
:func:`analyse` (a frame at a known scale), :func:`extract_seal`, :func:`load_image`,
:class:`RuleTable`.
"""

from __future__ import annotations

import time

import numpy as np

from hardware.seal.analysis import REASONS, SealAnalysis, Thresholds, analyse, redness
from hardware.seal.image import load_image
from hardware.seal.mat import MatSpec, find_mat
from hardware.seal.rules import RuleTable, SealRule
from kiosk.errors import SealError

__all__ = [
    "REASONS",
    "MatSpec",
    "RuleTable",
    "SealAnalysis",
    "SealRule",
    "Thresholds",
    "analyse",
    "check_frame",
    "load_image",
    "prepare_frame",
    "redness",
]

MAT_PX_PER_MM = 8.0


def prepare_frame(
    frame: np.ndarray, px_per_mm: float | None, mat: MatSpec | None = None
) -> tuple[np.ndarray, float, str]:
    """Choose the frame to analyse and its scale.

    With the capture mat's markers in view, the frame is warped top-down at ``MAT_PX_PER_MM``
    (markers win over a fixed scale: they also correct perspective). Otherwise the fixed
    ``px_per_mm`` is used.

    Returns:
        (frame to analyse, px per mm, "markers" or "fixed").

    Raises:
        SealError: ``seal.no_scale`` when there are neither markers nor a fixed scale.
    """
    view = find_mat(frame, mat, MAT_PX_PER_MM)
    if view is not None:
        return view.image, view.px_per_mm, "markers"
    if px_per_mm is None:
        raise SealError(
            "no scale: the capture mat's markers are not in view and no px_per_mm is set "
            "(run `kiosk camera calibrate` or pass --px-per-mm)",
            code="seal.no_scale",
        )
    return frame, px_per_mm, "fixed"


def check_frame(
    frame: np.ndarray,
    px_per_mm: float | None,
    rule: SealRule | None = None,
    *,
    mat: MatSpec | None = None,
    thresholds: Thresholds | None = None,
) -> tuple[SealAnalysis, np.ndarray]:
    """Analyse a camera frame or photo: scale (markers or fixed), measure, judge.

    Returns:
        The analysis (``elapsed_ms`` includes the marker search) and the frame it was measured
        on (warped top-down when the mat was used), for extraction.
    """
    t0 = time.perf_counter()
    img, ppm, source = prepare_frame(frame, px_per_mm, mat)
    res = analyse(img, ppm, rule, thresholds, scale_source=source)
    res.elapsed_ms = round((time.perf_counter() - t0) * 1000, 2)
    return res, img
