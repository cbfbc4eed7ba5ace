"""What the supervisor console shows: plain values, read from the kiosk's store in one go.

Built by :class:`kiosk.console.views.ConsoleDesk` (which reads SQLite) and shown by
``screens.supervisor`` (which may not import the store): this module sits between them with
dataclasses only. Money is integer fen; times are already in the counter's zone (Asia/Shanghai)
as the text people read.

No textual import and no store import here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class VisitLine:
    """One visit (受理) as the console lists it.

    Attributes:
        order: the order number (``DG-20261122-0007``).
        service: ``new``, ``renew`` … (``kiosk.domain.types.Service`` values).
        program: the program id, or None.
        kind: ``org``, ``legal-rep``, ``individual``, or None.
        state: ``open``, ``done``, ``failed`` or ``voided``.
        step: where the visit stands: its next step (open), the failed step (failed); None
            when done.
        done_steps: how many planned steps are done.
        planned_steps: how many steps the visit's plan has.
        training: made in training mode.
        total_fen: the quote (0 for free services).
        payment_state: ``paid``, ``pending`` … or None (no payment).
        payment_method: ``card``, ``wechat``, ``alipay``, ``transfer`` or None.
        opened: local time the visit was opened (``HH:MM``, or ``MM-DD HH:MM`` on another day).
        updated: local time of its last change, the same way.
        failure_code: the refusal's code when it failed (``seal.check_failed`` …).
        failure_reason: the refusal's own message (English).
    """

    order: str
    service: str
    program: str | None
    kind: str | None
    state: str
    step: str | None
    done_steps: int
    planned_steps: int
    training: bool
    total_fen: int
    payment_state: str | None
    payment_method: str | None
    opened: str
    updated: str
    failure_code: str | None = None
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class KeyStock:
    """USB keys (介质): the day's stock movements and the keys the kiosk knows by state.

    Attributes:
        stock: the day report's ``keys`` block (``opening``, ``received``, ``issued``,
            ``spoiled``, ``adjusted``, ``expected_closing``), or None when not kept.
        states: key state -> how many keys (``active``, ``blank``, ``suspended`` …).
        waiting: keys kept at the counter for a certificate or a pickup.
    """

    stock: dict[str, int] | None
    states: dict[str, int]
    waiting: int


@dataclass(frozen=True, slots=True)
class SyncView:
    """The link to the back office, as the kiosk's sync worker last recorded it.

    Attributes:
        online: the last attempt reached the hub (None: none yet).
        pending: events waiting in the outbox.
        quarantined: events the hub refused, waiting for staff.
        last_success: local time of the last complete send, or None.
        last_error: why the last attempt failed, or None.
    """

    online: bool | None
    pending: int
    quarantined: int
    last_success: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class DeviceView:
    """One device's state as the kiosk last recorded it (``device_status``)."""

    device: str
    state: str
    reason_zh: str
    reason_en: str
    since: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the console shows, read at one moment.

    Attributes:
        taken_at: local time of the read (``HH:MM:SS``).
        day: the counter's business date.
        training: the console reads the training store.
        visits: today's visits, newest first.
        unfinished: visits not done (open or failed), any day, newest first.
        report: the day report (``kiosk.dayclose.close.day_report``: X, or Z once closed).
        keys: key stock and states.
        sync: the outbox and the hub link.
        devices: device states as the kiosk recorded them (empty: never recorded).
        devices_checked: local time the kiosk last recorded them, or None.
        devices_age_s: seconds since then, or None.
        devices_stale: the record is too old to trust (is the kiosk running?).
    """

    taken_at: str
    day: date
    training: bool
    visits: list[VisitLine]
    unfinished: list[VisitLine]
    report: dict[str, Any]
    keys: KeyStock
    sync: SyncView
    devices: list[DeviceView] = field(default_factory=list)
    devices_checked: str | None = None
    devices_age_s: int | None = None
    devices_stale: bool = False


@dataclass(frozen=True, slots=True)
class Supervisor:
    """Who is signed in to the console."""

    staff_no: str
    name: str
    role: str
    role_zh: str


class ConsolePort(Protocol):
    """What the console's screens ask of the store side (``kiosk.console.views.ConsoleDesk``).

    Every call may block (argon2, SQLite): screens call them in thread workers. Refusals raise
    ``KioskError`` with a ``code``.
    """

    def sign_in(self, staff_no: str, pin: str) -> Supervisor: ...

    def current(self) -> Supervisor | None: ...

    def touch(self) -> None: ...

    def sign_out(self, reason: str = "sign_out") -> None: ...

    def snapshot(self) -> Snapshot: ...
