"""The issuing CA as a module the hub serves over HTTP and the kiosk can run in-process.

Public API:
    :class:`CertificateAuthority` - ``open(dir)``, ``issue_from_csr(csr_der, profile,
        subject_data, not_before, not_after) -> DER``, ``revoke(serial, reason)``, ``crl() -> DER``,
        ``status(serial)``, ``sign_as_seal_maker(data)``, ``seal_maker_der()``, ``ca_der()``.
    :class:`Profile` - ``org`` (机构), ``legal-rep`` (法人代表), ``individual`` (自然人).
    :class:`SubjectData` - unit name, USCC, person name, province, locality.
    :class:`RevocationReason` - RFC 5280 CRLReason names.
    :class:`CaError` - every refusal, with a ``code``.
    :class:`InProcessIssuer` - the kiosk's ``CertificateIssuer`` port over this CA, in-process.
"""

from hub.ca.authority import CertificateAuthority, CertStatus, RevocationReason
from hub.ca.inprocess import InProcessIssuer
from kiosk.contracts.subject import USCC_PREFIX, CaError, Profile, SubjectData, subject_data_of

__all__ = [
    "USCC_PREFIX",
    "CaError",
    "CertStatus",
    "CertificateAuthority",
    "InProcessIssuer",
    "Profile",
    "RevocationReason",
    "SubjectData",
    "subject_data_of",
]
