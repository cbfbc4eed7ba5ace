"""What the seal screen shows and hands on: plain values, no device or OpenCV imports.

Screens import this module (never ``hardware``): the checked frame, the staff override and the
acceptance. The words for them are the screen's (screens/i18n.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StaffUser:
    """A signed-in member of staff (from the staff area's session)."""

    staff_no: str
    name: str
    role: str = "operator"


@dataclass(frozen=True)
class OverrideRequest:
    """Staff accept an imprint the check did not pass cleanly; the staff area records it."""

    staff_no: str
    reason: str
    verdict: str
    reasons: tuple[str, ...]
    borderline_metrics: tuple[str, ...]
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SealCheck:
    """One analysed frame."""

    seq: int
    analysis: Any  # hardware.seal.SealAnalysis
    image: np.ndarray  # the frame the analysis measured (warped top-down with the mat)

    @property
    def verdict(self) -> str:
        """``pass`` or ``fail``."""
        return str(self.analysis.verdict)

    @property
    def needs_staff(self) -> bool:
        """Fail or borderline: only staff, with a reason, may accept it."""
        return bool(self.analysis.verdict != "pass" or self.analysis.borderline)


@dataclass(frozen=True)
class SealAcceptance:
    """The accepted imprint: measurements, the clean seal image, and the override if any."""

    check: SealCheck
    seal: Any  # hardware.seal.extract.ExtractedSeal, or None
    override: OverrideRequest | None
