"""Invoice details (广东增值税电子普通发票): title, taxpayer number, phone, e-mail."""

from __future__ import annotations

import re

from kiosk.errors import PaymentError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_MOBILE = re.compile(r"^1\d{10}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_TAXPAYER = re.compile(r"^[0-9A-Z]{15,20}$")


def check_invoice(*, title: str, taxpayer_no: str, phone: str, email: str) -> dict[str, str]:
    """Validated, trimmed invoice fields.

    The taxpayer number is the unit's 统一社会信用代码 (18 characters, check character
    verified) or an older 15–20 character tax number.

    Raises:
        PaymentError: ``invoice.invalid``, naming the field and what is expected.
    """
    title, taxpayer_no = title.strip(), taxpayer_no.strip().upper()
    phone, email = phone.strip().replace(" ", ""), email.strip()

    def bad(field: str, why: str) -> PaymentError:
        return PaymentError(f"invoice {field}: {why}", code="invoice.invalid")

    if not title:
        raise bad("title", "required (the unit's full name, or the person's name)")
    if not _TAXPAYER.match(taxpayer_no):
        raise bad("taxpayer number", "15 to 20 digits or capital letters (the USCC has 18)")
    if len(taxpayer_no) == 18:
        from stdnum.cn import uscc
        from stdnum.exceptions import ValidationError

        try:
            uscc.validate(taxpayer_no)
        except ValidationError:
            raise bad(
                "taxpayer number", f"{taxpayer_no} is not a valid USCC (check character)"
            ) from None
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise bad(
            "phone", "an 11-digit mobile number starting with 1, or a landline like 0769-22223333"
        )
    if not _EMAIL.match(email):
        raise bad("e-mail", f"{email!r} is not an e-mail address")
    return {"title": title, "taxpayer_no": taxpayer_no, "phone": phone, "email": email}
