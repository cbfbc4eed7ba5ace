"""Staff screen: the outbox queue, quarantined events (retry, export) and keys waiting for their
certificates (数据同步). It reads everything through a ``SyncDesk``-shaped object in thread workers,
so a slow disk or a busy database never blocks the screen."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label
from textual.worker import Worker, WorkerState

from kiosk.domain.clock import format_local, from_storage
from screens.widgets.sync_status import SyncIndicator, describe

#: What staff should do with a key, by the request's state (zh-CN first, English after).
KEY_ACTIONS = {
    "waiting": "保留密钥，后台联机后自动申请证书 · keep the key: requested when online",
    "ready": "请插入密钥：证书已到 · insert the key: its certificate has arrived",
    "installed": "待领取，核对经办人身份证 · ready for pickup against the agent's ID card",
    "failed": "后台拒绝申请，请主管处理 · refused by the back office: call a supervisor",
}
KEY_STATES = {"waiting": "等待证书", "ready": "证书已到", "installed": "待领取", "failed": "失败"}


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


class SyncScreen(Screen[None]):
    """The queue, the quarantine and the keys waiting, refreshed every few seconds."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "刷新 Refresh"),
        Binding("escape", "app.pop_screen", "返回 Back"),
    ]
    DEFAULT_CSS = """
    SyncScreen DataTable { height: 1fr; }
    SyncScreen .title { text-style: bold; padding: 1 0 0 0; }
    SyncScreen Horizontal { height: auto; }
    """

    class Loaded(Message):
        """The desk's data arrived from the worker."""

        def __init__(self, data: dict[str, Any]):
            super().__init__()
            self.data = data

    class Done(Message):
        """A retry or export finished; ``text`` says what happened."""

        def __init__(self, text: str, error: bool = False):
            super().__init__()
            self.text = text
            self.error = error

    def __init__(self, desk: SyncDeskPort, *, refresh_every: float = 3.0):
        super().__init__()
        self.desk = desk
        self.refresh_every = refresh_every

    def compose(self) -> ComposeResult:
        with Vertical():
            yield SyncIndicator(describe(None), id="indicator")
            yield Label("", id="last-success")
            yield Label("待发送队列 Queue", classes="title")
            yield DataTable(id="pending", cursor_type="row")
            yield Label("已隔离事件 Quarantined (rejected by the back office)", classes="title")
            with Horizontal():
                yield Button("重试所选 Retry selected", id="retry-one")
                yield Button("全部重试 Retry all", id="retry-all")
                yield Button("导出 Export", id="export")
            yield DataTable(id="quarantined", cursor_type="row")
            yield Label("待取证书的密钥 Keys waiting for certificates", classes="title")
            yield DataTable(id="keys", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pending", DataTable).add_columns(
            "序号 #", "业务 Visit", "事件 Kind", "时间 Time", "尝试 Tries", "原因 Last error"
        )
        self.query_one("#quarantined", DataTable).add_columns(
            "序号 #", "业务 Visit", "事件 Kind", "时间 Time", "原因 Reason"
        )
        self.query_one("#keys", DataTable).add_columns(
            "受理号 Order", "密钥 Key", "状态 State", "处理 What to do"
        )
        self.action_refresh()
        self.set_interval(self.refresh_every, self.action_refresh)

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
        data = message.data
        self.query_one(SyncIndicator).show(data["status"])
        self.query_one("#last-success", Label).update(
            f"最近成功 Last success: {_local(data['status'].last_success)}"
        )
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
            keys.add_row(
                k["order_no"],
                k["token_serial"] or "—",
                KEY_STATES.get(k["state"], k["state"]),
                KEY_ACTIONS.get(k["state"], k["action"]),
                key=k["request_id"],
            )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "retry-all":
            self._retry(None)
        elif event.button.id == "retry-one":
            table = self.query_one("#quarantined", DataTable)
            if table.row_count == 0:
                self.notify("没有已隔离事件 · Nothing is quarantined")
                return
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self._retry([str(row_key.value)])
        elif event.button.id == "export":
            self._export()

    @work(thread=True, group="sync-act", exit_on_error=False)
    def _retry(self, ids: list[str] | None) -> None:
        n = self.desk.retry(ids)
        self.post_message(self.Done(f"已重新排队 {n} 条 · {n} event(s) back in the queue"))

    @work(thread=True, group="sync-act", exit_on_error=False)
    def _export(self) -> None:
        path, n = self.desk.export_quarantined()
        self.post_message(self.Done(f"已导出 {n} 条 · exported {n} event(s) to {path}"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # One place for the workers' failures: say what happened, keep the screen usable.
        if event.state is WorkerState.ERROR:
            err = event.worker.error
            text = getattr(err, "message", None) or f"{type(err).__name__}: {err}"
            self.notify(f"同步数据读取失败 · {text}", severity="error")

    def on_sync_screen_done(self, message: Done) -> None:
        self.notify(message.text, severity="error" if message.error else "information")
        self.action_refresh()
