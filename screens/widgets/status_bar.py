"""The status bar at the foot of every screen: devices, the back office, the counter, the time.

It only shows what the app's status poll last reported (``app.status``, filled by a thread
worker); it never asks a device itself.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widget import Widget
from textual.widgets import Static

from kiosk.status import CounterState, Device, DeviceStatus, HubStatus, KioskStatus
from screens.host import current_lang, host
from screens.i18n import Lang, t
from screens.widgets.text import follow_language

_STATES = ("-ready", "-missing", "-fault", "-unknown")


def _cell(widget: Static, state: str, line1: str, line2: str) -> None:
    widget.remove_class(*_STATES)
    widget.add_class(f"-{state}")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(line1, style="bold")
    text.append("\n")
    text.append(line2 or " ", style="dim")
    widget.update(text)


class StatusBar(Widget):
    """Each device's state, the hub link and queue, whether the counter is open, the time."""

    def compose(self) -> ComposeResult:
        with Grid(id="status-grid"):
            for device in Device:
                yield Static(
                    id=f"status-{device.value}", classes="status-cell device", markup=False
                )
            yield Static(id="status-hub", classes="status-cell", markup=False)
            yield Static(id="status-counter", classes="status-cell", markup=False)
            yield Static(id="status-clock", classes="status-cell", markup=False)

    def on_mount(self) -> None:
        self._show()
        follow_language(self, lambda _lang: self._show())
        if hasattr(self.app, "status"):
            self.watch(self.app, "status", lambda _status: self._show(), init=False)
        self.set_interval(1.0, self._show_clock)

    def _show(self) -> None:
        lang = current_lang(self)
        status: KioskStatus | None = getattr(self.app, "status", None)
        if status is None:
            checking = t("status.checking", lang)
            for device in Device:
                name = t(f"device.{device.value}", lang)
                _cell(self._static(f"status-{device.value}"), "unknown", name, checking)
            _cell(self._static("status-hub"), "unknown", t("hub.label", lang), checking)
            _cell(self._static("status-counter"), "unknown", t("counter.label", lang), checking)
        else:
            for d in status.devices:
                self._show_device(d, lang)
            self._show_hub(status.hub, lang)
            self._show_counter(status.counter, lang)
        self._show_clock()

    def _static(self, id_: str) -> Static:
        return self.query_one(f"#{id_}", Static)

    def _show_device(self, d: DeviceStatus, lang: Lang) -> None:
        line1 = f"{t(f'device.{d.device.value}', lang)}  {t(f'state.{d.state.value}', lang)}"
        reason = d.reason_zh if lang == "zh-CN" else d.reason_en
        _cell(self._static(f"status-{d.device.value}"), d.state.value, line1, reason)

    def _show_hub(self, hub: HubStatus, lang: Lang) -> None:
        if hub.online is None:
            state, word = "unknown", t("hub.unknown", lang)
        elif hub.online:
            state, word = "ready", t("hub.online", lang)
        else:
            state, word = "missing", t("hub.offline", lang)
        line1 = f"{t('hub.label', lang)}  {word}"
        if hub.queue_depth is not None:
            line1 += f" · {t('hub.queue', lang, n=hub.queue_depth)}"
        reason = hub.reason_zh if lang == "zh-CN" else hub.reason_en
        _cell(self._static("status-hub"), state, line1, reason)

    def _show_counter(self, c: CounterState, lang: Lang) -> None:
        if c.open is None:
            state, word = "unknown", t("counter.unknown", lang)
        elif c.open:
            state, word = "ready", t("counter.open", lang)
        else:
            state, word = "missing", t("counter.closed", lang)
        reason = c.reason_zh if lang == "zh-CN" else c.reason_en
        _cell(self._static("status-counter"), state, f"{t('counter.label', lang)}  {word}", reason)

    def _show_clock(self) -> None:
        now = host(self).local_now() if hasattr(self.app, "local_now") else None
        clock = self._static("status-clock")
        if now is None:
            clock.update("")
            return
        lang = current_lang(self)
        if hasattr(self.app, "training") and host(self).training:
            badge = t("training.badge", lang)
        else:
            badge = ""
        _cell(clock, "clock", now.strftime("%Y-%m-%d %H:%M"), badge)
