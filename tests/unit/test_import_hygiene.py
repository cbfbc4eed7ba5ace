"""Layers hold by tooling: headless modules never pull in Textual (STYLE.md #1)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import data
import hardware
import hub
import kiosk.domain

HEADLESS_PACKAGES = [kiosk.domain, hardware, data, hub]


def _modules() -> list[str]:
    names = []
    for pkg in HEADLESS_PACKAGES:
        names.append(pkg.__name__)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
            names.append(info.name)
    return names


@pytest.mark.parametrize("module", _modules())
def test_headless_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; sys.exit(1 if 'textual' in sys.modules else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{module} imports textual (or failed): {proc.stderr[-500:]}"
