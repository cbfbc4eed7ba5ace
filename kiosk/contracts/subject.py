"""Certificate profiles: what goes into the subject and the extensions, per certificate kind.

The unit's USCC goes into ``organizationIdentifier`` (X.520 2.5.4.97) as ``NTRCN-<USCC>``:
organizationIdentifier is the attribute X.520 defines for "an identification of an organization
different from the organization name", and the ETSI EN 319 412-1 form (NTR = national trade
register, CN = the country) tells a relying party which register the number comes from. The other
candidate, ``serialNumber`` (2.5.4.5), identifies the *subject*; in a 法人代表 certificate the
subject is the person, so the unit's number there would be misread as the person's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.errors import KioskError


class CaError(KioskError):
    """The CA refused a request (bad CSR, unknown profile, missing subject data, unknown serial)."""

    title = "Certificate authority"
    code = "ca.error"


class Profile(StrEnum):
    """Certificate kinds (证书类型)."""

    ORG = "org"  # 机构证书
    LEGAL_REP = "legal-rep"  # 法人代表证书
    INDIVIDUAL = "individual"  # 自然人证书


#: USCC prefix in organizationIdentifier (ETSI EN 319 412-1: national trade register, China).
USCC_PREFIX = "NTRCN-"

#: RFC 9336 id-kp-documentSigning: the certificate signs documents (electronic seals).
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@dataclass(frozen=True)
class SubjectData:
    """Who the certificate is for.

    Attributes:
        unit_name: the unit's registered name (机构, 法人代表).
        uscc: the unit's 统一社会信用代码 (机构, 法人代表).
        person_name: the holder's name (法人代表, 自然人).
        province, locality: where the unit or person is (default 广东省 / 东莞市).
    """

    unit_name: str = ""
    uscc: str = ""
    person_name: str = ""
    province: str = "广东省"
    locality: str = "东莞市"

    def to_dict(self) -> dict[str, str]:
        """Plain data (for the hub's JSON and the kiosk's store)."""
        return {
            "unit_name": self.unit_name,
            "uscc": self.uscc,
            "person_name": self.person_name,
            "province": self.province,
            "locality": self.locality,
        }

    @classmethod
    def from_dict(cls, d: dict[str, str]) -> SubjectData:
        """Inverse of :meth:`to_dict` (unknown keys are refused)."""
        try:
            return cls(**d)
        except TypeError as e:
            raise CaError(f"Bad subject data: {e}", code="ca.bad_subject") from e


def subject_name(profile: Profile, data: SubjectData) -> x509.Name:
    """The subject DN for a profile.

    Raises:
        CaError: ``ca.bad_subject`` when a field the profile needs is empty.
    """
    need = {
        Profile.ORG: ("unit_name", "uscc"),
        Profile.LEGAL_REP: ("unit_name", "uscc", "person_name"),
        Profile.INDIVIDUAL: ("person_name",),
    }[profile]
    missing = [f for f in need if not getattr(data, f).strip()]
    if missing:
        raise CaError(
            f"A {profile.value} certificate needs {', '.join(missing)}", code="ca.bad_subject"
        )
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if data.province:
        attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, data.province))
    if data.locality:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, data.locality))
    if profile in (Profile.ORG, Profile.LEGAL_REP):
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, data.unit_name))
        attrs.append(
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, USCC_PREFIX + data.uscc.upper())
        )
    cn = data.unit_name if profile is Profile.ORG else data.person_name
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def subject_data_of(cert: x509.Certificate) -> SubjectData:
    """Read the subject data back from a certificate this CA issued."""

    def one(oid: x509.ObjectIdentifier) -> str:
        vals = cert.subject.get_attributes_for_oid(oid)
        return str(vals[0].value) if vals else ""

    org_id = one(NameOID.ORGANIZATION_IDENTIFIER)
    unit = one(NameOID.ORGANIZATION_NAME)
    cn = one(NameOID.COMMON_NAME)
    return SubjectData(
        unit_name=unit,
        uscc=org_id.removeprefix(USCC_PREFIX),
        person_name="" if cn == unit else cn,  # an org certificate's CN is the unit
        province=one(NameOID.STATE_OR_PROVINCE_NAME),
        locality=one(NameOID.LOCALITY_NAME),
    )


def end_entity_extensions(profile: Profile) -> list[tuple[x509.ExtensionType, bool]]:
    """Key usage and EKU of a holder's certificate: signing (documents, seals) and login."""
    ku = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # non-repudiation: documents and seals are signed with it
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, DOCUMENT_SIGNING])
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (ku, True),
        (eku, False),
    ]


def encryption_extensions(
    public_key: object,
) -> list[tuple[x509.ExtensionType, bool]]:
    """Key usage of a holder's *encryption* certificate (双证书: the KMC's escrowed key pair):
    keyEncipherment for an RSA key, keyAgreement for an EC key; never digitalSignature or
    nonRepudiation, so the escrowed key can never pass for the holder's signature."""
    from cryptography.hazmat.primitives.asymmetric import ec

    is_ec = isinstance(public_key, ec.EllipticCurvePublicKey)
    ku = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=not is_ec,
        data_encipherment=False,
        key_agreement=is_ec,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (ku, True),
    ]
