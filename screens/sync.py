"""Staff screen: sync with the back office (数据同步).

The outbox queue, the events the hub rejected (retry one or all, export them to a file) and the
keys kept at the counter for a certificate (with what staff should do: keep, insert, hand over).
Everything is read through a ``SyncDeskPort`` (``kiosk.sync.desk.SyncDesk``) in thread workers,
so a busy disk never blocks the screen; results come back as messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Protocol

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from kiosk.domain.clock import format_local, from_storage
from screens.base import KioskScreen
from screens.host import current_lang
from screens.i18n import Lang, t
from screens.widgets.text import LangButton, LangText, follow_language

# Literal keys (the catalogue test finds them by name).
KEY_STATE = {
    "waiting": "sync.state_waiting",
    "ready": "sync.state_ready",
    "installed": "sync.state_installed",
    "failed": "sync.state_failed",
}
KEY_ACTION = {
    "waiting": "sync.do_waiting",
    "ready": "sync.do_ready",
    "installed": "sync.do_installed",
    "failed": "sync.do_failed",
}
COLUMNS = {
    "pending": (
        "sync.col_seq",
        "sync.col_visit",
        "sync.col_kind",
        "sync.col_time",
        "sync.col_tries",
        "sync.col_reason",
    ),
    "quarantined": (
        "sync.col_seq",
        "sync.col_visit",
        "sync.col_kind",
        "sync.col_time",
        "sync.col_reason",
    ),
    "keys": ("sync.col_visit", "sync.col_key", "sync.col_state", "sync.col_action"),
}


class SyncDeskPort(Protocol):
    """The calls this screen makes (``kiosk.sync.desk.SyncDesk`` implements them)."""

    def status(self) -> Any: ...
    def pending(self, limit: int = 200) -> list[dict[str, Any]]: ...
    def quarantined(self, limit: int = 200) -> list[dict[str, Any]]: ...
    def keys_waiting(self) -> list[dict[str, Any]]: ...
    def retry(self, event_ids: list[str] | None = None) -> int: ...
    def export_quarantined(self) -> tuple[Any, int]: ...


def _local(stamp: str | None) -> str:
    if not stamp:
        return "—"
    try:
        return format_local(from_storage(stamp), seconds=True)
    except Exception:  # a malformed stamp from an old build is shown as stored
        return stamp


class SyncScreen(KioskScreen):
    """The queue, the quarantine and the keys waiting, refreshed every few seconds."""

    HINTS = ("keys.back", "keys.language")
    BINDINGS: ClassVar[list[BindingType]] = [
        *KioskScreen.BINDINGS,
        Binding("r", "refresh", show=False),
    ]

    class Loaded(Message):
        """The desk's data arrived from the worker."""

        def __init__(self, data: dict[str, Any]):
            super().__init__()
            self.data = data

    class Done(Message):
        """A retry or export finished."""

        def __init__(self, key: str, values: dict[str, object]):
            super().__init__()
            self.key = key
            self.values = values

    def __init__(self, desk: SyncDeskPort, *, refresh_every: float = 3.0):
        super().__init__(name="sync")
        self.desk = desk
        self.refresh_every = refresh_every
        self._data: dict[str, Any] | None = None

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="sync-body"):
            yield LangText("sync.heading", id="heading", classes="heading")
            yield LangText("sync.summary", id="summary", values=self._summary_values("zh-CN"))
            yield LangText("sync.queue", classes="field-label")
            yield DataTable(id="pending", cursor_type="row")
            yield LangText("sync.quarantine", classes="field-label")
            with Horizontal(id="sync-actions"):
                yield LangButton("sync.retry_one", id="retry-one")
                yield LangButton("sync.retry_all", id="retry-all")
                yield LangButton("sync.export", id="export")
            yield DataTable(id="quarantined", cursor_type="row")
            yield LangText("sync.keys", classes="field-label")
            yield DataTable(id="keys", cursor_type="row")

    def on_mount(self) -> None:
        self._columns(current_lang(self))
        follow_language(self, self._relabel)
        self.action_refresh()
        self.set_interval(self.refresh_every, self.action_refresh)

    def _columns(self, lang: Lang) -> None:
        for table_id, keys in COLUMNS.items():
            table = self.query_one(f"#{table_id}", DataTable)
            table.clear(columns=True)
            table.add_columns(*(t(k, lang) for k in keys))

    def _relabel(self, lang: Lang) -> None:
        self._columns(lang)
        if self._data is not None:
            self._show(self._data)

    def action_refresh(self) -> None:
        """Reload from the desk in a thread worker."""
        self._load()

    @work(thread=True, exclusive=True, group="sync-load", exit_on_error=False)
    def _load(self) -> None:
        data = {
            "status": self.desk.status(),
            "pending": self.desk.pending(),
            "quarantined": self.desk.quarantined(),
            "keys": self.desk.keys_waiting(),
        }
        self.post_message(self.Loaded(data))

    def on_sync_screen_loaded(self, message: Loaded) -> None:
        self._data = message.data
        self._show(message.data)

    def _summary_values(self, lang: Lang) -> dict[str, object]:
        st = self._data["status"] if self._data else None
        if st is None:
            return {"online": "…", "pending": "…", "quarantined": "…", "last": "…"}
        word = {True: "hub.online", False: "hub.offline", None: "hub.unknown"}[st.online]
        return {
            "online": t(word, lang),
            "pending": st.pending,
            "quarantined": st.quarantined,
            "last": _local(st.last_success) if st.last_success else t("sync.never", lang),
        }

    def _show(self, data: dict[str, Any]) -> None:
        lang = current_lang(self)
        self.query_one("#summary", LangText).set_text("sync.summary", self._summary_values(lang))
        pending = self.query_one("#pending", DataTable)
        pending.clear()
        for e in data["pending"]:
            pending.add_row(
                str(e["seq"]),
                e["visit_id"] or "—",
                e["kind"],
                _local(e["created_at"]),
                str(e["attempts"]),
                (e["last_error"] or "")[:60],
                key=e["event_id"],
            )
        quarantined = self.query_one("#quarantined", DataTable)
        quarantined.clear()
        for e in data["quarantined"]:
            quarantined.add_row(
                str(e["seq"]),
                e["visit_id"] or "—",
                e["kind"],
                _local(e["created_at"]),
                (e["last_error"] or "")[:80],
                key=e["event_id"],
            )
        keys = self.query_one("#keys", DataTable)
        keys.clear()
        for k in data["keys"]:
            state = k["state"]
            keys.add_row(
                k["order_no"],
                k["token_serial"] or "—",
                t(KEY_STATE[state], lang) if state in KEY_STATE else state,
                t(KEY_ACTION[state], lang) if state in KEY_ACTION else k["action"],
                key=k["request_id"],
            )

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "retry-all":
            self._retry(None)
        elif event.button.id == "retry-one":
            table = self.query_one("#quarantined", DataTable)
            if table.row_count == 0:
                self.notify(t("sync.nothing", current_lang(self)))
                return
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self._retry([str(row_key.value)])
        elif event.button.id == "export":
            self._export()

    @work(thread=True, group="sync-act", exit_on_error=False)
    def _retry(self, ids: list[str] | None) -> None:
        n = self.desk.retry(ids)
        self.post_message(self.Done("sync.retried", {"n": n}))

    @work(thread=True, group="sync-act", exit_on_error=False)
    def _export(self) -> None:
        path, n = self.desk.export_quarantined()
        self.post_message(self.Done("sync.exported", {"n": n, "path": path}))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # One place for the workers' failures: say what happened, keep the screen usable.
        if event.state is WorkerState.ERROR:
            err = event.worker.error
            text = getattr(err, "message", None) or f"{type(err).__name__}: {err}"
            self.notify(t("sync.failed", current_lang(self), error=text), severity="error")

    def on_sync_screen_done(self, message: Done) -> None:
        self.notify(t(message.key, current_lang(self), **message.values))
        self.action_refresh()
