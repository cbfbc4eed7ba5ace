"""What the staff screens ask of the staff area (``kiosk.shell.staff_desk.StaffService``).

Screens never import the store or the reader; the app hands them an object with these methods
(``Services.staff``). Every call may block (argon2, the card reader): screens call them in
thread workers. Refusals raise ``KioskError`` with a ``code``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol


class SignedInView(Protocol):
    """Who is signed in."""

    staff_no: str
    name: str
    role: str
    role_zh: str


class StaffPort(Protocol):
    """Sign-in, approvals and the day close."""

    def sign_in(self, staff_no: str, pin: str) -> SignedInView: ...

    def read_card(self, timeout_s: float | None = None) -> str: ...

    def card_holder(self, uid: str) -> SignedInView: ...

    def sign_in_card(self, uid: str, pin: str) -> SignedInView: ...

    def current(self) -> SignedInView | None: ...

    def touch(self) -> None: ...

    def sign_out(self) -> None: ...

    def request_override(
        self,
        kind: str,
        visit_id: int | None,
        reason_code: str,
        note: str = "",
        *,
        before: Any = None,
        after: Any = None,
    ) -> dict[str, Any]: ...

    def request_seal_override(self, visit_id: int | None, request: Any) -> dict[str, Any]: ...

    def require_effective(self, override_id: int, kind: str, visit_id: int | None) -> None: ...

    def decide_override(self, override_id: int, staff_no: str, pin: str, approve: bool) -> str: ...

    def describe_override(self, override_id: int) -> dict[str, Any]: ...

    def today(self) -> date: ...

    def day_report(self, day: date) -> dict[str, Any]: ...

    def preview_close(self, day: date, counted: dict[str, Any]) -> Any: ...

    def authenticate_approver(self, staff_no: str, pin: str) -> str: ...

    def close_day(
        self, day: date, counted: dict[str, Any], approver_no: str | None = None
    ) -> dict[str, Any]: ...

    def write_reports(self, report: dict[str, Any]) -> dict[str, str]: ...
