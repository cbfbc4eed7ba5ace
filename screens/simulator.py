"""Training mode's simulator panel (F9): drive the stand-ins the kiosk is running on.

Every button really drives a stand-in through the :class:`SimulatorPort` (the app hands in
``kiosk.shell.training.TrainingRig``): the virtual ID card connects to vpcd, a SoftHSM2 key goes
into
or out of the reader, the camera switches to another sample imprint, the printer stand-in runs
out of paper, the loopback hub stops. The calls run in a thread worker (they touch sockets and
processes); the panel shows what each stand-in holds afterwards, and a refusal in words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Protocol

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Select

from kiosk.errors import KioskError
from screens.base import KioskScreen
from screens.host import current_lang
from screens.i18n import Bi, Lang, bi, t
from screens.widgets.text import LangButton, LangText, follow_language


class SimulatorPort(Protocol):
    """What the panel drives (``kiosk.shell.training.TrainingRig``)."""

    def snapshot(self) -> Any:
        """Each stand-in's state and what it holds (``kiosk.shell.training.SimSnapshot``)."""
        ...

    def sim_place_card(self, person: str) -> str: ...
    def sim_remove_card(self) -> None: ...
    def sim_insert_blank(self) -> None: ...
    def sim_insert_key(self, serial: str) -> None: ...
    def sim_pull_keys(self) -> list[str]: ...
    def sim_imprint(self, name: str) -> str: ...
    def sim_printer(self, state: str) -> str: ...
    def sim_network(self, up: bool) -> bool: ...


def _lit(zh: str, en: str) -> Bi:
    """Finished text in both languages (braces kept literally when LangText formats it)."""
    return Bi(zh.replace("{", "{{").replace("}", "}}"), en.replace("{", "{{").replace("}", "}}"))


_PART_STATES = {
    "starting": "sim.part_starting",
    "ready": "sim.part_ready",
    "stopped": "sim.part_stopped",
    "fault": "sim.part_fault",
}

IMPRINT_NAMES: tuple[str, ...] = (
    "good.jpg",
    "bad_blurred.jpg",
    "bad_incomplete.jpg",
    "bad_two_seals.jpg",
    "bad_faint.jpg",
    "bad_deformed.jpg",
)


