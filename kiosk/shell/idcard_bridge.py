"""Wiring between the ID card reader (``hardware.idcard``) and the screen (``screens.idcard``).

The bridge owns a :class:`~hardware.idcard.CardMonitor` thread and turns its events into the
screen's messages (``post_message`` is thread-safe in Textual). It also implements the screen's
manual-entry port with the card's own validation rules, so a hand-entered agent passes exactly the
checks a card read does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from hardware.idcard import NATIONS, CardEvent, CardMonitor, IdCardReader, validate_record
from hardware.idcard.errors import CorruptRecord
from hardware.idcard.record import CardType, IdCardRecord
from hardware.idcard.validation import check_id_number
from kiosk.errors import UsageError
from screens.idcard import (
    CardFailed,
    CardPlaced,
    CardRead,
    CardTakenAway,
    ReaderReady,
    ReaderUnavailable,
)

Post = Callable[[object], object]


def event_to_message(event: CardEvent, description: str = "") -> object | None:
    """The screen message for a monitor event (None for events the screen does not show)."""
    if event.kind == "ready":
        return ReaderReady(description)
    if event.kind == "placed":
        return CardPlaced()
    if event.kind == "read" and event.record is not None:
        return CardRead(event.record)
    if event.kind == "failed" and event.error is not None:
        return CardFailed(event.error.code, event.error.message)
    if event.kind == "removed":
        return CardTakenAway()
    if event.kind == "reader_error" and event.error is not None:
        return ReaderUnavailable(event.error.code, event.error.message)
    return None


class IdCardBridge:
    """Run the reader's monitor and post its events to ``post`` (a screen's ``post_message``).

    Args:
        reader: the transport.
        post: where messages go; called from the monitor thread.
        today: the counter's date for validation (tests); default today in Asia/Shanghai.
        poll: the monitor's wait slice (seconds).
        retry: pause before reopening a failed reader (seconds).
    """

    def __init__(
        self,
        reader: IdCardReader,
        post: Post,
        *,
        today: Callable[[], dt.date] | None = None,
        poll: float = 0.5,
        retry: float = 2.0,
    ):
        self.reader = reader
        self._post = post
        self.monitor = CardMonitor(reader, self._forward, poll=poll, retry=retry, today=today)

    def _forward(self, event: CardEvent) -> None:
        message = event_to_message(event, self.reader.description)
        if message is not None:
            self._post(message)

    def start(self) -> None:
        """Start watching the reader."""
        self.monitor.start()

    def stop(self) -> None:
        """Stop the monitor thread (joins it)."""
        self.monitor.stop()


class IdCardDevice:
    """The screen's :class:`screens.idcard.CardDevice`: a fresh reader and monitor per screen.

    Args:
        make_reader: builds the configured reader (``kiosk.shell.cli.idcard.reader_from_settings``).
        today: the counter's date for validation (tests); default today in Asia/Shanghai.
        poll: the monitor's wait slice (seconds).
        retry: pause before reopening a failed reader (seconds).
    """

    def __init__(
        self,
        make_reader: Callable[[], IdCardReader],
        *,
        today: Callable[[], dt.date] | None = None,
        poll: float = 0.5,
        retry: float = 2.0,
    ):
        self._make_reader = make_reader
        self._today = today
        self._poll = poll
        self._retry = retry
        self._bridge: IdCardBridge | None = None

    def start(self, post: Post) -> None:
        """Start a monitor posting to ``post`` (a screen's ``post_message``)."""
        self.stop()
        bridge = IdCardBridge(
            self._make_reader(), post, today=self._today, poll=self._poll, retry=self._retry
        )
        bridge.start()
        self._bridge = bridge

    def stop(self) -> None:
        """Stop the monitor (joins its thread)."""
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            bridge.stop()


class ManualEntry:
    """The screen's manual-entry port: the form checked with the card's rules.

    Args:
        today: the counter's date (default today in Asia/Shanghai).
    """

    nations: Mapping[str, str] = NATIONS

    def __init__(self, today: Callable[[], dt.date] | None = None):
        self._today = today

    def validate(self, form: Mapping[str, str]) -> IdCardRecord:
        """Build a record from the form and validate it like a card.

        Raises:
            UsageError: a required field is empty.
            IdCardError: the named card errors (bad check character, expired, …).
        """
        number = form.get("id_number", "").strip().upper()
        # Permits of HK (81), Macau (82) and Taiwan (83) residents carry no nation.
        hmt = number[:2] in ("81", "82", "83")
        required = ["name", "id_number", "sex", "valid_from", "valid_to"] + (
            [] if hmt else ["nation"]
        )
        missing = [k for k in required if not form.get(k, "").strip()]
        if missing:
            raise UsageError(f"Fill in: {', '.join(missing)}.", code="idcard.manual_incomplete")
        birth = check_id_number(number)
        valid_to_text = form["valid_to"].strip()
        try:
            valid_from = dt.date.fromisoformat(form["valid_from"].strip())
            valid_to = (
                None
                if valid_to_text in ("长期", "long-term")
                else dt.date.fromisoformat(valid_to_text)
            )
        except ValueError as e:
            raise CorruptRecord(
                f"Validity dates must be YYYY-MM-DD (or 长期 for the end): {e}."
            ) from e
        record = IdCardRecord(
            name=form["name"].strip(),
            sex=form["sex"],
            nation=form.get("nation", "").strip(),
            birth_date=birth,
            address=form.get("address", "").strip(),
            id_number=number,
            authority=form.get("authority", "").strip(),
            valid_from=valid_from,
            valid_to=valid_to,
            card_type=CardType.HMT_PERMIT if hmt else CardType.RESIDENT_ID,
        )
        return validate_record(record, self._today() if self._today else None)


__all__ = ["IdCardBridge", "IdCardDevice", "ManualEntry", "event_to_message"]
