"""The welcome screen: one tile per service the counter offers."""

from __future__ import annotations

from collections.abc import Iterable

from textual.message import Message
from textual.widget import Widget

from kiosk.domain.types import Service
from screens.base import KioskScreen
from screens.host import host
from screens.i18n import Bi, bi
from screens.widgets.text import LangText
from screens.widgets.tile import ChoiceTile, TileGrid


class WelcomeScreen(KioskScreen):
    """Where every visit starts and every idle visit returns.

    Args:
        services: the services to offer, in order (default: all ten).
    """

    HINTS = ("keys.language", "keys.staff")

    class ServiceChosen(Message):
        """The applicant chose a service."""

        def __init__(self, service: Service) -> None:
            super().__init__()
            self.service = service

    def __init__(self, services: Iterable[Service] = tuple(Service)) -> None:
        super().__init__(name="welcome")
        self._services = tuple(services)

    def compose_body(self) -> Iterable[Widget]:
        yield LangText("welcome.heading", id="heading", classes="heading")
        yield LangText("welcome.hint", id="hint", classes="hint")
        yield TileGrid(
            *(
                ChoiceTile(s, Bi(s.zh, s.en), id=f"service-{s.value}", classes="service-tile")
                for s in self._services
            ),
            columns=5,
            id="services",
        )
        counter = host(self).settings.counter
        where = bi("welcome.where")
        yield LangText(
            Bi(
                where.zh.format(address=counter.address_zh, hotline=counter.hotline),
                where.en.format(address=counter.address_en, hotline=counter.hotline),
            ),
            id="where",
            classes="hint",
        )

    def on_mount(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Ready for the next applicant: the first tile has the focus, not the last one's."""
        self.set_focus(self.query_one(ChoiceTile))

    def on_choice_tile_chosen(self, event: ChoiceTile.Chosen) -> None:
        event.stop()
        self.post_message(self.ServiceChosen(event.value))

    def action_back(self) -> None:
        """Nowhere to go back to from the start."""
