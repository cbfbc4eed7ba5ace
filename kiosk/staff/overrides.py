"""Overrides: where a person decides what the kiosk cannot, with a typed reason, on the visit.

The fixed set of kinds is :class:`OverrideKind`; each has its own reason codes (:data:`REASONS`),
and ``other`` always needs a note. Four kinds are under **dual control** (:data:`DUAL_CONTROL`):
unlock (解锁), fee waiver or reduction, refund, accepting a failed seal. They are *requested* by
one staff member and take effect only when a second one with the ``supervisor`` role, never the
initiator, approves on the kiosk. Voiding a visit is a supervisor's own act. Every request,
approval, rejection and refusal is a row in the audit log, in the same transaction as the
override's own row.

The visit flow applies an override's effect only after :func:`require_effective` says it is in
force::

    ov = overrides.request(store, desk.current(), OverrideKind.FEE_WAIVER, visit_id=7,
                           reason=Reason("hardship", "unit in bankruptcy"),
                           before={"amount_fen": 120000}, after={"amount_fen": 60000})
    # ov.state == "pending": show the approval modal; a supervisor types staff number + PIN
    approver = roster.authenticate(no, pin, purpose="approve")
    ov = overrides.approve(store, ov.id, approver)
    overrides.require_effective(store, ov.id, OverrideKind.FEE_WAIVER, visit_id=7)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from data.store import Store, utc_now
from kiosk.errors import StaffError, StoreError, UsageError
from kiosk.staff import audit
from kiosk.staff.roster import Role, StaffMember, StaffSession, require_role

if TYPE_CHECKING:
    import sqlite3


class OverrideKind(StrEnum):
    """The overrides staff can make (the issue's fixed list)."""

    MANUAL_AGENT = "manual_agent"  # enter the agent by hand: no ID card can be read
    ACCEPT_SEAL = "accept_seal"  # accept a failed or borderline seal           (dual control)
    MATERIALS_VERIFIED = "materials_verified"  # the checklist ticked item by item
    FEE_WAIVER = "fee_waiver"  # waive or reduce a fee                          (dual control)
    CONFIRM_TRANSFER = "confirm_transfer"  # a bank transfer seen on the account
    REFUND = "refund"  #                                                       (dual control)
    VOID_VISIT = "void_visit"  # a supervisor's act
    KEY_HANDOVER = "key_handover"  # hand over a key from the pending list
    KEY_RESUME = "key_resume"  # resume a half-written key
    KEY_WIPE = "key_wipe"  # wipe a half-written key
    UNLOCK = "unlock"  # reset a key's PIN (解锁)                     (dual control)

    @property
    def zh(self) -> str:
        """The kind as staff read it on screen."""
        return _ZH[self]


_ZH = {
    OverrideKind.MANUAL_AGENT: "手工录入经办人",
    OverrideKind.ACCEPT_SEAL: "接受不合格印模",
    OverrideKind.MATERIALS_VERIFIED: "材料已核验",
    OverrideKind.FEE_WAIVER: "减免费用",
    OverrideKind.CONFIRM_TRANSFER: "确认转账",
    OverrideKind.REFUND: "退费",
    OverrideKind.VOID_VISIT: "作废受理",
    OverrideKind.KEY_HANDOVER: "交付待领介质",
    OverrideKind.KEY_RESUME: "续写介质",
    OverrideKind.KEY_WIPE: "擦除介质",
    OverrideKind.UNLOCK: "解锁",
}

#: Kinds that need a second staff member, a supervisor who is not the initiator.
DUAL_CONTROL = frozenset(
    {OverrideKind.UNLOCK, OverrideKind.FEE_WAIVER, OverrideKind.REFUND, OverrideKind.ACCEPT_SEAL}
)

#: Kinds only a supervisor may start.
SUPERVISOR_ONLY = frozenset({OverrideKind.VOID_VISIT})

#: Reason codes per kind ("other" needs a note).
REASONS: dict[OverrideKind, tuple[str, ...]] = {
    OverrideKind.MANUAL_AGENT: (
        "card_unreadable",
        "reader_fault",
        "temporary_id",
        "foreign_document",
        "other",
    ),
    OverrideKind.ACCEPT_SEAL: ("imprint_faint", "imprint_incomplete", "size_borderline", "other"),
    OverrideKind.MATERIALS_VERIFIED: ("checked_originals", "other"),
    OverrideKind.FEE_WAIVER: ("program_policy", "service_error", "goodwill", "other"),
    OverrideKind.CONFIRM_TRANSFER: ("seen_on_statement", "voucher_checked", "other"),
    OverrideKind.REFUND: (
        "never_accepted",
        "not_activated_in_time",
        "duplicate_payment",
        "service_error",
        "other",
    ),
    OverrideKind.VOID_VISIT: ("opened_by_mistake", "applicant_left", "duplicate_visit", "other"),
    OverrideKind.KEY_HANDOVER: ("agent_id_checked", "other"),
    OverrideKind.KEY_RESUME: ("key_pulled_mid_write", "power_cut", "other"),
    OverrideKind.KEY_WIPE: ("key_pulled_mid_write", "power_cut", "wrong_key", "other"),
    OverrideKind.UNLOCK: ("pin_forgotten", "pin_locked", "other"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """A typed reason: a code from :data:`REASONS` and a note (required for ``other``)."""

    code: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Override:
    """One override as stored."""

    id: int
    visit_id: int | None
    kind: OverrideKind
    reason_code: str
    reason_note: str
    before: Any
    after: Any
    state: str  # pending | approved | rejected | done
    initiator_no: str
    initiator_role: str
    approver_no: str | None
    requested_at: str
    decided_at: str | None

    @property
    def effective(self) -> bool:
        """The override is in force (done, or approved under dual control)."""
        return self.state in ("done", "approved")


def _check_reason(kind: OverrideKind, reason: Reason) -> None:
    allowed = REASONS[kind]
    if reason.code not in allowed:
        raise UsageError(
            f"reason {reason.code!r} is not one for {kind.value}; valid: {', '.join(allowed)}",
            code="override.bad_reason",
        )
    if reason.code == "other" and not reason.note.strip():
        raise UsageError("reason 'other' needs a note saying why", code="override.note_required")


def _check_detail(kind: OverrideKind, after: Any) -> None:
    if kind is OverrideKind.MATERIALS_VERIFIED:
        checklist = (after or {}).get("checklist") if isinstance(after, Mapping) else None
        if not isinstance(checklist, Mapping) or not checklist:
            raise UsageError(
                "materials_verified needs after={'checklist': {item: True, ...}}, every item "
                "of the visit's checklist",
                code="override.checklist_missing",
            )
        unticked = [k for k, v in checklist.items() if v is not True]
        if unticked:
            raise UsageError(
                f"materials not ticked: {', '.join(map(str, unticked))}",
                code="override.checklist_incomplete",
            )
    if kind in (OverrideKind.FEE_WAIVER, OverrideKind.REFUND):
        for side, value in (("after", after),):
            amount = value.get("amount_fen") if isinstance(value, Mapping) else None
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise UsageError(
                    f"{kind.value} needs {side}={{'amount_fen': integer fen >= 0}}",
                    code="override.bad_amount",
                )


def _member(actor: StaffSession | StaffMember) -> StaffMember:
    return actor.member if isinstance(actor, StaffSession) else actor


def request(
    store: Store,
    actor: StaffSession | StaffMember,
    kind: OverrideKind | str,
    *,
    visit_id: int | None,
    reason: Reason,
    before: Any = None,
    after: Any = None,
) -> Override:
    """Make an override, or request it when it is under dual control.

    Args:
        store: the local store.
        actor: the signed-in staff member starting it.
        kind: one of :class:`OverrideKind`.
        visit_id: the visit it is recorded against.
        reason: the typed reason.
        before: what the kiosk had (JSON-serialisable).
        after: what the person decided (for ``materials_verified``: ``{"checklist": {...}}``;
            for fee waivers and refunds: ``{"amount_fen": n}``).

    Returns:
        The override: state ``done``, or ``pending`` under dual control.

    Raises:
        UsageError: unknown kind, wrong reason, missing note, incomplete checklist, bad amount.
        StaffError: ``staff.forbidden`` (a clerk, or an operator voiding a visit), audited.
    """
    try:
        kind = OverrideKind(kind)
    except ValueError:
        raise UsageError(
            f"override {kind!r}; valid: {', '.join(k.value for k in OverrideKind)}",
            code="override.bad_kind",
        ) from None
    member = _member(actor)
    action = f"override.{kind.value}"
    roles = (Role.SUPERVISOR,) if kind in SUPERVISOR_ONLY else (Role.OPERATOR, Role.SUPERVISOR)
    require_role(store, member, action, roles, visit_id=visit_id)
    _check_reason(kind, reason)
    _check_detail(kind, after)
    state = "pending" if kind in DUAL_CONTROL else "done"
    now = utc_now()
    with store.atomic() as db:
        cur = db.execute(
            "INSERT INTO overrides (visit_id, kind, reason_code, reason_note, before, after, state,"
            " initiator_no, initiator_role, requested_at, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                visit_id,
                kind.value,
                reason.code,
                reason.note,
                audit.canonical_json(before),
                audit.canonical_json(after),
                state,
                member.staff_no,
                member.role.value,
                now,
                None if state == "pending" else now,
            ],
        )
        override_id = _rowid(cur)
        audit.append(
            db,
            action=action,
            actor=member.actor,
            outcome="requested" if state == "pending" else "done",
            visit_id=visit_id,
            reason_code=reason.code,
            reason_note=reason.note or None,
            before=before,
            after={"override_id": override_id, **_as_mapping(after)},
        )
    return get(store, override_id)


def _rowid(cur: sqlite3.Cursor) -> int:
    rowid = cur.lastrowid
    if rowid is None:  # an INSERT always sets it; this keeps the type honest
        raise StoreError("the store did not return the new row's id", code="store.no_rowid")
    return int(rowid)


def _as_mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return {"value": value}


def _decide(
    store: Store, override_id: int, approver: StaffSession | StaffMember, approve: bool, note: str
) -> Override:
    ov = get(store, override_id)
    member = _member(approver)
    action = f"override.{ov.kind.value}.{'approve' if approve else 'reject'}"
    require_role(store, member, action, (Role.SUPERVISOR,), visit_id=ov.visit_id)
    refusal = None
    if ov.state != "pending":
        refusal = (
            "not_pending",
            f"override {override_id} is {ov.state}, not waiting for approval",
            "override.not_pending",
        )
    elif member.staff_no == ov.initiator_no:
        refusal = (
            "self_approval",
            "the person who started an override cannot approve it; ask another supervisor",
            "override.self_approval",
        )
    elif not member.active:
        refusal = ("disabled", f"{member.staff_no} is disabled", "staff.disabled")
    if refusal:
        with store.atomic() as db:
            audit.append(
                db,
                action=action,
                actor=audit.Actor(ov.initiator_no, ov.initiator_role),
                outcome="refused",
                visit_id=ov.visit_id,
                reason_code=refusal[0],
                after={"override_id": override_id},
                approver=member.actor,
            )
        raise StaffError(refusal[1], code=refusal[2])
    state = "approved" if approve else "rejected"
    with store.atomic() as db:
        db.execute(
            "UPDATE overrides SET state = ?, approver_no = ?, decided_at = ? WHERE id = ?"
            " AND state = 'pending'",
            [state, member.staff_no, utc_now(), override_id],
        )
        audit.append(
            db,
            action=action,
            actor=audit.Actor(ov.initiator_no, ov.initiator_role),
            visit_id=ov.visit_id,
            reason_code=ov.reason_code,
            reason_note=note or ov.reason_note or None,
            before=ov.before,
            after={"override_id": override_id, "state": state, **_as_mapping(ov.after)},
            approver=member.actor,
        )
    return get(store, override_id)


def approve(
    store: Store, override_id: int, approver: StaffSession | StaffMember, *, note: str = ""
) -> Override:
    """A second staff member approves a pending dual-control override.

    Args:
        store: the local store.
        override_id: the pending override.
        approver: the supervisor approving, authenticated on the kiosk (``Roster.authenticate``
            with ``purpose="approve"``), never the initiator.
        note: optional words of the approver.

    Raises:
        StaffError: ``staff.forbidden`` (not a supervisor), ``override.self_approval``,
            ``override.not_pending``; each refusal is audited.
    """
    return _decide(store, override_id, approver, True, note)


def reject(
    store: Store, override_id: int, approver: StaffSession | StaffMember, *, note: str = ""
) -> Override:
    """A supervisor (not the initiator) rejects a pending override; it never takes effect."""
    return _decide(store, override_id, approver, False, note)


def get(store: Store, override_id: int) -> Override:
    """One override.

    Raises:
        UsageError: ``override.unknown``.
    """
    rows = list(store.db.query("SELECT * FROM overrides WHERE id = ?", [override_id]))
    if not rows:
        raise UsageError(f"no override {override_id}", code="override.unknown")
    return _from_row(rows[0])


def for_visit(store: Store, visit_id: int) -> list[Override]:
    """A visit's overrides, oldest first."""
    return [
        _from_row(r)
        for r in store.db.query(
            "SELECT * FROM overrides WHERE visit_id = ? ORDER BY id", [visit_id]
        )
    ]


def pending(store: Store) -> list[Override]:
    """Overrides waiting for a supervisor."""
    return [
        _from_row(r)
        for r in store.db.query("SELECT * FROM overrides WHERE state = 'pending' ORDER BY id")
    ]


def require_effective(
    store: Store, override_id: int, kind: OverrideKind | str, *, visit_id: int | None
) -> Override:
    """The override, if it is of this kind and visit and in force; else a StaffError.

    The visit flow calls this right before applying an override's effect.
    """
    ov = get(store, override_id)
    if ov.kind != OverrideKind(kind) or ov.visit_id != visit_id:
        raise StaffError(
            f"override {override_id} is a {ov.kind.value} of visit {ov.visit_id}",
            code="override.mismatch",
        )
    if not ov.effective:
        raise StaffError(
            f"override {override_id} is {ov.state}: it needs a supervisor's approval first",
            code="override.not_approved",
        )
    return ov


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _from_row(r: Mapping[str, Any]) -> Override:
    return Override(
        id=r["id"],
        visit_id=r["visit_id"],
        kind=OverrideKind(r["kind"]),
        reason_code=r["reason_code"],
        reason_note=r["reason_note"],
        before=_load(r["before"]),
        after=_load(r["after"]),
        state=r["state"],
        initiator_no=r["initiator_no"],
        initiator_role=r["initiator_role"],
        approver_no=r["approver_no"],
        requested_at=r["requested_at"],
        decided_at=r["decided_at"],
    )
