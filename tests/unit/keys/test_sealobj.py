"""The GB/T 38540-2020 SESeal (v4): built, read back, and checked; tampering is caught."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import core

from hub.ca import CertificateAuthority
from kiosk.contracts.sealobj import (
    SEAL_TYPE_ORG,
    SealSpec,
    SESeal,
    build_seal,
    parse_seal,
    verify_seal,
)
from kiosk.errors import SealError
from tests.keys_support import seal_png


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority.open(tmp_path_factory.mktemp("ca"))


def spec(**kw) -> SealSpec:
    t = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)
    base = dict(
        es_id="ES-DG-20261121-0001",
        name="东莞市测试科技有限公司公章",
        seal_type=SEAL_TYPE_ORG,
        certs=(b"\x30\x03\x02\x01\x01",),
        valid_start=t,
        valid_end=t.replace(year=2029),
        picture=seal_png(),
        width_mm=42,
        height_mm=42,
        created=t,
    )
    base.update(kw)
    return SealSpec(**base)


def make(ca: CertificateAuthority, **kw) -> bytes:
    return build_seal(spec(**kw), ca.seal_maker_der(), ca.seal_maker_alg, ca.sign_as_seal_maker)


def test_round_trip_keeps_every_field(ca: CertificateAuthority) -> None:
    s = spec(certs=(ca.ca_der(),))
    p = parse_seal(build_seal(s, ca.seal_maker_der(), ca.seal_maker_alg, ca.sign_as_seal_maker))
    assert (p.version, p.es_id, p.name, p.seal_type) == (4, s.es_id, s.name, SEAL_TYPE_ORG)
    assert p.certs == (ca.ca_der(),) and p.cert_list_type == 1
    assert (p.valid_start, p.valid_end, p.created) == (s.valid_start, s.valid_end, s.created)
    assert (p.picture_type, p.picture, p.width_mm, p.height_mm) == ("PNG", s.picture, 42, 42)
    assert p.maker_cert == ca.seal_maker_der()


def test_structure_is_the_standards(ca: CertificateAuthority) -> None:
    """Read with a plain generic ASN.1 parser: the field order and types of GB/T 38540 v4."""
    seal = core.Sequence.load(make(ca))
    info, cert, alg, sig = (seal[i] for i in range(4))
    assert isinstance(core.OctetString.load(cert.dump()), core.OctetString)
    assert core.ObjectIdentifier.load(alg.dump()).dotted == ca.seal_maker_alg
    assert sig.tag == 3  # BIT STRING
    header = core.Sequence.load(info.dump())[0].dump()
    h = core.Sequence.load(header)
    assert core.IA5String.load(h[0].dump()).native == "ES"
    assert core.Integer.load(h[1].dump()).native == 4


def test_verify_passes_and_checks_the_maker_chain(ca: CertificateAuthority, tmp_path: Path) -> None:
    der = make(ca, certs=(ca.ca_der(),))
    at = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    check = verify_seal(der, trusted_cas=[ca.ca_der()], at=at)
    assert check.ok, check.checks
    other = CertificateAuthority.open(tmp_path / "other")
    check = verify_seal(der, trusted_cas=[other.ca_der()], at=at)
    assert not check.ok and not check.checks["maker_issuer"][0]


def test_tampered_name_breaks_the_signature(ca: CertificateAuthority) -> None:
    der = make(ca, name="公章AAAA")
    bad = der.replace("公章AAAA".encode(), "公章BBBB".encode())
    check = verify_seal(bad, at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert not check.checks["signature"][0] and check.checks["picture"][0]


def test_picture_that_is_not_png_fails_the_picture_check(ca: CertificateAuthority) -> None:
    # another maker's GIF seal: the reader says the picture is not what the kiosk checks
    check = verify_seal(
        make(ca, picture=b"GIF89a not really", picture_type="GIF"),
        at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )
    assert check.checks["signature"][0] and not check.checks["picture"][0]
    with pytest.raises(SealError) as ei:  # and this kiosk never writes a "PNG" that is not one
        make(ca, picture=b"GIF89a not really")
    assert ei.value.code == "seal.obj_input"


def test_size_that_does_not_match_the_pixels_fails(ca: CertificateAuthority) -> None:
    check = verify_seal(
        make(ca, width_mm=42, height_mm=20), at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    )
    assert not check.checks["picture"][0]


def test_expired_seal_is_reported(ca: CertificateAuthority) -> None:
    check = verify_seal(make(ca), at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert not check.checks["validity"][0]


@pytest.mark.parametrize("data", [b"", b"not asn1", b"\x30\x03\x02\x01\x01"])
def test_not_a_seal_is_named(data: bytes) -> None:
    with pytest.raises(SealError) as ei:
        parse_seal(data)
    assert ei.value.code == "seal.obj_parse"


def test_other_version_is_named(ca: CertificateAuthority) -> None:
    seal = SESeal.load(make(ca))
    seal["e_seal_info"]["header"]["version"] = 3
    with pytest.raises(SealError, match="version 3"):
        parse_seal(seal.dump(force=True))


@pytest.mark.parametrize(
    "kw",
    [
        {"name": " "},
        {"certs": ()},
        {"es_id": "印章"},
        {"width_mm": 0},
        {"valid_end": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
    ],
    ids=["name", "certs", "es_id", "size", "validity"],
)
def test_bad_input_is_refused_before_signing(ca: CertificateAuthority, kw) -> None:
    with pytest.raises(SealError) as ei:
        make(ca, **kw)
    assert ei.value.code == "seal.obj_input"
