"""The kiosk app built on injected stand-ins: a fixed status, a frozen clock, no host config."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk.config import Settings, default_config_text, parse_settings
from kiosk.domain.clock import SettableClock
from kiosk.shell.app import KioskApp
from kiosk.shell.services import Checklist, Services, domain_checklist
from kiosk.status import StatusSource
from tests.functional.support import FROZEN_UTC, FixedStatus


@pytest.fixture(autouse=True)
def _no_host_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # The machine's own kiosk.toml or KIOSK_* variables must not leak into screen tests.
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return parse_settings(default_config_text(), "<embedded kiosk.toml>")


MakeApp = Callable[..., KioskApp]


@pytest.fixture
def make_app(settings: Settings) -> MakeApp:
    def make(
        *,
        status: StatusSource | None = None,
        idle_timeout_s: float | None = None,
        training: bool = True,
        checklist: Checklist = domain_checklist,
        settings_: Settings | None = None,
        staff: object | None = None,
    ) -> KioskApp:
        services = Services(
            status=status or FixedStatus(),
            training=training,
            clock=SettableClock(FROZEN_UTC),
            checklist=checklist,
            status_interval_s=60.0,
            staff=staff,
        )
        return KioskApp(settings_ or settings, services, idle_timeout_s=idle_timeout_s)

    return make
