"""The layers hold by tooling: the import-linter contracts in pyproject.toml, and no import circle.

``lint-imports`` checks the contracts (the kiosk's layers, the hub's distance, Textual only in the
screens and the shell, …). grimp, the graph import-linter is built on, finds every circle among
the project's modules: any strongly connected set of two or more modules fails, with one circle
through it spelled out import by import (with line numbers). Imports under ``TYPE_CHECKING``
count: a circle in the types is a circle in the design.
"""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
import tomllib
from collections import deque
from itertools import pairwise
from pathlib import Path

import grimp

import kiosk

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("kiosk", "hardware", "screens", "data", "hub")

# Imports that still close a circle, each waiting for work in flight on issue 14 (named). The
# test removes them before looking for circles, and fails once one of them is gone, so this list
# only shrinks: delete the line when its import is gone.
PENDING_CYCLE_EDGES: dict[tuple[str, str], str] = {}


def _pyproject() -> dict:  # type: ignore[type-arg]
    with (REPO / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a dev dependency (make venv installs it)"
    proc = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


def test_every_kiosk_package_has_a_layer() -> None:
    """A new package under kiosk/ must be placed in the layers contract (else nothing checks it)."""
    contracts = _pyproject()["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    named = {m.strip() for layer in layers["layers"] for m in layer.replace(":", "|").split("|")}
    found = {f"kiosk.{m.name}" for m in pkgutil.iter_modules(kiosk.__path__)} - {"kiosk.__main__"}
    assert not found - named, f"not in the layers contract: {sorted(found - named)}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _shortest_cycle(graph: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    """The shortest circle from ``start`` back to it, staying inside one component."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v] & within):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"{start} is in a component but on no circle")


def test_no_import_cycles() -> None:
    grimp_graph = grimp.build_graph(*ROOTS)
    stale = [
        f"{a} -> {b}"
        for a, b in PENDING_CYCLE_EDGES
        if not grimp_graph.direct_import_exists(importer=a, imported=b)
    ]
    assert not stale, f"delete from PENDING_CYCLE_EDGES (the import is gone): {stale}"
    for a, b in PENDING_CYCLE_EDGES:
        grimp_graph.remove_import(importer=a, imported=b)
    graph = {m: set(grimp_graph.find_modules_directly_imported_by(m)) for m in grimp_graph.modules}

    def line(a: str, b: str) -> str:
        details = grimp_graph.get_import_details(importer=a, imported=b)
        lines = sorted({d["line_number"] for d in details})
        return f"{b} (l.{', '.join(map(str, lines))})"

    circles = []
    for component in _strongly_connected(graph):
        cycle = _shortest_cycle(graph, component[0], set(component))
        steps = " -> ".join(line(a, b) for a, b in pairwise(cycle))
        circles.append(f"{len(component)} modules [{', '.join(component)}]: {cycle[0]} -> {steps}")
    assert not circles, "import circles:\n" + "\n".join(circles)
