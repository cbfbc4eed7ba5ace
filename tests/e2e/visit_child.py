"""A ``kiosk`` process that dies with SIGKILL once a named step is journalled done (kill -9
tests), the way a power cut would; the product has no switch for it.

Usage: python -m tests.e2e.visit_child [--after-step STEP] [--after-key-step STEP] -- ARGS...

``ARGS`` are the ``kiosk`` command line (``visit run FILE --training …``). ``--after-step``
names a visit step (``identify``, ``pay``, ``keys`` …): the process kills itself when that step's
run returns with it journalled done. ``--after-key-step`` names a key job's step (``enc_fetch``,
``write_cert`` …): the key service's ``after_step`` hook kills it once that step is journalled.
Both hooks are installed here, from the test side, before the command runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _after_visit_step(target: str) -> None:
    from kiosk.visits.engine import VisitFlow

    real = VisitFlow.run_step

    def run_step(self: VisitFlow, step: str, inputs: dict[str, Any] | None = None) -> Any:
        detail = real(self, step, inputs)
        if target in self.done():
            _die()
        return detail

    VisitFlow.run_step = run_step  # type: ignore[method-assign]


def _after_key_step(target: str) -> None:
    from kiosk.shell import builder

    real = builder.build_key_service

    def build_key_service(*args: Any, **kwargs: Any) -> Any:
        service = real(*args, **kwargs)

        def after(_order_no: str, step: str) -> None:
            if step == target:
                _die()

        service.after_step = after
        return service

    builder.build_key_service = build_key_service


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.visit_child")
    parser.add_argument("--after-step")
    parser.add_argument("--after-key-step")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args()
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    if ns.after_step:
        _after_visit_step(ns.after_step)
    if ns.after_key_step:
        _after_key_step(ns.after_key_step)
    from kiosk.shell.cli import main as kiosk_main

    return kiosk_main(args)


if __name__ == "__main__":
    sys.exit(main())
