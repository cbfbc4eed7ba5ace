"""The visit's refusals in words: the engine's error code -> what happened and what to do next.

Apart from the visit screen so the read-only supervisor console can word a failed visit the same
way without importing the visit's step panels (and, through them, the payment devices).
"""

from __future__ import annotations

from screens.i18n import Bi, t
from screens.visit_services import ERROR_KEYS as SERVICE_ERROR_KEYS


# The engine's refusal codes the screen words itself (what happened and what to do next);
# any other code shows the engine's message with the general next step.
def _code(area: str, what: str) -> str:
    # Codes are written in two parts so they are not mistaken for catalogue keys (same shape).
    return f"{area}.{what}"


ERROR_KEYS = {
    _code("visit", "unknown_order"): "visit.err_unknown_order",
    _code("visit", "order_required"): "visit.err_unknown_order",
    _code("visit", "agent_missing"): "visit.err_agent",
    _code("visit", "id_expired"): "visit.err_id_expired",
    _code("visit", "uscc_missing"): "visit.err_uscc",
    _code("identifier", "uscc"): "visit.err_uscc",
    _code("visit", "unit_missing"): "visit.err_unit",
    _code("seal", "check_failed"): "visit.err_seal",
    _code("visit", "seal_image_missing"): "visit.err_seal",
    _code("visit", "payment_missing"): "visit.err_payment",
    _code("visit", "not_paid"): "visit.err_payment",
    _code("visit", "pin_required"): "visit.err_pin",
    _code("token", "wrong_pin"): "visit.err_pin_wrong",
    _code("visit", "no_camera"): "visit.err_camera",
    _code("visit", "photo_staff_only"): "visit.seal_err_photo_staff",
    _code("seal", "not_found"): "visit.seal_err_photo",
    _code("seal", "not_image"): "visit.seal_err_photo",
    _code("seal", "too_large"): "visit.seal_err_photo",
    _code("seal", "truncated"): "visit.seal_err_photo",
    _code("override", "not_approved"): "visit.seal_err_override",
    _code("override", "mismatch"): "visit.seal_err_override",
    _code("visit", "offline_queued"): "visit.err_offline_queued",
    _code("visit", "not_arrived"): "visit.err_not_arrived",
    _code("visit", "nothing_waiting"): "visit.err_nothing_waiting",
    _code("pickup", "wrong_agent"): "visit.err_wrong_agent",
}


# The pay step, the transfer wait, the unit type and address (screens/visit_pay.py).
PAY_ERROR_KEYS = {
    _code("payment", "bad_code"): "visit.err_pay_bad_code",
    _code("payment", "refused"): "visit.err_pay_refused",
    _code("payment", "not_confirmed"): "visit.err_pay_not_confirmed",
    _code("payment", "unclear"): "visit.err_pay_unclear",
    _code("payment", "provider_offline"): "visit.err_pay_offline",
    _code("payment", "bad_reference"): "visit.err_pay_reference",
    _code("payment", "duplicate_reference"): "visit.err_pay_duplicate_ref",
    _code("payment", "payer_mismatch"): "visit.err_pay_payer",
    _code("payment", "payer_missing"): "visit.err_pay_payer",
    _code("payment", "cancelled"): "visit.err_pay_cancelled",
    _code("visit", "payment_open"): "visit.err_pay_open",
    _code("visit", "qr_waiting"): "visit.err_pay_qr_waiting",
    _code("visit", "not_paid"): "visit.err_not_paid",
    _code("staff", "unknown"): "visit.err_staff_pin",
    _code("staff", "wrong_pin"): "visit.err_staff_pin",
    _code("staff", "locked"): "visit.err_staff_locked",
    _code("staff", "forbidden"): "visit.err_staff_role",
    _code("staff", "disabled"): "visit.err_staff_locked",
    _code("visit", "renew_too_long"): "visit.err_renew_too_long",
    _code("unit", "type"): "visit.err_unit_type",
    _code("address", "missing"): "visit.err_address",
    _code("address", "too_short"): "visit.err_address",
    _code("address", "too_long"): "visit.err_address",
    _code("address", "bad_char"): "visit.err_address",
    _code("address", "not_chinese"): "visit.err_address",
}
ERROR_KEYS.update(PAY_ERROR_KEYS)
# The services on an existing key (screens/visit_services.py): escrow, refunds, the key.
ERROR_KEYS.update(SERVICE_ERROR_KEYS)


def error_text(code: str, message: str) -> Bi:
    """A refusal in words with the next step, in both languages."""
    key = ERROR_KEYS.get(code)
    if key is None:
        for prefix, k in (
            ("identifier.", "visit.err_uscc"),
            ("uscc.", "visit.err_uscc"),
            ("payment.", "visit.err_payment"),
            ("token.", "visit.err_key"),
            ("keys.", "visit.err_key"),
            ("sync.", "visit.err_hub"),
            ("seal.", "visit.err_seal"),
        ):
            if code.startswith(prefix):
                key = k
                break
    if key is None:
        return _lit(
            t("visit.err_other", "zh-CN", detail=message, code=code),
            t("visit.err_other", "en", detail=message, code=code),
        )
    # The screen's own refusals (a choice not made yet) carry no detail beyond the words.
    detail = "visit.err_detail" if message else "svc.err_code"
    return _lit(
        t(key, "zh-CN") + t(detail, "zh-CN", detail=message, code=code),
        t(key, "en") + t(detail, "en", detail=message, code=code),
    )


def _lit(zh: str, en: str) -> Bi:
    return Bi(zh.replace("{", "{{").replace("}", "}}"), en.replace("{", "{{").replace("}", "}}"))
