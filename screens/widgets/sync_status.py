"""The status bar's link indicator: online/offline and queue depth (在线/离线 · 待发送)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


def describe(status: Any) -> str:
    """One line for the status bar from a ``SyncStatus``-shaped object."""
    if status is None:
        return "后台 Back office: …"
    online = {True: "在线 online", False: "离线 offline", None: "未知 unknown"}[status.online]
    text = f"后台 {online} · 待发送 {status.pending} pending"
    if status.quarantined:
        text += f" · 已隔离 {status.quarantined} quarantined"
    if status.keys_waiting:
        text += f" · 待证书密钥 {status.keys_waiting} keys"
    return text


class SyncIndicator(Static):
    """Shows the last status it was given (the app polls ``StatusReader`` in a thread worker
    and calls :meth:`show` with the result)."""

    DEFAULT_CSS = """
    SyncIndicator { width: auto; padding: 0 1; }
    SyncIndicator.offline { background: $warning; color: $text; }
    SyncIndicator.quarantine { background: $error; color: $text; }
    """

    def show(self, status: Any) -> None:
        """Display a status (online/offline, pending, quarantined, keys waiting)."""
        self.update(describe(status))
        self.set_class(status is not None and status.online is False, "offline")
        self.set_class(status is not None and status.quarantined > 0, "quarantine")
