"""USB key services: lifecycle, issuance and after-sale services, journalled and resumable.

Public API:
    :class:`KeyService` - ``issue_new``, ``recover``, ``abandon``, ``renew``, ``replace``,
        ``change``, ``unlock``, ``pin_status``, ``cancel``, ``apply_seal``, ``wipe``,
        ``holder_key``, ``read_key``.
    :class:`IssueRequest`, :class:`IssueResult`, :class:`SealRequest`, :class:`Recovery`.
    :class:`KeyState`, :data:`TRANSITIONS`, :func:`check_transition` - the lifecycle.
    :class:`KeyRepository`, :class:`KeyRecord`, :class:`KeyJob` - the tables (migration 0010).
    :class:`PinVault` - SO PINs encrypted under the data directory's secret.
    :class:`CertificateIssuer` (port; the hub's CA in-process for tests: ``hub.ca.inprocess``).
    :data:`ISSUE_STEPS` - the journal's step names for a new issue.
"""

from kiosk.keys.issuer import CertificateIssuer
from kiosk.keys.lifecycle import TRANSITIONS, KeyState, KeyStateError, check_transition
from kiosk.keys.repository import KeyJob, KeyRecord, KeyRepository
from kiosk.keys.service import (
    ISSUE_STEPS,
    SEAL_LABEL,
    IssueRequest,
    IssueResult,
    KeyService,
    KeyServiceError,
    Recovery,
    SealRequest,
)
from kiosk.keys.vault import PinVault, random_digits, random_so_pin

__all__ = [
    "ISSUE_STEPS",
    "SEAL_LABEL",
    "TRANSITIONS",
    "CertificateIssuer",
    "IssueRequest",
    "IssueResult",
    "KeyJob",
    "KeyRecord",
    "KeyRepository",
    "KeyService",
    "KeyServiceError",
    "KeyState",
    "KeyStateError",
    "PinVault",
    "Recovery",
    "SealRequest",
    "check_transition",
    "random_digits",
    "random_so_pin",
]
