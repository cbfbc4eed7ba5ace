"""The visit's seal step: choose the seal type, open the live seal screen, hand the frame on.

The visit screen (screens/visit.py) takes :class:`SealStep` as a base: at the seal step it shows
the program's seal types and the hint to hold the 电子印章申请表 under the camera; Enter (or
the button) asks the visit port for a started seal station in a thread worker (the camera's
first picture, or the refusal in words: no camera, and what to do next) and pushes
:class:`VisitSealScreen`, the live seal screen (half-block preview, capture, retake, accept).
An accepted imprint is saved as the visit's evidence file and run through the flow engine's
seal step, which measures it again and extracts the seal for the key.

A failed or borderline imprint is accepted only by signed-in staff with a reason: the staff
area records the ``accept_seal`` override (dual control: a supervisor approves it on the kiosk
in the approval modal), and the engine reads who made and approved it from that record.

Signed-in staff may give a photo file instead of the camera (the counter's fallback when the
camera is broken); it goes through the same seal screen, check and override rule.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from kiosk.errors import KioskError
from kiosk.seal.view import OverrideRequest, SealAcceptance, SealCheck, StaffUser
from screens.approval import ApprovalModal
from screens.base import KioskScreen
from screens.host import current_lang, host
from screens.i18n import Bi, bi, t
from screens.seal import CAMERA_KEYS, SealScreen, SealStationPort
from screens.staff_port import StaffPort
from screens.widgets.text import LangButton, LangText

if TYPE_CHECKING:  # what the screen reads of the engine's answers (no visit code)
    from screens.visit_view import VisitView

#: Catalogue keys of the seal types (written out so the catalogue test sees each one).
SEAL_TYPE_KEYS = {
    "official": "visit.seal_type_official",
    "contract": "visit.seal_type_contract",
    "mortgage": "visit.seal_type_mortgage",
    "credit": "visit.seal_type_credit",
}


class VisitSealScreen(SealScreen):
    """The live seal screen inside a visit: Esc goes back to the visit; a staff override is
    recorded by the staff area (and approved by a supervisor) before the imprint is taken.

    Args:
        station: a started seal station.
        staff: the staff area (None: no staff screens, so no override is possible).
        visit_id: the visit the override is recorded against.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *SealScreen.BINDINGS,
        Binding("escape", "leave", show=False),
    ]
    HINTS = (*SealScreen.HINTS, "keys.back", "keys.staff")
    #: F12 here signs staff in and comes back to this screen (not to staff mode).
    STAFF_SIGN_IN_RETURNS = True

    class OverrideRecorded(Message):
        """The staff area recorded the override (``state``: done, or pending approval)."""

        def __init__(
            self, check: SealCheck, staff: StaffUser, reason: str, override: dict[str, Any]
        ) -> None:
            super().__init__()
            self.check = check
            self.staff = staff
            self.reason = reason
            self.override = override

    class OverrideRefused(Message):
        """The staff area refused the override (role, reason)."""

        def __init__(self, error: KioskError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, station: SealStationPort, staff: StaffPort | None, visit_id: int | None):
        super().__init__(station, self._signed_in, name="visit-seal")
        self.staff = staff
        self.visit_id = visit_id
        #: The ``accept_seal`` override in force for the accepted imprint, if one was needed.
        self.override_id: int | None = None
        self._staff_before = False

    def on_mount(self) -> None:
        self._staff_before = self._signed_in() is not None

    def on_unmount(self) -> None:
        # Staff who signed in here for an override do not stay signed in behind the applicant.
        staff = self.staff
        if staff is not None and not self._staff_before and staff.current() is not None:
            threading.Thread(target=staff.sign_out, name="seal-staff-out", daemon=True).start()

    def on_seal_screen_approval_required(self, msg: SealScreen.ApprovalRequired) -> None:
        self.notify(t("visit.seal_staff_sign_in", current_lang(self)), timeout=8)

    def _signed_in(self) -> StaffUser | None:
        who = self.staff.current() if self.staff is not None else None
        return None if who is None else StaffUser(who.staff_no, who.name, who.role)

    def action_leave(self) -> None:
        """Back to the visit without an imprint (the seal step is asked again there)."""
        self.dismiss(None)

    def on_seal_screen_camera_problem(self, msg: SealScreen.CameraProblem) -> None:
        # The seal screen's own words, and the next step inside a visit.
        msg.prevent_default()
        what = (
            bi(CAMERA_KEYS[msg.code]) if msg.code in CAMERA_KEYS else Bi(msg.message, msg.message)
        )
        nxt = bi("visit.seal_cam_next")
        self.query_one("#camera", LangText).set_text(
            Bi(f"{what.zh}\n{nxt.zh}", f"{what.en}\n{nxt.en}")
        )

    def _finish(self, check: SealCheck, staff: StaffUser | None, reason: str | None) -> None:
        if not check.needs_staff or staff is None or self.staff is None or not reason:
            super()._finish(check, staff, reason)
            return
        self._record_override(check, staff, reason)

    @work(thread=True, exclusive=True, exit_on_error=False, group="seal-override")
    def _record_override(self, check: SealCheck, staff: StaffUser, reason: str) -> None:
        a = check.analysis
        request = OverrideRequest(
            staff_no=staff.staff_no,
            reason=reason.strip(),
            verdict=a.verdict,
            reasons=tuple(a.reasons),
            borderline_metrics=tuple(a.borderline_metrics),
            metrics=a.to_json(),
        )
        assert self.staff is not None
        try:
            ov = self.staff.request_seal_override(self.visit_id, request)
        except KioskError as e:
            self.post_message(self.OverrideRefused(e))
            return
        self.post_message(self.OverrideRecorded(check, staff, reason, ov))

    def on_visit_seal_screen_override_refused(self, msg: OverrideRefused) -> None:
        self.notify(msg.error.message, title=msg.error.title, severity="error", timeout=8)

    def on_visit_seal_screen_override_recorded(self, msg: OverrideRecorded) -> None:
        ov = msg.override
        if ov.get("state") in ("done", "approved"):
            self._take(msg.check, msg.staff, msg.reason, int(ov["id"]))
            return
        assert self.staff is not None
        self.notify(t("visit.seal_need_supervisor", current_lang(self)), timeout=8)

        def decided(result: Any) -> None:
            if result == "approved":
                self._take(msg.check, msg.staff, msg.reason, int(ov["id"]))
            else:
                self.notify(
                    t("visit.seal_override_not_approved", current_lang(self)),
                    severity="warning",
                    timeout=8,
                )

        self.app.push_screen(ApprovalModal.for_override(self.staff, int(ov["id"])), decided)

    def _take(self, check: SealCheck, staff: StaffUser, reason: str, override_id: int) -> None:
        self.override_id = override_id
        super()._finish(check, staff, reason)


