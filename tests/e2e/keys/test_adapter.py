"""The PKCS#11 reader adapter against SoftHSM2: listing, initialising, PIN states, pulls."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.token import KeyAlgorithm, Pkcs11Tokens, open_tokens
from kiosk.errors import TokenError

pytestmark = [pytest.mark.e2e, pytest.mark.needs_softhsm]


@pytest.fixture
def reader(tmp_path: Path):
    t = open_tokens(
        "/usr/lib/softhsm/libsofthsm2.so", standin_dir=tmp_path / "tokens", blank_slots=3
    )
    yield t
    t.close()


def test_a_blank_key_is_told_from_an_issued_one(reader: Pkcs11Tokens) -> None:
    blank = reader.one_key(blank=True)
    assert blank.blank and blank.serial == "" and blank.ident.startswith("blank@")
    k = reader.init_token(blank, so_pin="so-pin-1234", label="DG-20261121-0001")
    assert not k.blank and k.serial and k.label == "DG-20261121-0001"
    assert not k.user_pin_initialised
    info = reader.one_key(blank=False)  # the new blank slot is the next key in stock, not here
    assert info.serial == k.serial
    with pytest.raises(TokenError) as ei:
        reader.one_key(blank=True)
    assert ei.value.code == "token.not_blank"


def test_pin_flags_follow_wrong_tries_and_reset(reader: Pkcs11Tokens) -> None:
    k = reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label="L")
    with reader.session(k.serial, so_pin="so-pin-1234") as s:
        s.init_user_pin("12345678")
    with pytest.raises(TokenError) as ei, reader.session(k.serial, user_pin="87654321"):
        pass
    assert ei.value.code == "token.wrong_pin"
    assert reader.key(k.serial).user_pin.count_low
    # the leaked session of the failed login must not block an SO login (STACK.md trap)
    with reader.session(k.serial, so_pin="so-pin-1234") as s:
        s.init_user_pin("11112222")
    with reader.session(k.serial, user_pin="11112222"):
        pass
    assert not reader.key(k.serial).user_pin.count_low


def test_wrong_so_pin_when_reinitialising(reader: Pkcs11Tokens) -> None:
    k = reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label="L")
    with pytest.raises(TokenError) as ei:
        reader.init_token(k, so_pin="x", current_so_pin="wrong-so-pin", label="")
    assert ei.value.code == "token.wrong_pin" and "SO PIN" in ei.value.message


def test_label_longer_than_32_bytes_is_refused(reader: Pkcs11Tokens) -> None:
    with pytest.raises(TokenError) as ei:
        reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label="东" * 11)
    assert ei.value.code == "token.label"


@pytest.mark.parametrize("alg", list(KeyAlgorithm))
def test_keys_are_made_on_the_key_and_sign(reader: Pkcs11Tokens, alg: KeyAlgorithm) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    k = reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label="L")
    with reader.session(k.serial, so_pin="so-pin-1234") as s:
        s.init_user_pin("12345678")
    with reader.session(k.serial, user_pin="12345678", rw=True) as s:
        spki = s.generate_keypair(b"\x01", alg, label="pair")
        sig, name = s.sign(b"\x01", b"challenge")
        kinds = sorted(o.kind for o in s.objects())
    assert kinds == ["private_key", "public_key"]
    pub = serialization.load_der_public_key(spki)
    if alg is KeyAlgorithm.EC_P256:
        assert name == "sha256_ecdsa"
        pub.verify(sig, b"challenge", ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg]
    else:
        assert name == "sha256_rsa" and pub.key_size == 2048  # type: ignore[union-attr]
        pub.verify(sig, b"challenge", padding.PKCS1v15(), hashes.SHA256())  # type: ignore[call-arg]
    # without a login the private key is not even listed
    with reader.session(k.serial) as s:
        assert "private_key" not in [o.kind for o in s.objects()]


def test_a_key_pulled_mid_session_is_named(reader: Pkcs11Tokens) -> None:
    k = reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label="L")
    with reader.session(k.serial, so_pin="so-pin-1234") as s:
        s.init_user_pin("12345678")
    with (
        pytest.raises(TokenError) as ei,
        reader.session(k.serial, user_pin="12345678", rw=True) as s,
    ):
        reader.standin.pull(k.serial)
        s.write_data("x", "app", b"data")
    assert ei.value.code == "token.removed"
    with pytest.raises(TokenError) as ei:
        reader.session(k.serial).__enter__()
    assert ei.value.code == "token.removed"
    reader.standin.insert(k.serial)
    assert reader.key(k.serial).serial == k.serial


def test_blank_stock_runs_out(reader: Pkcs11Tokens) -> None:
    for i in range(3):
        k = reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label=f"L{i}")
        reader.standin.pull(k.serial)
        reader.standin.insert_blank()
    with pytest.raises(TokenError) as ei:
        reader.one_key(blank=True)
    assert ei.value.code == "token.no_key"


def test_initialising_with_a_stale_slot_id_hits_the_right_key(reader: Pkcs11Tokens) -> None:
    import dataclasses

    issued = reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label="A")
    reader.standin.insert_blank()
    reader.rescan()  # SoftHSM renumbers its slots on every re-scan
    blank = next(k for k in reader.keys() if k.blank)  # noqa: SIM118
    # what a caller holding an old KeyInfo has: the serial, and a slot id now used by another key
    stale = dataclasses.replace(issued, slot_id=blank.slot_id)
    wiped = reader.init_token(
        stale, so_pin="so-pin-1234", current_so_pin="so-pin-1234", label="WIPED"
    )
    assert wiped.serial == issued.serial and wiped.label == "WIPED"
    assert any(k.blank for k in reader.keys())  # the blank key was not touched  # noqa: SIM118


def test_a_poll_restarts_the_module_only_when_the_reader_changed(
    reader: Pkcs11Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    restarts: list[int] = []
    real = reader.rescan

    def counted() -> None:
        restarts.append(1)
        real()

    monkeypatch.setattr(reader, "rescan", counted)
    reader.keys()
    before = len(restarts)
    reader.keys()
    k = reader.init_token(reader.one_key(blank=True), so_pin="so-pin-1234", label="L")
    assert len(restarts) == before  # nothing put in or pulled: no restart
    reader.keys()
    before = len(restarts)
    # pulled and put back between two polls: still a change, the module starts again
    reader.standin.pull(k.serial)
    reader.standin.insert(k.serial)
    present = reader.keys()
    assert [x.serial for x in present] == [k.serial]
    assert len(restarts) == before + 1
    reader.standin.pull(k.serial)
    assert reader.keys() == []
    reader.standin.insert(k.serial)
    assert reader.key(k.serial).serial == k.serial
