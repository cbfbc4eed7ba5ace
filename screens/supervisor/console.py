"""The supervisor console: the counter's day, read-only, refreshed every few seconds.

Five views on one screen (keys 1-5): today's visits; unfinished and failed visits with the
failure in words; money by payment method (the day report the clerk's close uses: X until the
day is closed, then the stored Z); USB key stock and key states; the outbox and the hub link, and
the devices as the kiosk last recorded them. Nothing here changes a record or opens a device.

A thread worker reads a :class:`~kiosk.console.model.Snapshot` every ``refresh_s`` seconds (and
on F5) and posts it back; the tables are redrawn from the last snapshot, also when F2 switches
the language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable

from kiosk.console.model import Snapshot, Supervisor, VisitLine
from kiosk.domain.types import Kind, Service
from kiosk.errors import KioskError
from screens.dayclose import METHOD_KEYS, fen_to_yuan
from screens.host import current_lang
from screens.i18n import Bi, Lang, t
from screens.staff import error_bi, literal_bi
from screens.supervisor.base import ConsoleBase, console_host, port
from screens.visit_errors import error_text
from screens.widgets.text import LangButton, LangText, follow_language

TABS = {
    "visits": "console.tab_visits",
    "unfinished": "console.tab_unfinished",
    "money": "console.tab_money",
    "keys": "console.tab_keys",
    "status": "console.tab_status",
}
VISIT_STATES = {
    "open": "console.state_open",
    "done": "console.state_done",
    "failed": "console.state_failed",
    "voided": "console.state_voided",
}
PAYMENT_STATES = {
    "paid": "console.pay_paid",
    "pending": "console.pay_pending",
    "cancelled": "console.pay_cancelled",
    "refunded": "console.pay_refunded",
}
KEY_STOCK = (
    ("opening", "console.key_opening"),
    ("received", "console.key_received"),
    ("issued", "console.key_issued"),
    ("spoiled", "console.key_spoiled"),
    ("adjusted", "console.key_adjusted"),
    ("expected_closing", "console.key_expected"),
)
VISIT_COLUMNS = (
    "console.col_order",
    "console.col_opened",
    "console.col_service",
    "console.col_program",
    "console.col_kind",
    "console.col_state",
    "console.col_step",
    "console.col_amount",
    "console.col_payment",
    "console.col_training",
)
UNFINISHED_COLUMNS = (
    "console.col_order",
    "console.col_opened",
    "console.col_updated",
    "console.col_service",
    "console.col_state",
    "console.col_step",
    "console.col_failure",
)
MONEY_COLUMNS = (
    "console.col_method",
    "console.col_paid_n",
    "console.col_paid",
    "console.col_refund_n",
    "console.col_refunded",
    "console.col_adjusted",
    "console.col_expected",
)
DEVICE_COLUMNS = (
    "console.col_device",
    "console.col_state",
    "console.col_reason",
    "console.col_since",
)
_EMPTY = Bi("", "")


def service_name(value: str, lang: Lang) -> str:
    """A service's name at the counter (the raw value for one this code does not know)."""
    try:
        s = Service(value)
    except ValueError:
        return value
    return s.zh if lang == "zh-CN" else s.en


def kind_name(value: str | None, lang: Lang) -> str:
    """A certificate kind's name."""
    if not value:
        return "-"
    try:
        k = Kind(value)
    except ValueError:
        return value
    return k.zh if lang == "zh-CN" else k.en


def _key_or(key: str, fallback: str, lang: Lang) -> str:
    try:
        return t(key, lang)
    except KeyError:
        return fallback


def failure_words(v: VisitLine) -> Bi:
    """Why a visit stopped, in words with the next step (the visit screen's own wording)."""
    if v.failure_code:
        return error_text(v.failure_code, v.failure_reason or "").format()
    return Bi(t("console.failure_none", "zh-CN"), t("console.failure_none", "en"))