class SealStep(KioskScreen):
    """The seal step of :class:`screens.visit.VisitScreen` (its base class).

    The visit screen provides ``port``, ``flow``, ``busy``, ``_set_busy``, ``_say_error``,
    ``_heading``, ``_body``, ``_next_label`` and ``_post_answer``.
    """

    port: Any
    flow: Any
    busy: bool
    visit: VisitView | None
    seal_type: str | None = None
    #: The photo field is on screen (staff were signed in when the step was drawn).
    _photo_shown = False
    #: Staff signed in (F12) at this seal step: signed out again when it is done or left.
    _staff_signed_here = False

    @property
    def STAFF_SIGN_IN_RETURNS(self) -> bool:
        """At the seal step, F12 signs staff in and comes back here (the photo fallback)."""
        return self._at_seal()

    def _at_seal(self) -> bool:
        return self.visit is not None and self.visit.next_step == "seal"

    def _staff_no(self) -> str | None:
        staff = host(self).staff
        who = staff.current() if staff is not None else None
        return None if who is None else who.staff_no

    class SealStationOpened(Message):
        """The seal camera gave its first picture (or the staff's photo was loaded)."""

        def __init__(self, station: Any, source: str) -> None:
            super().__init__()
            self.station = station
            self.source = source

    # -- provided by the visit screen ---------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        raise NotImplementedError

    def _say_error(self, error: KioskError | None) -> None:
        raise NotImplementedError

    def _heading(self, key: str, **values: object) -> None:
        raise NotImplementedError

    def _body(self, *widgets: Widget) -> None:
        raise NotImplementedError

    def _next_label(self, key: str) -> None:
        raise NotImplementedError

    def _post_answer(self, state: VisitView | None, error: KioskError | None) -> None:
        raise NotImplementedError

    # -- showing ------------------------------------------------------------------------------
    def _seal_types(self) -> list[str]:
        try:
            return list(self.port.seal_types(self.flow))
        except KioskError:
            return ["official"]

    def _show_seal(self, state: VisitView) -> None:
        types = self._seal_types() or ["official"]
        if self.seal_type not in types:
            self.seal_type = types[0]
        self._heading("visit.seal_heading")
        widgets: list[Widget] = [
            LangText("visit.seal_hint", classes="hint"),
            LangText("visit.seal_type_label", classes="field-label"),
        ]
        for st in types:
            button = LangButton(
                SEAL_TYPE_KEYS.get(st, "visit.seal_type_official"),
                id=f"seal-type-{st}",
                classes="seal-type",
                variant="primary" if st == self.seal_type else "default",
            )
            widgets.append(button)
        widgets.append(LangText(self._seal_type_line(), id="seal-type-chosen", classes="hint"))
        self._photo_shown = self._staff_no() is not None
        if self._photo_shown:  # the counter's fallback when the camera is broken: staff only
            widgets += [
                LangText("visit.seal_photo_label", classes="field-label"),
                Input(id="seal-photo", max_length=300, placeholder="/…/imprint.jpg"),
            ]
        else:
            widgets.append(LangText("visit.seal_photo_staff", classes="hint"))
        self._body(*widgets)
        self._next_label("visit.seal_check")

    def on_screen_resume(self) -> None:
        # Back from the staff sign-in (F12) or the seal screen: the photo field follows whether
        # staff are signed in now.
        if not self._at_seal() or self.busy or self.visit is None:
            return
        signed = self._staff_no() is not None
        if signed and not self._photo_shown:
            self._staff_signed_here = True
        if signed != self._photo_shown:
            self._show_seal(self.visit)

    def on_unmount(self) -> None:
        self._sign_out_if_signed_here()

    def _sign_out_if_signed_here(self) -> None:
        staff = host(self).staff
        if self._staff_signed_here and staff is not None:
            self._staff_signed_here = False
            threading.Thread(target=staff.sign_out, name="seal-staff-out", daemon=True).start()

    def _seal_type_line(self) -> Bi:
        chosen = bi(SEAL_TYPE_KEYS.get(self.seal_type or "official", "visit.seal_type_official"))
        line = bi("visit.seal_type_chosen")
        return Bi(line.zh.format(type=chosen.zh), line.en.format(type=chosen.en))

    def seal_type_chosen(self, seal_type: str) -> None:
        """A seal type button was pressed."""
        self.seal_type = seal_type
        for button in self.query(".seal-type").results(LangButton):
            button.variant = "primary" if button.id == f"seal-type-{seal_type}" else "default"
        found = self.query("#seal-type-chosen")
        if found:
            found.first(LangText).set_text(self._seal_type_line())

    # -- the camera, in workers ---------------------------------------------------------------
    def seal_next(self, photo: str) -> None:
        """The step's main button: open the camera (or the staff's photo file)."""
        if self.busy or self.flow is None:
            return
        self._say_error(None)
        self._set_busy(True)
        self._open_station(self.seal_type or "official", photo or None, self._staff_no())

    @work(thread=True, exclusive=True, group="visit", exit_on_error=False)
    def _open_station(self, seal_type: str, photo: str | None, staff_no: str | None) -> None:
        try:
            station = self.port.seal_station(self.flow, seal_type, photo=photo, staff_no=staff_no)
        except KioskError as e:
            self._post_answer(self.port.state(self.flow), e)
            return
        self.post_message(self.SealStationOpened(station, "photo" if photo else "camera"))

    def on_seal_step_seal_station_opened(self, msg: SealStationOpened) -> None:
        msg.stop()
        self._set_busy(False)
        flow = self.flow
        screen = VisitSealScreen(msg.station, host(self).staff, getattr(flow, "visit_id", None))
        seal_type = self.seal_type or "official"

        def taken(acceptance: SealAcceptance | None) -> None:
            if acceptance is None:
                self.query_one("#visit-error", LangText).set_text("visit.seal_left")
                return
            self._set_busy(True)
            self._run_seal(acceptance, seal_type, screen.override_id, msg.source)

        self.app.push_screen(screen, taken)

    @work(thread=True, exclusive=True, group="visit", exit_on_error=False)
    def _run_seal(
        self, acceptance: SealAcceptance, seal_type: str, override_id: int | None, source: str
    ) -> None:
        try:
            inputs = self.port.seal_inputs(
                self.flow, acceptance, seal_type, override_id=override_id, source=source
            )
            state = self.port.run(self.flow, "seal", inputs)
        except KioskError as e:
            self._post_answer(self.port.state(self.flow), e)
            return
        self.app.call_from_thread(self._sign_out_if_signed_here)
        self._post_answer(state, None)
