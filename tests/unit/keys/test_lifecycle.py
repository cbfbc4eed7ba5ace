"""The key lifecycle: the allowed transitions, recorded with who/when/why/visit."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from data.store import Store
from kiosk.keys import TRANSITIONS, KeyRepository, KeyState, KeyStateError, check_transition
from kiosk.keys.vault import PinVault, random_digits

S = KeyState


def test_issuance_path_and_service_paths_are_allowed() -> None:
    for a, b in [
        (S.BLANK, S.FORMATTED),
        (S.FORMATTED, S.ACTIVE),
        (S.ACTIVE, S.SUSPENDED),
        (S.SUSPENDED, S.ACTIVE),
        (S.ACTIVE, S.LOST),
        (S.LOST, S.TERMINATED),
        (S.ACTIVE, S.DAMAGED),
        (S.DAMAGED, S.TERMINATED),
        (S.ACTIVE, S.TERMINATED),
    ]:
        check_transition(a, b)


@pytest.mark.parametrize(
    ("a", "b"), [(a, b) for a, b in itertools.product(S, S) if b not in TRANSITIONS[a]]
)
def test_everything_else_is_refused(a: KeyState, b: KeyState) -> None:
    with pytest.raises(KeyStateError):
        check_transition(a, b, wipe=True)


def test_a_terminated_key_is_reused_only_after_a_wipe() -> None:
    with pytest.raises(KeyStateError) as ei:
        check_transition(S.TERMINATED, S.BLANK)
    assert ei.value.code == "keys.wipe_required"
    check_transition(S.TERMINATED, S.BLANK, wipe=True)
    with pytest.raises(KeyStateError):
        check_transition(S.TERMINATED, S.FORMATTED, wipe=True)


def test_repository_records_every_transition(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "kiosk.db")
    repo = KeyRepository(store.db)
    repo.transition("abc", S.FORMATTED, actor="op-07", reason="init", order_no="DG-1")
    repo.transition("abc", S.ACTIVE, actor="op-07", reason="issued", order_no="DG-1")
    with pytest.raises(KeyStateError):
        repo.transition("abc", S.BLANK, actor="op-07", reason="oops")
    assert repo.get("abc").state is S.ACTIVE  # the refused transition changed nothing
    h = repo.history("abc")
    assert [(r["from_state"], r["to_state"], r["actor"], r["order_no"]) for r in h] == [
        ("blank", "formatted", "op-07", "DG-1"),
        ("formatted", "active", "op-07", "DG-1"),
    ]
    assert all(r["at"].endswith("Z") for r in h)
    repo.bump("abc", "renewals")
    repo.bump("abc", "pin_resets")
    repo.bump("abc", "pin_resets")
    rec = repo.get("abc")
    assert (rec.issuances, rec.renewals, rec.pin_resets) == (0, 1, 2)


def test_pin_vault_round_trip_and_binding(tmp_path: Path) -> None:
    v = PinVault(tmp_path / "secrets" / "keys.secret")
    blob = v.seal("S3cretSoPin", "serial-1")
    assert b"S3cretSoPin" not in blob
    assert v.open(blob, "serial-1") == "S3cretSoPin"
    assert (tmp_path / "secrets" / "keys.secret").stat().st_mode & 0o077 == 0
    with pytest.raises(Exception) as ei:
        v.open(blob, "serial-2")  # copied to another key's row: refused
    assert getattr(ei.value, "code", "") == "keys.secret"
    assert PinVault(tmp_path / "secrets" / "keys.secret").open(blob, "serial-1") == "S3cretSoPin"


def test_random_pins_are_eight_digits_and_vary() -> None:
    pins = {random_digits(8) for _ in range(50)}
    assert len(pins) > 45 and all(len(p) == 8 and p.isdigit() for p in pins)


def test_transition_events_commit_with_the_transition(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "kiosk.db")
    seen: list[tuple[str, dict]] = []

    def on_event(db, kind, payload) -> None:
        if payload["to"] == "active":
            raise RuntimeError("outbox full")
        seen.append((kind, payload))

    repo = KeyRepository(store.db, on_event=on_event)
    repo.transition("k1", S.FORMATTED, actor="op-07", reason="init", order_no="DG-1")
    assert seen == [
        (
            "key.transition",
            {
                "serial": "k1",
                "from": "blank",
                "to": "formatted",
                "actor": "op-07",
                "reason": "init",
                "order_no": "DG-1",
            },
        )
    ]
    with pytest.raises(RuntimeError):
        repo.transition("k1", S.ACTIVE, actor="op-07", reason="issued")
    assert repo.get("k1").state is S.FORMATTED  # the failed event rolled the transition back
    assert len(repo.history("k1")) == 1