class ConsoleScreen(ConsoleBase):
    """主管监控台 Supervisor console."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('visits')", show=False),
        Binding("2", "tab('unfinished')", show=False),
        Binding("3", "tab('money')", show=False),
        Binding("4", "tab('keys')", show=False),
        Binding("5", "tab('status')", show=False),
        Binding("f5", "refresh", show=False),
        Binding("f10", "sign_out", show=False),
    ]

    class SnapshotRead(Message):
        """A fresh read of the counter's records arrived."""

        def __init__(self, snapshot: Snapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    class ReadFailed(Message):
        """The read was refused (session over) or the store could not be read."""

        def __init__(self, error: KioskError, screen: ConsoleScreen) -> None:
            super().__init__()
            self.error = error
            self.screen = screen

    class SignOutRequested(Message):
        """The supervisor signs out (the app ends the session and shows the sign-in)."""

    def __init__(self, who: Supervisor, *, refresh_s: float = 5.0) -> None:
        super().__init__(name="console")
        self.who = who
        self.refresh_s = refresh_s
        self.snapshot: Snapshot | None = None
        self.reads = 0  # snapshots shown (tests wait on it)
        self.ended = False  # the session shown here is over (the sign-in replaces this screen)
        self._program_names: dict[str, Bi] = {}

    # -- layout --------------------------------------------------------------------------------

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="console-top"):
            yield LangText(
                "console.who",
                values={"name": self.who.name, "staff_no": self.who.staff_no},
                id="console-who",
            )
            yield LangText("console.loading", id="console-updated")
            yield LangButton("console.sign_out", id="console-sign-out", classes="console-small")
        yield LangText("console.loading", id="console-summary")
        with Horizontal(id="console-tabs"):
            for i, (name, key) in enumerate(TABS.items()):
                yield LangButton(
                    key,
                    id=f"tab-{name}",
                    classes="console-tab" + (" -active" if i == 0 else ""),
                )
        yield LangText(_EMPTY, id="console-error", classes="notice")
        with ContentSwitcher(initial="pane-visits", id="console-panes"):
            with Vertical(id="pane-visits"):
                yield DataTable(id="visits-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="pane-unfinished"):
                yield DataTable(id="unfinished-table", cursor_type="row", zebra_stripes=True)
                yield LangText("console.unfinished_hint", id="unfinished-detail", classes="hint")
            with VerticalScroll(id="pane-money"):
                yield LangText(_EMPTY, id="money-report", classes="heading")
                yield DataTable(id="money-table", cursor_type="none", zebra_stripes=True)
                yield LangText(_EMPTY, id="money-in-flight", classes="hint")
            with VerticalScroll(id="pane-keys"):
                yield DataTable(id="keys-table", cursor_type="none", zebra_stripes=True)
                yield LangText(_EMPTY, id="keys-waiting", classes="hint")
            with VerticalScroll(id="pane-status"):
                yield LangText(_EMPTY, id="sync-line")
                yield LangText(_EMPTY, id="sync-error")
                yield LangText(_EMPTY, id="devices-at", classes="hint")
                yield DataTable(id="devices-table", cursor_type="none", zebra_stripes=True)

    def on_mount(self) -> None:
        self.error_text = self.query_one("#console-error", LangText)
        self.error_text.display = False
        for program in console_host(self).settings.programs:
            self._program_names[program.id] = Bi(program.name_zh, program.name_en)
        follow_language(self, lambda _lang: self._redraw())
        self.action_refresh()
        self.set_interval(self.refresh_s, self.action_refresh)

    # -- actions -------------------------------------------------------------------------------

    def action_tab(self, name: str) -> None:
        """Show one of the five views."""
        self.query_one("#console-panes", ContentSwitcher).current = f"pane-{name}"
        for other in TABS:
            self.query_one(f"#tab-{other}", LangButton).set_class(other == name, "-active")

    def action_refresh(self) -> None:
        """Read the counter's records again (in a thread worker)."""
        self._read()

    def action_sign_out(self) -> None:
        """F10 / the sign-out button."""
        self.post_message(self.SignOutRequested())

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button.startswith("tab-"):
            self.action_tab(button.removeprefix("tab-"))
        elif button == "console-sign-out":
            self.action_sign_out()

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-read")
    def _read(self) -> None:
        try:
            snap = port(self).snapshot()
        except KioskError as e:
            self.post_message(self.ReadFailed(e, self))
        else:
            self.post_message(self.SnapshotRead(snap))

    def on_console_screen_snapshot_read(self, message: SnapshotRead) -> None:
        self.snapshot = message.snapshot
        self.error_text.display = False
        self._redraw()
        self.reads += 1

    def on_console_screen_read_failed(self, message: ReadFailed) -> None:
        # The app handles the end of a session; a store error stays on screen until a read works.
        if message.error.code.startswith("staff."):
            return
        err = error_bi(message.error)
        self.error_text.set_text(
            literal_bi(
                t("console.read_failed", "zh-CN", error=err.zh.replace("\n", " ")),
                t("console.read_failed", "en", error=err.en),
            )
        )
        self.error_text.display = True

    # -- drawing -------------------------------------------------------------------------------

    def _redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        lang = current_lang(self)
        r = snap.report
        self.query_one("#console-updated", LangText).set_text(
            "console.updated",
            {"day": snap.day.isoformat(), "at": snap.taken_at, "n": f"{self.refresh_s:g}"},
        )
        self.query_one("#console-summary", LangText).set_text(
            "console.summary",
            {
                "total": len(snap.visits),
                "done": sum(1 for v in snap.visits if v.state == "done"),
                "open": sum(1 for v in snap.visits if v.state == "open"),
                "failed": sum(1 for v in snap.visits if v.state == "failed"),
                "expected": fen_to_yuan(r["totals"]["expected_fen"]),
                "pending": snap.sync.pending,
                "quarantined": snap.sync.quarantined,
            },
        )
        self._draw_visits(lang, snap)
        self._draw_unfinished(lang, snap)
        self._draw_money(lang, snap)
        self._draw_keys(lang, snap)
        self._draw_status(lang, snap)

    def _program(self, pid: str | None, lang: Lang) -> str:
        if not pid:
            return "-"
        name = self._program_names.get(pid)
        return name.get(lang) if name else pid

    def _state(self, v: VisitLine, lang: Lang) -> str:
        key = VISIT_STATES.get(v.state)
        return t(key, lang) if key else v.state

    def _step(self, v: VisitLine, lang: Lang) -> str:
        if v.step is None:
            return t("console.step_done", lang)
        name = _key_or(f"visit.step_{v.step}", v.step, lang)
        return f"{v.done_steps}/{v.planned_steps} {name}"

    def _payment(self, v: VisitLine, lang: Lang) -> str:
        if v.payment_state is None:
            return t("console.pay_free", lang) if v.total_fen == 0 else "-"
        method = METHOD_KEYS.get(v.payment_method or "")
        key = PAYMENT_STATES.get(v.payment_state)
        state = t(key, lang) if key else v.payment_state
        return f"{t(method, lang) if method else (v.payment_method or '')} {state}".strip()

    @staticmethod
    def _table(table_id: str, owner: Widget, columns: list[str]) -> DataTable[Any]:
        table: DataTable[Any] = owner.query_one(f"#{table_id}", DataTable)
        table.clear(columns=True)
        table.add_columns(*columns)
        return table

    def _draw_visits(self, lang: Lang, snap: Snapshot) -> None:
        cols = VISIT_COLUMNS
        table = self._table("visits-table", self, [t(c, lang) for c in cols])
        for v in snap.visits:
            table.add_row(
                v.order,
                v.opened,
                service_name(v.service, lang),
                self._program(v.program, lang),
                kind_name(v.kind, lang),
                self._state(v, lang),
                self._step(v, lang),
                fen_to_yuan(v.total_fen),
                self._payment(v, lang),
                t("console.yes", lang) if v.training else "",
                key=v.order,
            )
        if not snap.visits:
            table.add_row(t("console.no_visits", lang), *[""] * (len(cols) - 1))

    def _draw_unfinished(self, lang: Lang, snap: Snapshot) -> None:
        cols = UNFINISHED_COLUMNS
        table = self._table("unfinished-table", self, [t(c, lang) for c in cols])
        for v in snap.unfinished:
            words = failure_words(v).get(lang)
            table.add_row(
                v.order,
                v.opened,
                v.updated,
                service_name(v.service, lang),
                self._state(v, lang),
                self._step(v, lang),
                words if len(words) <= 40 else words[:39] + "…",
                key=v.order,
            )
        if not snap.unfinished:
            table.add_row(t("console.no_unfinished", lang), *[""] * (len(cols) - 1))
            self.query_one("#unfinished-detail", LangText).set_text("console.unfinished_hint")
        else:
            self._show_failure(snap.unfinished[min(table.cursor_row, len(snap.unfinished) - 1)])

    def _show_failure(self, v: VisitLine) -> None:
        words = failure_words(v)
        self.query_one("#unfinished-detail", LangText).set_text(
            literal_bi(f"{v.order}：{words.zh}", f"{v.order}: {words.en}")
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "unfinished-table" or self.snapshot is None:
            return
        key = event.row_key.value if event.row_key is not None else None
        for v in self.snapshot.unfinished:
            if v.order == key:
                self._show_failure(v)
                break

    def _draw_money(self, lang: Lang, snap: Snapshot) -> None:
        r = snap.report
        self.query_one("#money-report", LangText).set_text(
            "console.report_z" if r["report"] == "Z" else "console.report_x",
            {"day": r["business_date"]},
        )
        table = self._table("money-table", self, [t(c, lang) for c in MONEY_COLUMNS])
        for m in r["methods"]:
            key = METHOD_KEYS.get(m["method"])
            table.add_row(
                t(key, lang) if key else m["method"],
                str(m["payments"]),
                fen_to_yuan(m["paid_fen"]),
                str(m["refunds"]),
                fen_to_yuan(m["refunded_fen"]),
                fen_to_yuan(m["adjusted_fen"]),
                fen_to_yuan(m["expected_fen"]),
            )
        tot = r["totals"]
        table.add_row(
            t("console.total", lang),
            str(sum(m["payments"] for m in r["methods"])),
            fen_to_yuan(tot["paid_fen"]),
            str(sum(m["refunds"] for m in r["methods"])),
            fen_to_yuan(tot["refunded_fen"]),
            fen_to_yuan(tot["adjusted_fen"]),
            fen_to_yuan(tot["expected_fen"]),
        )
        flight = r.get("in_flight") or {"visits": [], "payments": []}
        self.query_one("#money-in-flight", LangText).set_text(
            "console.in_flight",
            {"visits": len(flight["visits"]), "payments": len(flight["payments"])},
        )

    def _draw_keys(self, lang: Lang, snap: Snapshot) -> None:
        table = self._table(
            "keys-table", self, [t("console.col_item", lang), t("console.col_count", lang)]
        )
        stock = snap.keys.stock
        if stock is None:
            table.add_row(t("console.key_no_stock", lang), "")
        else:
            for item, key in KEY_STOCK:
                table.add_row(t(key, lang), str(stock[item]))
        for state, n in snap.keys.states.items():
            table.add_row(t("console.key_state", lang, state=state), str(n))
        self.query_one("#keys-waiting", LangText).set_text(
            "console.key_waiting", {"n": snap.keys.waiting}
        )

    def _draw_status(self, lang: Lang, snap: Snapshot) -> None:
        s = snap.sync
        online = {True: "hub.online", False: "hub.offline", None: "hub.unknown"}[s.online]
        self.query_one("#sync-line", LangText).set_text(
            literal_bi(
                t(
                    "console.sync_line",
                    "zh-CN",
                    online=t(online, "zh-CN"),
                    pending=s.pending,
                    quarantined=s.quarantined,
                    last=s.last_success or t("console.never", "zh-CN"),
                ),
                t(
                    "console.sync_line",
                    "en",
                    online=t(online, "en"),
                    pending=s.pending,
                    quarantined=s.quarantined,
                    last=s.last_success or t("console.never", "en"),
                ),
            )
        )
        err = self.query_one("#sync-error", LangText)
        err.display = bool(s.last_error)
        if s.last_error:
            err.set_text(
                literal_bi(
                    t("console.sync_error", "zh-CN", error=s.last_error),
                    t("console.sync_error", "en", error=s.last_error),
                )
            )
        at = self.query_one("#devices-at", LangText)
        if not snap.devices:
            at.set_text("console.devices_never")
        elif snap.devices_stale:
            at.set_text("console.devices_stale", {"age": snap.devices_age_s})
        else:
            at.set_text(
                "console.devices_at", {"at": snap.devices_checked, "age": snap.devices_age_s}
            )
        table = self._table("devices-table", self, [t(c, lang) for c in DEVICE_COLUMNS])
        for d in snap.devices:
            table.add_row(
                _key_or(f"device.{d.device}", d.device, lang),
                _key_or(f"state.{d.state}", d.state, lang),
                d.reason_zh if lang == "zh-CN" else d.reason_en,
                d.since,
            )
