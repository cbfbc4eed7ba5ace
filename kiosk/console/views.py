"""The supervisor console's store side: read-only views of the kiosk's day, and staff sign-in.

The console (``kiosk supervise``, and what ``kiosk serve-web`` serves to a browser) runs beside
the counter's kiosk and must never act as the counter: it opens **no device** (no ID card
reader, USB key reader, camera or printer; the device states come from what the kiosk recorded,
:mod:`kiosk.console.status_log`) and never changes a visit, a payment or a key. It reads the kiosk's
SQLite file through a **read-only** connection (``mode=ro``, ``query_only``); WAL lets it read
while the kiosk writes.

The one thing it writes is the staff side of signing in, through a second connection that
touches only the roster's failure counters and the audit log (and its outbox row): a wrong PIN
counts towards the same lockout as at the counter, and every sign-in, refusal and sign-out is a
row of the hash-chained audit log (``staff.console_sign_in`` / ``staff.console_sign_out``).
Only a supervisor (``Role.SUPERVISOR``, 复查员) may sign in; the session ends after
``ui.staff_timeout_s`` without activity, like staff mode at the counter.

No textual import here.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlite_utils

from data.store import Store, bundled_migrations
from kiosk.console.model import (
    DeviceView,
    KeyStock,
    Snapshot,
    Supervisor,
    SyncView,
    VisitLine,
)
from kiosk.domain import clock as dclock
from kiosk.errors import StaffError, StoreError
from kiosk.staff import audit
from kiosk.staff.roster import Role, Roster, StaffMember, StaffPolicy, require_role

if TYPE_CHECKING:
    from kiosk.config import Settings

log = logging.getLogger(__name__)

SIGN_IN = "staff.console_sign_in"
SIGN_OUT = "staff.console_sign_out"
STALE_S = 90
"""Device states older than this are shown as stale (the kiosk rewrites them every 30 s)."""
UNFINISHED_LIMIT = 50


@dataclass(slots=True)
class _Session:
    member: StaffMember
    session_id: str
    last_active: datetime


class ConsoleDesk:
    """The console's port onto the kiosk's store (implements ``ConsolePort``).

    Args:
        database: the kiosk's SQLite file (``DataPaths.database``); never created here.
        settings: kiosk settings (counter, time zone, staff policy, day-close rules).
        training: the store is the training one (the day report counts training visits).
        via: how the console is reached (``terminal`` or ``web``), recorded in the audit log.
        clock: "now" in UTC (tests move it).
        policy: sign-in rules (default: from ``settings``).
    """

    def __init__(
        self,
        database: Path,
        settings: Settings,
        *,
        training: bool = False,
        via: str = "terminal",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        policy: StaffPolicy | None = None,
    ) -> None:
        self.database = Path(database)
        self.settings = settings
        self.training = training
        self.via = via
        self.clock = clock
        self.policy = policy or StaffPolicy.from_settings(settings)
        self._tz = ZoneInfo(settings.counter.timezone)
        self._lock = threading.RLock()
        self._reader: Store | None = None
        self._writer: Store | None = None
        self._roster: Roster | None = None
        self._session: _Session | None = None

    # -- opening -------------------------------------------------------------------------------

    def check(self) -> None:
        """Refuse at once when there is no kiosk store to read, or it is behind this code.

        Raises:
            StoreError: ``console.no_store`` or ``console.schema_behind``.
        """
        with self._lock:
            self.reader()

    def reader(self) -> Store:
        """The read-only view of the store (opened on first use)."""
        with self._lock:
            if self._reader is None:
                if not self.database.is_file():
                    raise StoreError(
                        f"no kiosk store at {self.database}: start the kiosk once on this data "
                        "directory, or check --data-dir and --training",
                        code="console.no_store",
                    )
                uri = f"file:{quote(str(self.database.resolve()))}?mode=ro"
                try:
                    conn = sqlite3.connect(
                        uri, uri=True, timeout=10.0, isolation_level=None, check_same_thread=False
                    )
                    conn.execute("PRAGMA busy_timeout = 10000")
                    conn.execute("PRAGMA query_only = ON")
                    _check_schema(conn, self.database)
                except sqlite3.DatabaseError as e:
                    raise StoreError(
                        f"{self.database}: cannot read the kiosk store: {e}", code="console.read"
                    ) from e
                self._reader = Store(sqlite_utils.Database(conn), self.database)
            return self._reader

    def _roster_(self) -> Roster:
        """The roster over a writable connection: failure counters and audit rows only."""
        with self._lock:
            if self._roster is None:
                self.reader()  # the file exists and its schema is current
                try:
                    conn = sqlite3.connect(
                        str(self.database),
                        timeout=10.0,
                        isolation_level=None,
                        check_same_thread=False,
                    )
                    conn.execute("PRAGMA busy_timeout = 10000")
                    conn.execute("PRAGMA foreign_keys = ON")
                except sqlite3.DatabaseError as e:
                    raise StoreError(
                        f"{self.database}: cannot open the kiosk store to audit: {e}",
                        code="console.read",
                    ) from e
                # Store() without Store.open(): the kiosk owns the schema; no migration here.
                self._writer = Store(sqlite_utils.Database(conn), self.database)
                self._roster = Roster(self._writer, self.policy, clock=self.clock)
            return self._roster

    def close(self) -> None:
        """End a live session (audited as ``closed``) and close both connections."""
        with self._lock:
            if self._session is not None:
                self._end("closed")
            for store in (self._reader, self._writer):
                if store is not None:
                    store.close()
            self._reader = self._writer = None
            self._roster = None

    # -- sign-in -------------------------------------------------------------------------------

    def sign_in(self, staff_no: str, pin: str) -> Supervisor:
        """A supervisor signs in with staff number and PIN.

        Raises:
            StaffError: ``staff.unknown``, ``staff.wrong_pin``, ``staff.locked``,
                ``staff.disabled`` (each audited by the roster), ``staff.forbidden`` (not a
                supervisor; audited).
            StoreError: the store cannot be read.
        """
        with self._lock:
            roster = self._roster_()
            member = roster.authenticate(staff_no, pin, purpose="console_sign_in")
            require_role(roster.store, member, SIGN_IN, (Role.SUPERVISOR,))
            if self._session is not None:
                self._end("replaced")
            session = _Session(member, secrets.token_hex(8), self.clock())
            with roster.store.atomic() as db:
                audit.append(
                    db,
                    action=SIGN_IN,
                    actor=member.actor,
                    after={"session": session.session_id, "method": "pin", "via": self.via},
                )
            self._session = session
            log.info("console: %s signed in (%s)", member.staff_no, self.via)
            return _view(member)

    def current(self) -> Supervisor | None:
        """Who is signed in, or None (a session past the timeout ends here, audited)."""
        with self._lock:
            s = self._session
            if s is None:
                return None
            if self.clock() - s.last_active >= timedelta(seconds=self.policy.session_timeout_s):
                self._end("timeout")
                return None
            return _view(s.member)

    def touch(self) -> None:
        """Activity: keeps the session alive."""
        with self._lock:
            if self.current() is not None and self._session is not None:
                self._session.last_active = self.clock()

    def sign_out(self, reason: str = "sign_out") -> None:
        """End the session (no-op when none)."""
        with self._lock:
            if self._session is not None:
                self._end(reason)

    def _end(self, reason: str) -> None:
        s = self._session
        self._session = None
        if s is None or self._roster is None:
            return
        try:
            with self._roster.store.atomic() as db:
                audit.append(
                    db,
                    action=SIGN_OUT,
                    actor=s.member.actor,
                    reason_code=reason,
                    after={"session": s.session_id, "via": self.via},
                )
        except sqlite3.Error as e:  # closing on the way out: say so, do not hide it
            log.error("console: could not audit the sign-out of %s: %s", s.member.staff_no, e)
        log.info("console: %s signed out (%s)", s.member.staff_no, reason)

    # -- the view ------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Everything the console shows, read now (a signed-in supervisor only).

        Raises:
            StaffError: ``staff.not_signed_in`` (or the session timed out).
            StoreError: the store cannot be read.
        """
        with self._lock:
            if self.current() is None:
                raise StaffError("sign in as a supervisor first", code="staff.not_signed_in")
            store = self.reader()
            try:
                return self._read(store)
            except sqlite3.DatabaseError as e:
                raise StoreError(
                    f"{self.database}: cannot read the kiosk store: {e}", code="console.read"
                ) from e

    def _read(self, store: Store) -> Snapshot:
        from kiosk.console.status_log import read_devices
        from kiosk.dayclose.close import DayCloseRules, day_bounds, day_report
        from kiosk.sync.status import read_status

        now = self.clock()
        rules = DayCloseRules.from_settings(self.settings)
        day = dclock.local_today(now, self.settings.counter.timezone)
        conn = store.db.conn
        # One read transaction: every figure on the screen comes from the same moment.
        conn.execute("BEGIN")
        try:
            start, end = day_bounds(day, rules.timezone)
            today = self._visits(
                conn,
                "WHERE created_at >= ? AND created_at < ? ORDER BY id DESC",
                (start, end),
                day,
            )
            unfinished = self._visits(
                conn,
                f"WHERE state IN ('open', 'failed') ORDER BY id DESC LIMIT {UNFINISHED_LIMIT}",
                (),
                day,
            )
            report = day_report(store, rules, day, training=self.training)
            states = dict(
                conn.execute(
                    "SELECT state, count(*) FROM keys GROUP BY state ORDER BY state"
                ).fetchall()
            )
            st = read_status(store.db)
            recorded = read_devices(conn)
        finally:
            conn.execute("COMMIT")
        checked = max((d.checked_at for d in recorded), default=None)
        age = None if checked is None else max(0, int((now - checked).total_seconds()))
        return Snapshot(
            taken_at=now.astimezone(self._tz).strftime("%H:%M:%S"),
            day=day,
            training=self.training,
            visits=today,
            unfinished=unfinished,
            report=report,
            keys=KeyStock(report.get("keys"), states, st.keys_waiting),
            sync=SyncView(
                st.online,
                st.pending,
                st.quarantined,
                self._local(st.last_success, day),
                st.last_error,
            ),
            devices=[
                DeviceView(d.device, d.state, d.reason_zh, d.reason_en, self._when(d.since, day))
                for d in recorded
            ],
            devices_checked=None if checked is None else self._when(checked, day, seconds=True),
            devices_age_s=age,
            devices_stale=age is None or age > STALE_S,
        )

    def _visits(
        self, conn: sqlite3.Connection, where: str, args: tuple[Any, ...], day: date
    ) -> list[VisitLine]:
        rows = conn.execute(
            "SELECT id, order_no, service, program, kind, state, training, data, created_at,"
            " updated_at FROM visits " + where,
            args,
        ).fetchall()
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ",".join("?" for _ in ids)
        done: dict[int, set[str]] = {}
        for vid, step in conn.execute(
            "SELECT visit_id, step FROM visit_steps WHERE state = 'done'"
            f" AND visit_id IN ({marks})",
            ids,
        ):
            done.setdefault(vid, set()).add(step)
        out = []
        for vid, order, service, program, kind, state, training, data, created, updated in rows:
            d = json.loads(data or "{}")
            plan = list(d.get("plan") or [])
            finished = done.get(vid, set())
            failure = d.get("failure") or {}
            if state == "done":
                step = None
            elif state == "failed" and failure.get("step"):
                step = failure["step"]
            else:
                step = next((s for s in plan if s not in finished), None)
            pay = d.get("payment") or {}
            out.append(
                VisitLine(
                    order=order,
                    service=service,
                    program=program,
                    kind=kind,
                    state=state,
                    step=step,
                    done_steps=sum(1 for s in plan if s in finished),
                    planned_steps=len(plan),
                    training=bool(training),
                    total_fen=int((d.get("quote") or {}).get("total_fen") or 0),
                    payment_state=pay.get("state"),
                    payment_method=pay.get("method"),
                    opened=self._when(dclock.from_storage(created), day),
                    updated=self._when(dclock.from_storage(updated), day),
                    failure_code=failure.get("code") if state == "failed" else None,
                    failure_reason=failure.get("reason") if state == "failed" else None,
                )
            )
        return out

    def _when(self, moment: datetime, day: date, *, seconds: bool = False) -> str:
        """Local time for people: ``HH:MM`` today, ``MM-DD HH:MM`` on another day."""
        local = moment.astimezone(self._tz)
        fmt = "%H:%M:%S" if seconds else "%H:%M"
        return local.strftime(fmt if local.date() == day else "%m-%d " + fmt)

    def _local(self, text: str | None, day: date) -> str | None:
        if not text:
            return None
        try:
            return self._when(dclock.from_storage(text), day, seconds=True)
        except ValueError:
            return text


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """The store must carry every migration this code knows (the kiosk applies them)."""
    try:
        have = {r[0] for r in conn.execute("SELECT number FROM schema_migrations")}
    except sqlite3.OperationalError:
        have = set()
    missing = [m for m in bundled_migrations() if m.number not in have]
    if missing:
        names = ", ".join(f"{m.number:04d}_{m.name}" for m in missing)
        raise StoreError(
            f"{path} lacks migrations {names}: start (or restart) the kiosk once so it upgrades "
            "its store, then open the console again",
            code="console.schema_behind",
        )


def _view(member: StaffMember) -> Supervisor:
    return Supervisor(member.staff_no, member.name, member.role.value, member.role.zh)
