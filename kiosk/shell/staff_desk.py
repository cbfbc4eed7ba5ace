"""What the staff screens call: sign-in, approvals and the day close behind one object.

Screens never import ``data`` or ``hardware`` (import-linter), so they receive a
:class:`StaffService` from the app (dependency injection) and call only these methods; every one
is blocking (argon2 takes ~0.1 s, the card reader waits for a card) and runs in a thread worker.
Errors are :class:`~kiosk.errors.KioskError` with a ``code`` the screens map to zh-CN text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from data.store import Store
from hardware.staffcard import PcscStaffCardReader
from kiosk.dayclose import close as dayclose
from kiosk.dayclose.bill import qr_from_bill
from kiosk.dayclose.close import ClosePreview, Counted, DayCloseRules
from kiosk.dayclose.render import write_files
from kiosk.errors import DeviceError, StaffError
from kiosk.staff import overrides
from kiosk.staff.roster import (
    Role,
    Roster,
    StaffDesk,
    StaffMember,
    StaffPolicy,
    StaffSession,
    require_role,
)

#: Practice staff of training mode: (staff number, name, role), all with :data:`TRAINING_PIN`.
TRAINING_ROSTER = (
    ("1001", "练习受理员", "operator"),
    ("2001", "练习复查员", "supervisor"),
    ("3001", "练习日结员", "clerk"),
)
TRAINING_PIN = "123456"

#: The seal check's reasons -> the typed reasons of an ``accept_seal`` override.
SEAL_REASON_CODES = {
    "faint": "imprint_faint",
    "incomplete": "imprint_incomplete",
    "size": "size_borderline",
    "shape": "size_borderline",
}


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in, as screens show it."""

    staff_no: str
    name: str
    role: str
    role_zh: str


def _view(member: StaffMember) -> SignedIn:
    return SignedIn(member.staff_no, member.name, member.role.value, member.role.zh)