class SimulatorScreen(KioskScreen):
    """The panel. F9 or Esc closes it.

    Args:
        port: the training stand-ins.
    """

    HINTS = ("keys.back", "keys.language")
    # Enter on opening places the chosen card (not the list of people, which Enter would open).
    AUTO_FOCUS = "#sim-card-place"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", show=False),
        Binding("f9", "back", show=False),
    ]

    class Acted(Message):
        """A simulator action finished (``error`` None when it worked)."""

        def __init__(self, what: Bi, error: str | None, snapshot: Any) -> None:
            super().__init__()
            self.what = what
            self.error = error
            self.snapshot = snapshot

    def __init__(self, port: SimulatorPort) -> None:
        super().__init__(name="simulator")
        self.port = port
        self._snap: Any = None
        self._lock = threading.Lock()

    def compose_body(self) -> Iterable[Widget]:
        yield LangText("sim.heading", id="heading", classes="heading")
        with VerticalScroll(id="sim-panel"):
            yield LangText("sim.parts", classes="field-label")
            yield LangText(Bi("", ""), id="sim-parts")
            yield LangText(Bi("", ""), id="sim-card-now", classes="field-label")
            with Horizontal(classes="sim-row"):
                yield Select[str]([], id="sim-person", prompt="…", allow_blank=True)
                yield LangButton("sim.card_place", id="sim-card-place")
                yield LangButton("sim.card_remove", id="sim-card-remove")
            yield LangText(Bi("", ""), id="sim-key-now", classes="field-label")
            with Horizontal(classes="sim-row"):
                yield LangButton("sim.key_blank", id="sim-key-blank")
                yield Select[str]([], id="sim-serial", prompt="…", allow_blank=True)
                yield LangButton("sim.key_issued", id="sim-key-issued")
                yield LangButton("sim.key_pull", id="sim-key-pull")
            yield LangText(Bi("", ""), id="sim-imprint-now", classes="field-label")
            with Horizontal(classes="sim-row"):
                yield Select[str](
                    [(n, n) for n in IMPRINT_NAMES], id="sim-imprint", allow_blank=False
                )
                yield LangButton("sim.imprint_use", id="sim-imprint-use")
            yield LangText(Bi("", ""), id="sim-printer-now", classes="field-label")
            with Horizontal(classes="sim-row"):
                yield LangButton("sim.paper_out", id="sim-paper-out")
                yield LangButton("sim.paper_in", id="sim-paper-in")
            yield LangText(Bi("", ""), id="sim-net-now", classes="field-label")
            with Horizontal(classes="sim-row"):
                yield LangButton("sim.net_cut", id="sim-net-cut")
                yield LangButton("sim.net_restore", id="sim-net-restore")
        with Vertical(id="sim-result-box"):
            yield LangText(Bi("", ""), id="sim-result", classes="notice")

    def on_mount(self) -> None:
        self.query_one("#sim-card-place").focus()
        # Each press counts, however quick (a Button ignores presses during its 0.2 s look).
        for button in self.query(LangButton):
            button.active_effect_duration = 0
        follow_language(self, self._render_snapshot)
        self._run(bi("sim.heading"), lambda: None)
        # Stand-ins come up and change on their own (the hub starting, paper state files):
        # refresh what the panel shows every second.
        self.set_interval(1.0, self._refresh)

    def _refresh(self) -> None:
        self._poll()

    @work(thread=True, exclusive=True, group="simulator-poll", exit_on_error=False)
    def _poll(self) -> None:
        # Its own group: an exclusive refresh must never cancel a person's action waiting to run.
        self.post_message(self.Acted(bi("sim.heading"), None, self.port.snapshot()))

    # -- actions -----------------------------------------------------------------------------

    def _choice(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        port = self.port
        bid = event.button.id or ""
        label = event.button._text if isinstance(event.button, LangButton) else Bi(bid, bid)
        actions: dict[str, Callable[[], object]] = {
            "sim-card-remove": port.sim_remove_card,
            "sim-key-blank": port.sim_insert_blank,
            "sim-key-pull": port.sim_pull_keys,
            "sim-paper-out": lambda: port.sim_printer("paper-out"),
            "sim-paper-in": lambda: port.sim_printer("ready"),
            "sim-net-cut": lambda: port.sim_network(False),
            "sim-net-restore": lambda: port.sim_network(True),
        }
        if bid == "sim-card-place":
            person = self._choice("#sim-person")
            if person is None:
                self._say_pick()
                return
            self._run(label, lambda: port.sim_place_card(person))
        elif bid == "sim-key-issued":
            serial = self._choice("#sim-serial")
            if serial is None:
                self._say_pick()
                return
            self._run(label, lambda: port.sim_insert_key(serial))
        elif bid == "sim-imprint-use":
            name = self._choice("#sim-imprint") or IMPRINT_NAMES[0]
            self._run(label, lambda: port.sim_imprint(name))
        elif bid in actions:
            self._run(label, actions[bid])

    def _say_pick(self) -> None:
        self._result(
            _lit(
                t("sim.failed", "zh-CN", error=t("sim.pick", "zh-CN")),
                t("sim.failed", "en", error=t("sim.pick", "en")),
            )
        )

    def _result(self, text: Bi) -> None:
        self.query_one("#sim-result", LangText).set_text(text)

    def _run(self, what: Bi, fn: Callable[[], object]) -> None:
        if what != bi("sim.heading"):
            self._result(bi("sim.working"))
        self._work(what, fn)

    @work(thread=True, group="simulator", exit_on_error=False)
    def _work(self, what: Bi, fn: Callable[[], object]) -> None:
        error = None
        try:
            with self._lock:  # one action at a time, in the order they were pressed
                fn()
        except KioskError as e:
            error = e.message
        self.post_message(self.Acted(what, error, self.port.snapshot()))

    def on_simulator_screen_acted(self, event: SimulatorScreen.Acted) -> None:
        self._snap = event.snapshot
        self._render_snapshot(current_lang(self))
        if event.what == bi("sim.heading"):
            return
        if event.error is None:
            self._result(
                _lit(
                    t("sim.done", "zh-CN", what=event.what.zh),
                    t("sim.done", "en", what=event.what.en),
                )
            )
        else:
            self._result(bi("sim.failed").format(error=event.error))

    # -- showing -----------------------------------------------------------------------------

    def _render_snapshot(self, lang: Lang) -> None:
        snap = self._snap
        if snap is None:
            return

        def both(key: str, **values: Callable[[Lang], object]) -> Bi:
            return _lit(
                t(key, "zh-CN", **{k: v("zh-CN") for k, v in values.items()}),
                t(key, "en", **{k: v("en") for k, v in values.items()}),
            )

        lines_zh, lines_en = [], []
        for name, part in snap.parts.items():
            zh, en = snap.names.get(name, (name, name))
            state = _PART_STATES.get(part.state, "sim.part_fault")
            lines_zh.append(
                t("sim.part_line", "zh-CN", name=zh, state=t(state, "zh-CN"), detail=part.detail)
            )
            lines_en.append(
                t("sim.part_line", "en", name=en, state=t(state, "en"), detail=part.detail)
            )
        self.query_one("#sim-parts", LangText).set_text(
            _lit("\n".join(lines_zh), "\n".join(lines_en))
        )
        names = dict(snap.people)
        self.query_one("#sim-card-now", LangText).set_text(
            both(
                "sim.card_now",
                who=lambda lg: (
                    names.get(snap.card_person, snap.card_person)
                    if snap.card_person
                    else t("sim.nobody", lg)
                ),
            )
        )
        yes_no = {True: "sim.yes", False: "sim.no"}
        self.query_one("#sim-key-now", LangText).set_text(
            both(
                "sim.key_now",
                blank=lambda lg: t(yes_no[snap.blank_in_reader], lg),
                issued=lambda lg: ", ".join(snap.keys_in_reader) or t("sim.nobody", lg),
                left=lambda lg: snap.blanks_left,
                drawer=lambda lg: ", ".join(snap.keys_in_drawer) or t("sim.nobody", lg),
            )
        )
        self.query_one("#sim-imprint-now", LangText).set_text(
            both("sim.imprint_now", name=lambda lg: snap.imprint)
        )
        self.query_one("#sim-printer-now", LangText).set_text(
            both("sim.printer_now", state=lambda lg: snap.printer_state)
        )
        self.query_one("#sim-net-now", LangText).set_text(
            both(
                "sim.net_now",
                state=lambda lg: t("sim.net_up" if snap.network_up else "sim.net_down", lg),
            )
        )
        person = self.query_one("#sim-person", Select)
        if not person.expanded:
            current = person.value
            person.set_options([(f"{name}（{key}）", key) for key, name in snap.people])
            keys = [key for key, _ in snap.people]
            if isinstance(current, str) and current in keys:
                person.value = current
            elif keys:
                # A ready choice, so "place card" works at once (张伟 is the plain sample).
                person.value = "zhang_wei" if "zhang_wei" in keys else keys[0]
        serial = self.query_one("#sim-serial", Select)
        if not serial.expanded:
            serial.set_options([(s, s) for s in snap.keys_in_drawer])
