"""Staff: the roster, sign-in (staff number + PIN, or staff card + PIN), roles, and sessions.

The roster comes from the hub in production (:meth:`Roster.import_from_hub`, cached in SQLite so
sign-in works offline) and from ``kiosk staff add`` in training mode and tests. PINs are kept only
as argon2id hashes. After ``max_failed_pins`` consecutive wrong PINs a staff number is locked for
``lockout_s`` seconds; while locked the PIN is not even checked. Every sign-in, failure, lockout,
refusal and roster change is a row in the audit log.

Roles (``Role``): ``operator`` (受理员) accepts visits and starts overrides; ``supervisor`` (复查员)
also approves dual-control overrides (never their own) and the day close's differences; ``clerk``
does the end-of-day close (日结).

A :class:`StaffDesk` holds the one staff session of the kiosk: it ends on sign-out or after
``ui.staff_timeout_s`` without activity (:meth:`StaffDesk.current` then raises
``staff.session_expired``).
The approval of a dual-control override authenticates a second person with
:meth:`Roster.authenticate` without replacing the session.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from data.store import Store
from kiosk.errors import StaffError, UsageError
from kiosk.staff import audit

if TYPE_CHECKING:
    from kiosk.config import Settings

Clock = Callable[[], datetime]

_STAFF_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")
_UID = re.compile(r"^(?:[0-9A-F]{2}){4,10}$")
_ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


class Role(StrEnum):
    """Staff roles."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    CLERK = "clerk"

    @property
    def zh(self) -> str:
        """The role's name at the counter."""
        return {"operator": "受理员", "supervisor": "复查员", "clerk": "日结员"}[self.value]


@dataclass(frozen=True, slots=True)
class StaffPolicy:
    """The rules sign-in follows (from the ``[staff]`` section of kiosk.toml).

    Attributes:
        max_failed_pins: consecutive wrong PINs that lock a staff number.
        lockout_s: seconds a locked staff number stays locked.
        pin_min_length: shortest PIN accepted when a PIN is set.
        session_timeout_s: seconds without activity before staff mode signs out.
        hash_time_cost: argon2id iterations.
        hash_memory_kib: argon2id memory in KiB.
    """

    max_failed_pins: int = 5
    lockout_s: int = 900
    pin_min_length: int = 6
    session_timeout_s: int = 300
    hash_time_cost: int = 3
    hash_memory_kib: int = 65536

    @classmethod
    def from_settings(cls, settings: Settings) -> StaffPolicy:
        """Build from the whole ``Settings`` (``[staff]`` and ``ui.staff_timeout_s``)."""
        s = settings.staff
        return cls(
            max_failed_pins=s.max_failed_pins,
            lockout_s=s.lockout_s,
            pin_min_length=s.pin_min_length,
            session_timeout_s=settings.ui.staff_timeout_s,
            hash_time_cost=s.pin_hash_time_cost,
            hash_memory_kib=s.pin_hash_memory_kib,
        )


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A roster entry as the rest of the kiosk sees it (never the PIN hash)."""

    staff_no: str
    name: str
    role: Role
    card_uid: str | None = None
    active: bool = True
    source: str = "local"
    failed_pins: int = 0
    locked_until: str | None = None

    @property
    def actor(self) -> audit.Actor:
        """This member as the audit log records them."""
        return audit.Actor(self.staff_no, self.role.value, self.name)


@dataclass(slots=True)
class StaffSession:
    """A signed-in staff member.

    Attributes:
        member: who signed in.
        session_id: random id, recorded in the audit row of the sign-in.
        method: ``pin`` or ``card``.
        started_at: when (UTC).
        last_active: last activity (UTC); the session expires ``session_timeout_s`` after it.
    """

    member: StaffMember
    session_id: str
    method: str
    started_at: datetime
    last_active: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def role(self) -> Role:
        """The member's role."""
        return self.member.role

    @property
    def actor(self) -> audit.Actor:
        """The member as the audit log records them."""
        return self.member.actor


def _utc_now() -> datetime:
    return datetime.now(UTC)