class StaffService:
    """The staff area for the screens.

    Args:
        store: the open local store.
        policy: sign-in rules.
        rules: day-close rules.
        card_reader: a ``hardware.staffcard.StaffCardReader`` (None: no staff-card reader).
        training: the day close reports training-mode visits.
        reports_dir: where the close writes CSV/JSON/PDF (None: not written).
        pdf_font: the CJK font embedded in the PDF.
    """

    def __init__(
        self,
        store: Store,
        policy: StaffPolicy,
        rules: DayCloseRules,
        card_reader: Any = None,
        *,
        training: bool = False,
        reports_dir: Path | None = None,
        pdf_font: Path | None = None,
        qr_bill: Callable[[date], Mapping[str, int]] | None = None,
    ):
        self.qr_bill = qr_bill  # the provider's bill through the hub (None: typed figures only)
        self.qr_notes: tuple[str, ...] = ()  # what the last preview/close said about QR figures
        self.reports_dir = reports_dir
        self.pdf_font = pdf_font
        self.store = store
        self.roster = Roster(store, policy)
        self.desk = StaffDesk(self.roster)
        self.rules = rules
        self.card_reader = card_reader
        self.training = training
        self._approvers: dict[str, StaffMember] = {}

    @classmethod
    def from_settings(
        cls,
        store: Store,
        settings: Any,
        *,
        training: bool = False,
        card_reader: Any = None,
        data_base: Path | None = None,
    ) -> StaffService:
        """Build from the whole ``Settings`` (the PC/SC staff-card reader of ``[staff]``)."""
        if card_reader is None:
            card_reader = PcscStaffCardReader(
                settings.staff.card_reader_pattern, settings.staff.card_timeout_s
            )
        service = cls(
            store,
            StaffPolicy.from_settings(settings),
            DayCloseRules.from_settings(settings),
            card_reader,
            training=training,
            reports_dir=(data_base or Path(".")) / settings.day_close.reports_dir,
            pdf_font=settings.day_close.pdf_font,
            qr_bill=None if training else hub_bill(settings.hub),
        )
        if training and not service.roster.members():
            service.seed_training_roster()
        return service

    def seed_training_roster(self) -> None:
        """Training mode's practice staff (PIN 123456 each), so `make demo` can show staff mode.

        Only into an empty roster, and only the training store is ever opened in training mode
        (``<data_dir>/training``): the counter's real roster never holds these.
        """
        for staff_no, name, role in TRAINING_ROSTER:
            self.roster.add(staff_no, name, role, TRAINING_PIN)

    # -- sign-in ----------------------------------------------------------------------------

    def sign_in(self, staff_no: str, pin: str) -> SignedIn:
        """Staff number and PIN."""
        return _view(self.desk.sign_in(staff_no, pin).member)

    def read_card(self, timeout_s: float | None = None) -> str:
        """Wait for a staff card and return its UID (blocking; run in a worker)."""
        if self.card_reader is None:
            raise DeviceError("no staff-card reader is configured", code="staffcard.no_reader")
        return str(self.card_reader.read_uid(timeout_s))

    def card_holder(self, uid: str) -> SignedIn:
        """Who a card belongs to (before the PIN is asked)."""
        return _view(self.roster.member_for_card(uid))

    def sign_in_card(self, uid: str, pin: str) -> SignedIn:
        """Card UID then PIN."""
        return _view(self.desk.sign_in_card(uid, pin).member)

    def current(self) -> SignedIn | None:
        """The signed-in member, or None (a timed-out session ends here)."""
        try:
            session = self.desk.peek()
        except StaffError:  # timed out just now (ended and audited by the desk)
            return None
        return None if session is None else _view(session.member)

    def touch(self) -> None:
        """Activity in staff mode: keeps the session from timing out."""
        self.desk.current()

    def sign_out(self) -> None:
        """End staff mode."""
        self.desk.sign_out()

    def session(self) -> StaffSession:
        """The live session (raises ``staff.not_signed_in`` / ``staff.session_expired``)."""
        return self.desk.current()

    # -- overrides and dual control -----------------------------------------------------------

    def request_override(
        self,
        kind: str,
        visit_id: int | None,
        reason_code: str,
        note: str = "",
        *,
        before: Any = None,
        after: Any = None,
    ) -> dict[str, Any]:
        """The signed-in staff member makes (or, under dual control, requests) an override.

        Returns:
            ``describe_override`` of it: ``state`` is ``done``, or ``pending`` until a
            supervisor approves in ``ApprovalModal.for_override``.
        """
        ov = overrides.request(
            self.store,
            self.desk.current(),
            kind,
            visit_id=visit_id,
            reason=overrides.Reason(reason_code, note),
            before=before,
            after=after,
        )
        return self.describe_override(ov.id)

    def require_effective(self, override_id: int, kind: str, visit_id: int | None) -> None:
        """Raise unless the override is in force (call right before applying its effect)."""
        overrides.require_effective(self.store, override_id, kind, visit_id=visit_id)

    def request_seal_override(self, visit_id: int | None, request: Any) -> dict[str, Any]:
        """Accepting a failed or borderline imprint (the seal station's ``OverrideRequest``).

        The check's reasons map to the typed reason (faint, incomplete, size; else ``other``
        with the staff member's words as the note). Dual control: the result is pending until a
        supervisor approves; the station's ``approve`` callback then calls
        :meth:`require_effective` before the seal is extracted.
        """
        reasons = set(getattr(request, "reasons", ()) or ())
        code = next(
            (c for r, c in SEAL_REASON_CODES.items() if r in reasons),
            "size_borderline" if getattr(request, "borderline_metrics", ()) else "other",
        )
        return self.request_override(
            "accept_seal",
            visit_id,
            code,
            str(getattr(request, "reason", "")),
            before={
                "verdict": getattr(request, "verdict", ""),
                "reasons": sorted(reasons),
                "borderline": list(getattr(request, "borderline_metrics", ())),
            },
            after={"accepted": True},
        )

    def describe_override(self, override_id: int) -> dict[str, Any]:
        """What the approval modal shows."""
        ov = overrides.get(self.store, override_id)
        return {
            "id": ov.id,
            "kind": ov.kind.value,
            "kind_zh": ov.kind.zh,
            "visit_id": ov.visit_id,
            "reason_code": ov.reason_code,
            "reason_note": ov.reason_note,
            "before": ov.before,
            "after": ov.after,
            "initiator_no": ov.initiator_no,
            "state": ov.state,
        }

    def decide_override(self, override_id: int, staff_no: str, pin: str, approve: bool) -> str:
        """A second staff member approves or rejects; returns the new state.

        Raises:
            StaffError: wrong PIN, lockout, not a supervisor, the initiator themself.
        """
        approver = self.roster.authenticate(staff_no, pin, purpose="approve")
        decide = overrides.approve if approve else overrides.reject
        return decide(self.store, override_id, approver).state

    # -- day close --------------------------------------------------------------------------

    def today(self) -> date:
        """The counter's business date now."""
        return dayclose.local_today(self.rules.timezone)

    def day_report(self, day: date) -> dict[str, Any]:
        """X-report (or the stored Z-report of a closed day)."""
        return dayclose.day_report(self.store, self.rules, day, training=self.training)

    def preview_close(self, day: date, counted: dict[str, Any]) -> ClosePreview:
        """Validate counted figures and show differences and blockers, without closing."""
        return dayclose.preview_close(
            self.store, self.rules, day, self._with_bill(day, counted), training=self.training
        )

    def authenticate_approver(self, staff_no: str, pin: str) -> str:
        """Check a supervisor for the close's differences; returns a token for :meth:`close_day`."""
        member = self.roster.authenticate(staff_no, pin, purpose="approve")
        # Checked here too (close_day checks again) so the modal refuses at once.
        require_role(self.store, member, "day.approve_difference", (Role.SUPERVISOR,))
        current = self.desk.current()
        if current.member.staff_no == member.staff_no:
            raise StaffError(
                "the clerk closing cannot approve their own differences", code="day.self_approval"
            )
        self._approvers[member.staff_no] = member
        return member.staff_no

    def close_day(
        self, day: date, counted: dict[str, Any], approver_no: str | None = None
    ) -> dict[str, Any]:
        """Close the day as the signed-in clerk; returns the Z-report."""
        approver = self._approvers.pop(approver_no, None) if approver_no else None
        return dayclose.close_day(
            self.store,
            self.rules,
            day,
            self._with_bill(day, counted),
            self.desk.current(),
            approver=approver,
            training=self.training,
        )

    def write_reports(self, report: dict[str, Any]) -> dict[str, str]:
        """Write the report's CSV, JSON and PDF; returns kind -> path ({} when not configured)."""
        if self.reports_dir is None or self.pdf_font is None:
            return {}
        return {k: str(v) for k, v in write_files(report, self.reports_dir, self.pdf_font).items()}

    def _with_bill(self, day: date, raw: dict[str, Any]) -> Counted:
        """The counted figures, WeChat/Alipay from the provider's bill when the hub answers.

        Blocking I/O when a bill is configured (the screen calls from a thread worker).
        """
        counted = self._counted(raw)
        if self.qr_bill is None:
            self.qr_notes = ()
            return counted
        fetch = self.qr_bill
        figures = qr_from_bill(counted, lambda: fetch(day))
        self.qr_notes = figures.notes
        return figures.counted

    @staticmethod
    def _counted(raw: dict[str, Any]) -> Counted:
        return dayclose.parse_counted(raw, source="counted figures")


def hub_bill(hub: Any) -> Callable[[date], Mapping[str, int]]:
    """Ask the hub (``[hub]`` settings) for the day's QR totals; no credential = unavailable."""

    def fetch(day: date) -> Mapping[str, int]:
        # Imported here: httpx loads on the first bill fetch, not while the app starts.
        from kiosk.sync.client import HubClient, HubUnavailable

        if not hub.credential:
            raise HubUnavailable("no hub credential in kiosk.toml [hub]", code="sync.no_bill")
        with HubClient(hub.url, hub.credential, timeout=hub.timeout_s) as client:
            return client.payment_bill(day)

    return fetch
