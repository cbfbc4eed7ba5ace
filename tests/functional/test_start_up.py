"""The kiosk draws the welcome screen first and builds its services in a worker afterwards.

``run_app`` passes ``build``; these tests drive the same path with a build that waits for the
test, so what happens before and after the services arrive is seen in order.
"""

from __future__ import annotations

import threading

from kiosk.config import Settings
from kiosk.domain.clock import SettableClock
from kiosk.errors import StoreError
from kiosk.shell.app import KioskApp, starting_services
from kiosk.shell.services import Services
from screens.staff import StaffSignInScreen
from screens.welcome import WelcomeScreen
from tests.functional.support import FROZEN_UTC, FixedStatus, wait_for


def _services() -> Services:
    return Services(
        status=FixedStatus(), training=True, clock=SettableClock(FROZEN_UTC), status_interval_s=60.0
    )


async def test_welcome_first_then_services_and_a_key_pressed_meanwhile_waits(
    settings: Settings,
) -> None:
    release = threading.Event()
    built = _services()
    closed: list[bool] = []
    built.close = lambda: closed.append(True)  # type: ignore[method-assign]

    def build() -> Services:
        assert release.wait(10), "the test never released the build"
        return built

    app = KioskApp(settings, starting_services(training=True), build=build)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert not app.services_ready
        assert app.status is None  # the status bar says every part is being checked
        assert app.has_simulator  # training: F9 is offered from the first frame
        await pilot.press("f12")
        await pilot.pause(0.1)
        assert isinstance(app.screen, WelcomeScreen)  # waits for the staff area
        release.set()
        await wait_for(pilot, lambda: app.services_ready)
        assert app.services is built
        await wait_for(pilot, lambda: isinstance(app.screen, StaffSignInScreen))
        await wait_for(pilot, lambda: app.status is not None)  # polled once they are in
    app.close_services()
    assert closed == [True]


async def test_a_build_that_fails_ends_the_app_with_its_error(settings: Settings) -> None:
    def build() -> Services:
        raise StoreError("cannot open the local store", code="store.open")

    app = KioskApp(settings, starting_services(training=False), build=build)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.start_error is not None)
        await wait_for(pilot, lambda: app.return_value == 1)
    assert isinstance(app.start_error, StoreError)