def normalise_uid(uid: str | bytes) -> str:
    """A card UID as stored: upper-case hex without separators.

    Raises:
        UsageError: not 4 to 10 bytes of hex.
    """
    text = uid.hex() if isinstance(uid, bytes | bytearray) else str(uid)
    text = re.sub(r"[\s:-]", "", text).upper()
    if not _UID.match(text):
        raise UsageError(
            f"card UID {uid!r} must be 4 to 10 bytes of hex (e.g. 04A1B2C3D4E5F6)",
            code="staff.bad_uid",
        )
    return text


class Roster:
    """The staff roster in the local store, and PIN checks against it.

    Args:
        store: the open local store.
        policy: lockout, PIN and hashing rules.
        clock: returns "now" in UTC (replaceable so lockout expiry can be tested).
    """

    def __init__(self, store: Store, policy: StaffPolicy | None = None, clock: Clock = _utc_now):
        self.store = store
        self.policy = policy or StaffPolicy()
        self.clock = clock
        self.hasher = PasswordHasher(
            time_cost=self.policy.hash_time_cost,
            memory_cost=self.policy.hash_memory_kib,
            parallelism=1,
        )
        # Compared against when the staff number is unknown, so a wrong number costs the same
        # time as a wrong PIN and does not reveal which numbers exist.
        self._dummy_hash = self.hasher.hash(secrets.token_hex(8))

    # -- roster ---------------------------------------------------------------------------

    def _now_text(self) -> str:
        return self.clock().astimezone(UTC).strftime(_ISO)

    def _check_pin_format(self, pin: str) -> None:
        if not (pin.isascii() and pin.isdigit()) or not (
            self.policy.pin_min_length <= len(pin) <= 12
        ):
            raise UsageError(
                f"a staff PIN is {self.policy.pin_min_length} to 12 digits",
                code="staff.bad_pin_format",
            )

    def add(
        self,
        staff_no: str,
        name: str,
        role: Role | str,
        pin: str,
        *,
        card_uid: str | None = None,
        by: audit.Actor | None = None,
    ) -> StaffMember:
        """Add a staff member (training mode and tests; production rosters come from the hub).

        Raises:
            UsageError: bad staff number, role, PIN or UID.
            StaffError: the staff number or card UID is already in the roster.
        """
        if not _STAFF_NO.match(staff_no):
            raise UsageError(
                f"staff number {staff_no!r}: 1 to 16 letters, digits, '-' or '_'",
                code="staff.bad_number",
            )
        try:
            role = Role(role)
        except ValueError:
            raise UsageError(
                f"role {role!r}; valid: {', '.join(r.value for r in Role)}", code="staff.bad_role"
            ) from None
        if not name.strip():
            raise UsageError("a staff member needs a name", code="staff.bad_name")
        self._check_pin_format(pin)
        uid = normalise_uid(card_uid) if card_uid else None
        now = self._now_text()
        with self.store.atomic() as db:
            if db.execute("SELECT 1 FROM staff WHERE staff_no = ?", [staff_no]).fetchone():
                raise StaffError(
                    f"staff number {staff_no} is already in the roster", code="staff.exists"
                )
            if uid and db.execute("SELECT 1 FROM staff WHERE card_uid = ?", [uid]).fetchone():
                raise StaffError(
                    f"card {uid} is already bound to another staff member", code="staff.card_taken"
                )
            db.execute(
                "INSERT INTO staff (staff_no, name, role, pin_hash, card_uid, active, source,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 'local', ?, ?)",
                [staff_no, name.strip(), role.value, self.hasher.hash(pin), uid, now, now],
            )
            audit.append(
                db,
                action="staff.add",
                actor=by,
                after={
                    "staff_no": staff_no,
                    "name": name.strip(),
                    "role": role.value,
                    "card_uid": uid,
                },
            )
        return self.get(staff_no)

    def disable(
        self, staff_no: str, *, by: audit.Actor | None = None, reason: str = ""
    ) -> StaffMember:
        """Disable a staff member: they can no longer sign in or approve.

        Raises:
            StaffError: unknown staff number.
        """
        member = self.get(staff_no)
        with self.store.atomic() as db:
            db.execute(
                "UPDATE staff SET active = 0, updated_at = ? WHERE staff_no = ?",
                [self._now_text(), staff_no],
            )
            audit.append(
                db,
                action="staff.disable",
                actor=by,
                reason_note=reason or None,
                before={"staff_no": staff_no, "active": member.active},
                after={"staff_no": staff_no, "active": False},
            )
        return self.get(staff_no)

    def import_from_hub(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Cache the hub's roster for offline sign-in.

        Each entry has ``staff_no``, ``name``, ``role``, ``pin_hash`` (argon2 PHC string made by the
        hub), optional ``card_uid`` and ``active``. Local lockout state is kept. Hub entries no
        longer listed are disabled (a person who left cannot sign in offline).

        Returns:
            The number of entries written.
        """
        now = self._now_text()
        seen: list[str] = []
        with self.store.atomic() as db:
            for e in entries:
                staff_no = str(e["staff_no"])
                role = Role(e["role"]).value
                if not str(e["pin_hash"]).startswith("$argon2"):
                    raise UsageError(
                        f"staff {staff_no}: pin_hash is not an argon2 hash", code="staff.bad_hash"
                    )
                uid = normalise_uid(e["card_uid"]) if e.get("card_uid") else None
                db.execute(
                    "INSERT INTO staff (staff_no, name, role, pin_hash, card_uid, active, source,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'hub', ?, ?)"
                    " ON CONFLICT (staff_no) DO UPDATE SET name = excluded.name,"
                    " role = excluded.role, pin_hash = excluded.pin_hash,"
                    " card_uid = excluded.card_uid, active = excluded.active, source = 'hub',"
                    " updated_at = excluded.updated_at",
                    [
                        staff_no,
                        e["name"],
                        role,
                        e["pin_hash"],
                        uid,
                        int(e.get("active", True)),
                        now,
                        now,
                    ],
                )
                seen.append(staff_no)
            marks = ",".join("?" for _ in seen) or "''"
            db.execute(
                f"UPDATE staff SET active = 0, updated_at = ? WHERE source = 'hub'"
                f" AND staff_no NOT IN ({marks})",
                [now, *seen],
            )
            audit.append(
                db, action="staff.roster_synced", actor=None, after={"staff": sorted(seen)}
            )
        return len(seen)

    def get(self, staff_no: str) -> StaffMember:
        """The roster entry of a staff number.

        Raises:
            StaffError: ``staff.unknown``.
        """
        row = self._row("staff_no", staff_no)
        if row is None:
            raise StaffError(f"staff number {staff_no} is not in the roster", code="staff.unknown")
        return _member(row)

    def members(self, *, include_disabled: bool = True) -> list[StaffMember]:
        """Every roster entry, by staff number."""
        sql = "SELECT * FROM staff" + ("" if include_disabled else " WHERE active = 1")
        return [_member(r) for r in self.store.db.query(sql + " ORDER BY staff_no")]

    def _row(self, column: str, value: str) -> dict[str, Any] | None:
        rows = list(self.store.db.query(f"SELECT * FROM staff WHERE {column} = ?", [value]))
        return rows[0] if rows else None

    # -- authentication -------------------------------------------------------------------

    def authenticate(self, staff_no: str, pin: str, *, purpose: str = "sign_in") -> StaffMember:
        """Check a staff number and PIN; count failures and lock out.

        Args:
            staff_no: the staff number typed (or bound to the card placed).
            pin: the PIN typed.
            purpose: ``sign_in`` or ``approve`` (recorded in the audit log).

        Returns:
            The member, when the PIN is right and the member active and not locked.

        Raises:
            StaffError: ``staff.unknown``, ``staff.disabled``, ``staff.locked`` (says until when),
                ``staff.wrong_pin`` (says how many tries remain); each is audited.
        """
        action = f"staff.{purpose}"
        row = self._row("staff_no", staff_no)
        if row is None:
            _safe_verify(self.hasher, self._dummy_hash, pin)
            self._audit_refusal(action, None, "unknown_staff", {"staff_no": staff_no})
            raise StaffError("staff number or PIN is wrong", code="staff.unknown")
        member = _member(row)
        if not member.active:
            self._audit_refusal(action, member.actor, "disabled")
            raise StaffError(f"staff number {staff_no} is disabled", code="staff.disabled")
        now = self.clock().astimezone(UTC)
        if member.locked_until and _parse(member.locked_until) > now:
            self._audit_refusal(action, member.actor, "locked_out")
            raise StaffError(
                f"staff number {staff_no} is locked after {self.policy.max_failed_pins} wrong "
                f"PINs until {member.locked_until} (UTC); ask a supervisor or wait",
                code="staff.locked",
            )
        if _safe_verify(self.hasher, row["pin_hash"], pin):
            with self.store.atomic() as db:
                sets = "failed_pins = 0, locked_until = NULL"
                args: list[Any] = []
                if self.hasher.check_needs_rehash(row["pin_hash"]):
                    sets += ", pin_hash = ?"
                    args.append(self.hasher.hash(pin))
                db.execute(f"UPDATE staff SET {sets} WHERE staff_no = ?", [*args, staff_no])
            return self.get(staff_no)
        failed = (0 if member.locked_until else member.failed_pins) + 1
        locked_until = None
        if failed >= self.policy.max_failed_pins:
            locked_until = (now + timedelta(seconds=self.policy.lockout_s)).strftime(_ISO)
        with self.store.atomic() as db:
            db.execute(
                "UPDATE staff SET failed_pins = ?, locked_until = ? WHERE staff_no = ?",
                [failed, locked_until, staff_no],
            )
            audit.append(
                db,
                action=action,
                actor=member.actor,
                outcome="refused",
                reason_code="wrong_pin",
                after={"failed_pins": failed},
            )
            if locked_until:
                audit.append(
                    db,
                    action="staff.locked_out",
                    actor=member.actor,
                    reason_code="too_many_wrong_pins",
                    after={"locked_until": locked_until},
                )
        if locked_until:
            raise StaffError(
                f"wrong PIN; staff number {staff_no} is now locked until {locked_until} (UTC)",
                code="staff.locked",
            )
        left = self.policy.max_failed_pins - failed
        raise StaffError(f"wrong PIN; {left} tries left before lockout", code="staff.wrong_pin")

    def member_for_card(self, uid: str | bytes) -> StaffMember:
        """The staff member a card UID is bound to.

        Raises:
            StaffError: ``staff.unknown_card`` (audited) or ``staff.disabled``.
        """
        try:
            text = normalise_uid(uid)
        except UsageError as e:
            raise StaffError(str(e), code="staff.unknown_card") from e
        row = self._row("card_uid", text)
        if row is None:
            self._audit_refusal("staff.card_sign_in", None, "unknown_card", {"card_uid": text})
            raise StaffError(
                f"this staff card ({text}) is not bound to anyone in the roster",
                code="staff.unknown_card",
            )
        member = _member(row)
        if not member.active:
            self._audit_refusal("staff.card_sign_in", member.actor, "disabled")
            raise StaffError(f"staff number {member.staff_no} is disabled", code="staff.disabled")
        return member

    def _audit_refusal(
        self, action: str, actor: audit.Actor | None, reason: str, detail: Any = None
    ) -> None:
        with self.store.atomic() as db:
            audit.append(
                db, action=action, actor=actor, outcome="refused", reason_code=reason, after=detail
            )


def _safe_verify(hasher: PasswordHasher, stored: str, pin: str) -> bool:
    try:
        return hasher.verify(stored, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _parse(text: str) -> datetime:
    return datetime.strptime(text, _ISO).replace(tzinfo=UTC)


def _member(row: Mapping[str, Any]) -> StaffMember:
    return StaffMember(
        staff_no=row["staff_no"],
        name=row["name"],
        role=Role(row["role"]),
        card_uid=row["card_uid"],
        active=bool(row["active"]),
        source=row["source"],
        failed_pins=row["failed_pins"],
        locked_until=row["locked_until"],
    )


# Actions only a supervisor may take (an operator's attempt is refused and audited).
SUPERVISOR_ACTIONS = frozenset(
    {
        "override.approve",
        "override.void_visit",
        "staff.add",
        "staff.disable",
        "day.approve_difference",
    }
)


def require_role(
    store: Store,
    actor: StaffSession | StaffMember,
    action: str,
    roles: Iterable[Role | str],
    *,
    visit_id: int | None = None,
) -> None:
    """Refuse (and audit the refusal) unless the actor holds one of ``roles``.

    Raises:
        StaffError: ``staff.forbidden`` naming the roles that may do it.
    """
    allowed = {Role(r) for r in roles}
    member = actor.member if isinstance(actor, StaffSession) else actor
    if member.role in allowed:
        return
    with store.atomic() as db:
        audit.append(
            db,
            action=action,
            actor=member.actor,
            outcome="refused",
            visit_id=visit_id,
            reason_code="role_not_allowed",
            after={"allowed_roles": sorted(r.value for r in allowed)},
        )
    raise StaffError(
        f"{action} needs the role {' or '.join(sorted(r.value for r in allowed))}; "
        f"{member.staff_no} is {member.role.value}",
        code="staff.forbidden",
    )


class StaffDesk:
    """The kiosk's staff mode: at most one signed-in session, which times out.

    Args:
        roster: the roster to authenticate against.
        clock: "now" in UTC (the roster's clock by default).
    """

    def __init__(self, roster: Roster, clock: Clock | None = None):
        self.roster = roster
        self.clock = clock or roster.clock
        self._session: StaffSession | None = None

    @property
    def timeout(self) -> timedelta:
        """Inactivity after which the session ends."""
        return timedelta(seconds=self.roster.policy.session_timeout_s)

    def sign_in(self, staff_no: str, pin: str, *, method: str = "pin") -> StaffSession:
        """Sign in with staff number and PIN (replaces any current session).

        Raises:
            StaffError: see :meth:`Roster.authenticate`.
        """
        member = self.roster.authenticate(staff_no, pin)
        return self._start(member, method)

    def sign_in_card(self, uid: str | bytes, pin: str) -> StaffSession:
        """Sign in with the staff card's UID (read by :mod:`hardware.staffcard`) then the PIN.

        Raises:
            StaffError: ``staff.unknown_card`` and everything :meth:`Roster.authenticate` raises.
        """
        member = self.roster.member_for_card(uid)
        return self.sign_in(member.staff_no, pin, method="card")

    def _start(self, member: StaffMember, method: str) -> StaffSession:
        if self._session is not None:
            self.sign_out(reason="replaced")
        now = self.clock()
        session = StaffSession(member, secrets.token_hex(8), method, now, now)
        with self.roster.store.atomic() as db:
            audit.append(
                db,
                action="staff.sign_in",
                actor=member.actor,
                after={"session": session.session_id, "method": method},
            )
        self._session = session
        return session

    def current(self) -> StaffSession:
        """The live session, its activity refreshed.

        Raises:
            StaffError: ``staff.not_signed_in``, or ``staff.session_expired`` (the session is
                ended and audited).
        """
        session = self.peek()
        if session is None:
            raise StaffError("no staff member is signed in", code="staff.not_signed_in")
        session.last_active = self.clock()
        return session

    def peek(self) -> StaffSession | None:
        """The live session without refreshing it; ends it if it has timed out.

        Raises:
            StaffError: ``staff.session_expired`` when it just timed out.
        """
        session = self._session
        if session is None:
            return None
        if self.clock() - session.last_active >= self.timeout:
            self._end(session, "timeout")
            raise StaffError("staff mode timed out; sign in again", code="staff.session_expired")
        return session

    def sign_out(self, *, reason: str = "sign_out") -> None:
        """End the session (no-op when none)."""
        if self._session is not None:
            self._end(self._session, reason)

    def _end(self, session: StaffSession, reason: str) -> None:
        self._session = None
        with self.roster.store.atomic() as db:
            audit.append(
                db,
                action="staff.sign_out",
                actor=session.actor,
                reason_code=reason,
                after={"session": session.session_id},
            )

    def require(self, action: str, *roles: Role | str, visit_id: int | None = None) -> StaffSession:
        """The live session, if its role may take ``action``; else refused and audited."""
        session = self.current()
        require_role(self.roster.store, session, action, roles, visit_id=visit_id)
        return session
