"""Seal analysis time per 1280×720 frame, beside a bare HSV inRange + findContours pass.

Frames come from the labelled generator (tests/sealgen.py): passing and failing imprints mixed.
Each figure is the median over all frames and rounds, measured in-process after a warm-up, with
the baseline measured on the same frames in the same run.
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np

from hardware.seal import RuleTable, analyse, check_frame
from hardware.seal.extract import extract_seal
from tests.sealgen import make_sample

CASES = [
    "good",
    "rotated",
    "contract_text",
    "blurred",
    "missing_sector",
    "stretched",
    "faint",
    "two_seals",
    "scribble_beside",
    "no_star",
    "oversize",
    "blank_form",
]
ROUNDS = 3


def _bare(frame: np.ndarray) -> int:
    hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
    m1 = cv2.inRange(hsv, (0, 70, 50), (10, 255, 255))
    m2 = cv2.inRange(hsv, (170, 70, 50), (180, 255, 255))
    contours, _ = cv2.findContours(
        cv2.bitwise_or(m1, m2), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    return len(contours)


def _median_ms(fn, frames, clock=time.perf_counter) -> float:
    times = []
    for _ in range(ROUNDS):
        for f in frames:
            t0 = clock()
            fn(f)
            times.append((clock() - t0) * 1000)
    return statistics.median(times)


def _cpu_ms(fn, frames) -> float:
    """CPU time of the whole run over the frames (less disturbed by other work on the machine
    than the wall clock; OpenCV's own threads count too)."""
    t0 = time.process_time()
    for _ in range(ROUNDS):
        for f in frames:
            fn(f)
    return (time.process_time() - t0) * 1000 / (ROUNDS * len(frames))


def run() -> list[dict]:
    """Rows for ``python -m bench``."""
    samples = [make_sample(c, 500 + i * 7 + k) for i, c in enumerate(CASES) for k in range(4)]
    frames = [(s.image, s.px_per_mm) for s in samples]
    rule = RuleTable.load().find("enterprise", "official")
    imgs = [f for f, _ in frames]
    for f, ppm in frames[:4]:  # warm-up: OpenCV's first calls allocate
        analyse(f, ppm, rule)
        _bare(f)
    it = iter(frames * ROUNDS)
    bare_ms = _median_ms(_bare, imgs)
    full_ms = _median_ms(lambda _f: analyse(*next(it), rule), imgs)
    bare_cpu = _cpu_ms(_bare, imgs)
    it_cpu = iter(frames * ROUNDS)
    full_cpu = _cpu_ms(lambda _f: analyse(*next(it_cpu), rule), imgs)
    mats = [make_sample("perspective", 900 + k).image for k in range(8)]
    check_frame(mats[0], None, rule)
    mat_ms = _median_ms(lambda f: check_frame(f, None, rule), mats)
    good = [(s.image, s.px_per_mm) for s in samples if s.verdict == "pass"][:6]
    measured = [(f, analyse(f, p, rule)) for f, p in good]
    ext_it = iter(measured * ROUNDS)
    ext_ms = _median_ms(lambda _f: extract_seal(*next(ext_it)), [m[0] for m in measured])
    n = len(frames)
    return [
        {
            "name": "seal analysis per 1280x720 frame (all metrics, fixed scale)",
            "value": round(full_ms, 2),
            "unit": "ms",
            "baseline_name": "bare HSV inRange + findContours",
            "baseline_value": round(bare_ms, 2),
            "goal": "<= 30 ms",
            "note": f"median over {n} generated frames x {ROUNDS} rounds, one thread",
        },
        {
            "name": "seal analysis CPU time per frame (mean)",
            "value": round(full_cpu, 2),
            "unit": "ms",
            "baseline_name": "bare HSV inRange + findContours, CPU",
            "baseline_value": round(bare_cpu, 2),
            "note": "process CPU time, for a machine shared with other work",
        },
        {
            "name": "seal check with the capture mat (ArUco find + warp + analysis)",
            "value": round(mat_ms, 2),
            "unit": "ms",
            "baseline_name": "bare HSV inRange + findContours",
            "baseline_value": round(bare_ms, 2),
            "note": "1280x720 frames of the mat, warped to 1280x800 at 8 px/mm",
        },
        {
            "name": "seal extraction to a 300 dpi RGBA image",
            "value": round(ext_ms, 2),
            "unit": "ms",
            "baseline_name": "bare HSV inRange + findContours",
            "baseline_value": round(bare_ms, 2),
            "note": "",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
