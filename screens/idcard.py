"""The agent's ID card: "请将身份证放在读卡区", the reader's state, the result or the error.

The screen never touches the reader. It is given a :class:`CardDevice` (the app's wiring around
``hardware.idcard``): on mount it asks the device to start posting the messages below to the
screen, on unmount to stop. When a valid card was read and confirmed (or staff entered the agent
by hand) the screen posts :class:`AgentIdentified`, which bubbles to the app.

Staff manual entry (no reader works): the button opens :class:`ManualEntryScreen` once
``staff_mode`` is on (staff signed in); the form is checked through the injected
:class:`ManualEntryPort` with the same rules as a card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Select

from kiosk.errors import KioskError
from screens.base import KioskScreen
from screens.host import current_lang
from screens.i18n import Bi, Lang, bi, t
from screens.widgets.text import LangButton, LangText, follow_language


class CardHolder(Protocol):
    """What the screen needs of a validated card record (the reader's record satisfies it)."""

    @property
    def name(self) -> str: ...
    @property
    def id_number(self) -> str: ...
    @property
    def valid_from(self) -> dt.date: ...
    @property
    def valid_to(self) -> dt.date | None: ...


class CardDevice(Protocol):
    """The reader as the screen sees it: start and stop posting messages."""

    def start(self, post: Callable[[Message], object]) -> None:
        """Start watching the reader; ``post`` is called from a thread with each message."""

    def stop(self) -> None:
        """Stop watching (may block briefly: called from a thread worker)."""


class ManualEntryPort(Protocol):
    """The application's side of the manual-entry form.

    Attributes:
        nations: nation code -> name as printed on the card (for the form's choice list).
    """

    nations: Mapping[str, str]

    def validate(self, form: Mapping[str, str]) -> CardHolder:
        """Check the form with the card rules; raise a KioskError (with ``code``) if invalid.

        The form's keys: ``name``, ``id_number``, ``sex`` (``"1"``/``"2"``), ``nation`` (code),
        ``valid_from`` (YYYY-MM-DD), ``valid_to`` (YYYY-MM-DD or ``长期``).
        """
        ...


# -- messages the device posts (past events) ---------------------------------------------------


class ReaderReady(Message):
    """The reader is connected and waiting for a card."""

    def __init__(self, description: str = "") -> None:
        super().__init__()
        self.description = description


class ReaderUnavailable(Message):
    """No reader works (no reader, pcscd down, unplugged); the device keeps retrying."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__()
        self.code = code
        self.message = message


class CardPlaced(Message):
    """A card arrived on the reader; reading has started."""


class CardRead(Message):
    """The card was read and passed validation."""

    def __init__(self, holder: CardHolder) -> None:
        super().__init__()
        self.holder = holder


class CardFailed(Message):
    """Reading or validating the card failed (a named error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__()
        self.code = code
        self.message = message


class CardTakenAway(Message):
    """The card left the reader."""


class AgentIdentified(Message):
    """Posted by the screen: the agent is identified (``source``: ``"card"`` or ``"manual"``)."""

    def __init__(self, holder: CardHolder, source: str) -> None:
        super().__init__()
        self.holder = holder
        self.source = source


# -- words ------------------------------------------------------------------------------------

#: Error codes with their own words in the catalogue (the key is the code); others get
#: ``idcard.error``.
KNOWN_ERRORS: tuple[str, ...] = (
    "idcard.no_reader",
    "idcard.pcsc_unavailable",
    "idcard.reader_lost",
    "idcard.no_card",
    "idcard.card_removed",
    "idcard.not_id_card",
    "idcard.unsupported_card_type",
    "idcard.bad_response",
    "idcard.corrupt_record",
    "idcard.bad_id_number",
    "idcard.bad_check_char",
    "idcard.birth_mismatch",
    "idcard.sex_mismatch",
    "idcard.unknown_sex",
    "idcard.unknown_nation",
    "idcard.expired",
    "idcard.not_yet_valid",
    "idcard.sam_frame",
    "idcard.sam_timeout",
    "idcard.sam_status",
    "idcard.manual_incomplete",
)


def error_words(code: str) -> Bi:
    """What happened and what to do next, in both languages, for an error code."""
    return bi(code if code in KNOWN_ERRORS else "idcard.error")


def mask_id(number: str) -> str:
    """First 6 and last 4 characters shown (the same rule as on paper)."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def result_text(holder: CardHolder) -> Bi:
    """Name, masked number and validity (``2019.03.01 - 2039.03.01`` or ``… - 长期``)."""
    values = {
        "name": holder.name,
        "number": mask_id(holder.id_number),
        "start": holder.valid_from.strftime("%Y.%m.%d"),
        "end": "" if holder.valid_to is None else holder.valid_to.strftime("%Y.%m.%d"),
    }
    key = "idcard.result_long_term" if holder.valid_to is None else "idcard.result"
    return bi(key).format(**values)


class IdCardScreen(KioskScreen):
    """Identify the agent by their resident ID card.

    Args:
        device: the reader's wiring (None: the screen only shows what is posted to it).
        manual: the manual-entry port (None hides the staff button).
    """

    DEFAULT_CSS = """
    #idcard-panel { width: 76; height: auto; margin: 0 0 0 20; padding: 1 2;
                    border: round $primary; }
    #idcard-reader { color: $text-muted; height: auto; }
    #idcard-result { margin: 1 0 0 0; height: auto; text-style: bold; }
    #idcard-error { color: $error; height: auto; margin: 1 0 0 0; }
    """

    #: ``waiting`` (no reader yet), ``ready``, ``reading``, ``read``, ``failed``, ``unavailable``.
    state: reactive[str] = reactive("waiting")
    #: Staff signed in: the manual-entry button works.
    staff_mode: reactive[bool] = reactive(False)

    def __init__(
        self, device: CardDevice | None = None, manual: ManualEntryPort | None = None
    ) -> None:
        super().__init__(name="idcard")
        self.device = device
        self.manual = manual
        self.holder: CardHolder | None = None
        self.error_code: str | None = None

    def compose_body(self) -> Iterable[Widget]:
        yield LangText("idcard.heading", id="heading", classes="heading")
        with Vertical(id="idcard-panel"):
            yield LangText("idcard.connecting", id="idcard-reader")
            yield LangText(Bi("", ""), id="idcard-result")
            yield LangText(Bi("", ""), id="idcard-error")
        with Horizontal(id="nav"):
            yield LangButton("nav.back", id="back", classes="nav")
            yield LangButton(
                "idcard.confirm", id="idcard-confirm", classes="nav", variant="success",
                disabled=True,
            )  # fmt: skip
            if self.manual is not None:
                yield LangButton("idcard.manual", id="idcard-manual", classes="nav", disabled=True)

    def on_mount(self) -> None:
        self.watch_staff_mode(self.staff_mode)
        if self.device is not None:
            self.device.start(self.post_message)

    def on_unmount(self) -> None:
        if self.device is not None:
            # Stopping joins the monitor thread: never on the event loop.
            self.app.run_worker(self.device.stop, thread=True, group="idcard-stop")

    # -- device messages --------------------------------------------------------------------
    def on_reader_ready(self, _message: ReaderReady) -> None:
        self.state = "ready"
        self._reader("idcard.ready")

    def on_reader_unavailable(self, message: ReaderUnavailable) -> None:
        self.state = "unavailable"
        self._reader("idcard.unavailable")
        self._error(message.code)

    def on_card_placed(self, _message: CardPlaced) -> None:
        self.state = "reading"
        self._reader("idcard.reading")
        self._error(None)
        self._show(None)

    def on_card_read(self, message: CardRead) -> None:
        self.state = "read"
        self._reader("idcard.read")
        self._show(message.holder)

    def on_card_failed(self, message: CardFailed) -> None:
        self.state = "failed"
        self._reader("idcard.failed")
        self._show(None)
        self._error(message.code)

    def on_card_taken_away(self, _message: CardTakenAway) -> None:
        self._reader("idcard.taken_away")

    # -- view -------------------------------------------------------------------------------
    def _reader(self, key: str) -> None:
        self.query_one("#idcard-reader", LangText).set_text(key)

    def _error(self, code: str | None) -> None:
        self.error_code = code
        words = Bi("", "") if code is None else error_words(code)
        self.query_one("#idcard-error", LangText).set_text(words)

    def _show(self, holder: CardHolder | None) -> None:
        self.holder = holder
        text = Bi("", "") if holder is None else result_text(holder)
        self.query_one("#idcard-result", LangText).set_text(text)
        self.query_one("#idcard-confirm", LangButton).disabled = holder is None

    def watch_staff_mode(self, staff: bool) -> None:
        if self.manual is not None and self.is_mounted:
            self.query_one("#idcard-manual", LangButton).disabled = not staff

    # -- actions ----------------------------------------------------------------------------
    @on(LangButton.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()

    @on(LangButton.Pressed, "#idcard-confirm")
    def _confirm(self) -> None:
        if self.holder is not None:
            self.post_message(AgentIdentified(self.holder, "card"))

    @on(LangButton.Pressed, "#idcard-manual")
    def _manual(self) -> None:
        if self.manual is None or not self.staff_mode:
            return

        def done(holder: CardHolder | None) -> None:
            if holder is not None:
                self.state = "read"
                self._reader("idcard.manual_done")
                self._error(None)
                self._show(holder)
                self.post_message(AgentIdentified(holder, "manual"))

        self.app.push_screen(ManualEntryScreen(self.manual), done)


class ManualEntryScreen(ModalScreen["CardHolder | None"]):
    """Staff enter the agent by hand; the same validation as a card read."""

    DEFAULT_CSS = """
    ManualEntryScreen { align: center middle; }
    #manual-form { width: 72; height: auto; border: thick $warning; padding: 0 2;
                   background: $surface; }
    #manual-form Input, #manual-form Select { margin: 0; }
    #manual-error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    _PLACEHOLDERS: ClassVar[dict[str, str]] = {
        "#manual-name": "idcard.form_name",
        "#manual-id": "idcard.form_number",
        "#manual-from": "idcard.form_from",
        "#manual-to": "idcard.form_to",
    }

    def __init__(self, port: ManualEntryPort) -> None:
        super().__init__()
        self.port = port
        self.error_code: str | None = None

    def compose(self) -> ComposeResult:
        lang = current_lang(self)
        with Vertical(id="manual-form"):
            yield LangText("idcard.form_heading", classes="heading")
            yield Input(id="manual-name", max_length=15)
            yield Input(id="manual-id", max_length=18, restrict=r"[0-9Xx]*")
            yield Select(
                [(t("idcard.form_male", lang), "1"), (t("idcard.form_female", lang), "2")],
                prompt=t("idcard.form_sex", lang),
                id="manual-sex",
            )
            yield Select(
                [(f"{name} ({code})", code) for code, name in self.port.nations.items()],
                prompt=t("idcard.form_nation", lang),
                id="manual-nation",
            )
            yield Input(id="manual-from", max_length=10)
            yield Input(id="manual-to", max_length=10)
            yield LangText(Bi("", ""), id="manual-error")
            with Horizontal(id="nav"):
                yield LangButton("idcard.form_save", id="manual-save", variant="primary")
                yield LangButton("nav.back", id="manual-cancel")

    def on_mount(self) -> None:
        self._relabel(current_lang(self))
        follow_language(self, self._relabel)
        self.query_one("#manual-name", Input).focus()

    def _relabel(self, lang: Lang) -> None:
        for selector, key in self._PLACEHOLDERS.items():
            self.query_one(selector, Input).placeholder = t(key, lang)

    def form(self) -> dict[str, str]:
        """The form's current values."""

        def sel(widget_id: str) -> str:
            value = self.query_one(widget_id, Select).value
            return value if isinstance(value, str) else ""

        return {
            "name": self.query_one("#manual-name", Input).value.strip(),
            "id_number": self.query_one("#manual-id", Input).value.strip().upper(),
            "sex": sel("#manual-sex"),
            "nation": sel("#manual-nation"),
            "valid_from": self.query_one("#manual-from", Input).value.strip(),
            "valid_to": self.query_one("#manual-to", Input).value.strip(),
        }

    @on(LangButton.Pressed, "#manual-save")
    def save(self) -> None:
        """Validate; dismiss with the holder, or show the error in words."""
        try:
            holder = self.port.validate(self.form())
        except KioskError as e:
            self.error_code = e.code
            self.query_one("#manual-error", LangText).set_text(error_words(e.code))
            return
        self.dismiss(holder)

    @on(LangButton.Pressed, "#manual-cancel")
    def action_cancel(self) -> None:
        """Close without an agent."""
        self.dismiss(None)
