"""What the seal screen shows and hands on: plain values, no device or OpenCV imports.

Screens import this module (never ``hardware``): the checked frame, the staff override and the
acceptance, and the words for each verdict, zh-CN first with English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# zh-CN first, then English: what each reason means to the person at the counter.
REASON_TEXT: dict[str, tuple[str, str]] = {
    "no_seal": ("未找到印章", "no seal found"),
    "multiple": ("有多个印章，只应有一个", "more than one seal"),
    "blurred": ("图像模糊", "blurred"),
    "incomplete": ("印章不完整（边框缺失）", "incomplete (border missing)"),
    "deformed": ("印章变形", "deformed"),
    "faint": ("印油太淡", "ink too faint"),
    "size": ("尺寸不符合规定", "size not allowed for this unit type"),
    "shape": ("形状或中心五角星不符合规定", "shape or central star not allowed"),
}
BORDERLINE_TEXT: dict[str, tuple[str, str]] = {
    "deformation": ("略有变形", "slightly deformed"),
    "sharpness": ("略有模糊", "slightly soft"),
    "completeness": ("边框略有缺失", "border slightly broken"),
    "ink": ("印油偏淡", "ink on the faint side"),
    "size": ("尺寸接近限值", "size near the limit"),
}


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
        return self.analysis.verdict

    @property
    def needs_staff(self) -> bool:
        """Fail or borderline: only staff, with a reason, may accept it."""
        return self.analysis.verdict != "pass" or self.analysis.borderline


@dataclass(frozen=True)
class SealAcceptance:
    """The accepted imprint: measurements, the clean seal image, and the override if any."""

    check: SealCheck
    seal: Any  # hardware.seal.extract.ExtractedSeal, or None
    override: OverrideRequest | None


def describe(analysis: Any) -> tuple[str, list[str]]:
    """The verdict line and the metric lines, zh-CN first with English, for the screen."""
    if analysis.verdict == "pass":
        head = "合格 PASS" + (
            "（临界，请工作人员确认 borderline: staff to look）" if analysis.borderline else ""
        )
    else:
        words = [f"{REASON_TEXT[r][0]} {REASON_TEXT[r][1]}" for r in analysis.reasons]
        head = "不合格 FAIL: " + "；".join(words)
    lines = []
    if analysis.shape:
        shape_zh = {"round": "圆形", "oval": "椭圆形", "rectangle": "长方形"}[analysis.shape]
        lines.append(f"形状 shape: {shape_zh} {analysis.shape}")
    if analysis.diameter_mm is not None:
        lines.append(f"直径 diameter: {analysis.diameter_mm:.1f} mm")
    elif analysis.axes_mm is not None:
        lines.append(f"长短轴 axes: {analysis.axes_mm[0]:.1f} × {analysis.axes_mm[1]:.1f} mm")
    elif analysis.size_mm is not None:
        lines.append(f"尺寸 size: {analysis.size_mm[0]:.1f} × {analysis.size_mm[1]:.1f} mm")
    if analysis.deformation is not None:
        lines.append(f"变形 axis ratio: {analysis.deformation:.3f}")
    if analysis.edge_width_mm is not None:
        lines.append(f"清晰度 edge: {analysis.edge_width_mm:.2f} mm")
    if analysis.completeness is not None:
        lines.append(
            f"完整度 border: {analysis.completeness:.0%}, 最大缺口 gap {analysis.max_gap_deg:.0f}°"
        )
    if analysis.ink is not None:
        lines.append(f"印油 ink: {analysis.ink:.2f}")
    if analysis.star is not None:
        lines.append(f"五角星 star: {'有 yes' if analysis.star else '无 no'}")
    if analysis.rotation_deg is not None:
        lines.append(f"旋转 rotation: {analysis.rotation_deg:+.0f}°")
    for m in analysis.borderline_metrics:
        zh, en = BORDERLINE_TEXT.get(m, (m, m))
        lines.append(f"临界 borderline: {zh} {en}")
    lines.append(f"印章数 seals: {analysis.count}   用时 {analysis.elapsed_ms:.0f} ms")
    return head, lines
