"""Run every ``bench/bench_*.py`` and print one table: each figure beside its baseline.

A benchmark module exposes ``run() -> list[dict]`` with rows
``{"name", "value", "unit", "baseline_name", "baseline_value", "note"}`` (``goal`` optional:
a human-readable target such as "<= 30 ms"). Figures are measured in this run, beside a
baseline measured in the same run, so they hold on a noisy machine. ``python -m bench NAME``
runs only ``bench_NAME``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def _modules(only: list[str]) -> list[str]:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    if only:
        names = [n for n in names if n.removeprefix("bench_") in only or n in only]
    return names


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if value < 100 else f"{value:,.0f}"
    return str(value)


def main(argv: list[str]) -> int:
    """Run the benchmarks named in argv (all when empty); exit 1 if any failed to run."""
    rows: list[dict[str, object]] = []
    failed = 0
    for name in _modules(argv):
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            for row in module.run():
                rows.append({"bench": name.removeprefix("bench_"), **row})
        except Exception:
            failed += 1
            print(f"[{name}] failed:", file=sys.stderr)
            traceback.print_exc()
        print(f"[{name}] {time.perf_counter() - started:.1f} s", file=sys.stderr)
    header = ("bench", "figure", "value", "baseline", "baseline value", "ratio", "goal")
    table = [header]
    for r in rows:
        value, base = r.get("value"), r.get("baseline_value")
        ratio = ""
        if isinstance(value, int | float) and isinstance(base, int | float) and base:
            ratio = f"{value / base:.2f}x"
        unit = str(r.get("unit", ""))
        table.append(
            (
                str(r["bench"]),
                str(r["name"]),
                f"{_fmt(value)} {unit}".strip(),
                str(r.get("baseline_name", "")),
                f"{_fmt(base)} {unit}".strip() if base is not None else "",
                ratio,
                str(r.get("goal", "")),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for r in rows:
        if r.get("note"):
            print(f"note [{r['bench']}] {r['name']}: {r['note']}")
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
