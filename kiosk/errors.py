"""One exception tree for the whole kiosk.

Every error a person can meet is a :class:`KioskError` with a short ``title`` and a ``message``
a counter clerk understands (English here; screens translate by ``code``). Adapters translate
vendor exceptions (pyscard, pkcs11, escpos, cv2, httpx) at the boundary with ``raise … from e``,
so none of those ever reaches a screen or the CLI.
"""

from __future__ import annotations


class KioskError(Exception):
    """Base of every error the kiosk reports to a person.

    Args:
        message: what happened and what to do next, in words.
        code: a stable machine name (``"idcard.no_reader"``) screens use to pick zh-CN text.
        title: a short heading; defaults to the class's ``title``.
    """

    title = "Kiosk error"
    code = "kiosk.error"

    def __init__(self, message: str, *, code: str | None = None, title: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ConfigError(KioskError):
    """kiosk.toml (or another settings file) is wrong: names the file, key and what is allowed."""

    title = "Configuration error"
    code = "config.invalid"


class UsageError(KioskError):
    """A CLI argument or a request is outside the allowed choices (exit status 2)."""

    title = "Invalid input"
    code = "usage.invalid"


class DomainError(KioskError):
    """A counter rule refuses the request (wrong service for the program, years out of range, …)."""

    title = "Not allowed by the counter's rules"
    code = "domain.refused"


class ChoiceError(UsageError, DomainError):
    """A request names a choice the program does not offer (service, kind, years, seal).

    Both a usage error (the CLI exits 2 with the valid choices) and a domain refusal (screens that
    catch ``DomainError`` see it too). The message lists what is allowed.
    """

    title = "Not offered"
    code = "domain.choice"


class IdentifierError(KioskError):
    """An ID number, credit code or phone number is not valid (the code names the rule)."""

    title = "Invalid number"
    code = "identifier.invalid"


class StoreError(KioskError):
    """The local SQLite store cannot be opened, migrated or written."""

    title = "Local storage error"
    code = "store.error"


class DeviceError(KioskError):
    """Base of every device failure (reader, token, camera, printer)."""

    title = "Device error"
    code = "device.error"


class IdCardError(DeviceError):
    """The ID card could not be read or is not valid."""

    title = "ID card"
    code = "idcard.error"


class TokenError(DeviceError):
    """A USB key (PKCS#11 token) operation failed."""

    title = "USB key"
    code = "token.error"
    #: On ``token.wrong_pin``: the tries the key says are left (None when it does not tell).
    tries_left: int | None = None


class CameraError(DeviceError):
    """The seal camera is missing, lost, or gave no usable frame."""

    title = "Camera"
    code = "camera.error"


class SealError(KioskError):
    """A seal image is unusable (not an image, too large, …) or a seal object is invalid."""

    title = "Seal"
    code = "seal.error"


class PrinterError(DeviceError):
    """The receipt printer is offline, out of paper, or refused a job."""

    title = "Printer"
    code = "printer.error"


class SyncError(KioskError):
    """The back office (hub) cannot be reached or answered badly."""

    title = "Back office"
    code = "sync.error"


class PaymentError(KioskError):
    """A payment or refund is refused (amount, state, method)."""

    title = "Payment"
    code = "payment.error"


class StaffError(KioskError):
    """Sign-in, role or approval refused."""

    title = "Staff"
    code = "staff.error"


class VisitError(KioskError):
    """A visit step cannot run (wrong state, missing prerequisite)."""

    title = "Visit"
    code = "visit.error"
