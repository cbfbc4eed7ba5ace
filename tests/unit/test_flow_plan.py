"""The steps each service takes (and no others), and the headless visit file's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.errors import UsageError
from kiosk.shell.cli.visit import load_visit_file
from kiosk.visits import plan


@pytest.mark.parametrize(
    ("service", "seal", "steps"),
    [
        ("new", True, "identify form materials seal quote pay keys handover receipt"),
        ("new", False, "identify form materials quote pay keys handover receipt"),
        ("renew", False, "identify materials quote pay keys handover receipt"),
        # a renewal renews the key's seal with the certificate: charged, never re-photographed
        ("renew", True, "identify materials quote pay keys handover receipt"),
        ("replace", True, "identify materials quote pay keys handover receipt"),
        ("change", False, "identify form materials keys handover"),
        ("replace", False, "identify materials quote pay keys handover receipt"),
        ("unlock", False, "identify materials keys handover"),
        ("cancel", False, "identify materials keys"),
        ("key-recovery", False, "identify materials keys"),
        ("seal", False, "identify materials seal quote pay keys handover receipt"),
        ("pickup", False, "identify materials keys handover"),
        ("refund", False, "identify materials keys"),
    ],
)
def test_plan(service: str, seal: bool, steps: str) -> None:
    assert plan(service, seal) == steps.split()


def test_change_of_an_expired_certificate_is_quoted_and_paid() -> None:
    steps = "identify form materials quote pay keys handover receipt"
    assert plan("change", False, renew_first=True) == steps.split()


def _file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "v.toml"
    p.write_text(text, encoding="utf-8")
    return p


BASE = 'service = "new"\nprogram = "dongguan-hpf"\nkind = "org"\nyears = 1\n'


def test_visit_file_reads(tmp_path: Path) -> None:
    doc = load_visit_file(
        _file(
            tmp_path,
            BASE + 'seal = true\n[seal_image]\npath = "imprint.jpg"\nseal_type = "official"\n',
        )
    )
    assert doc["service"] == "new"
    assert doc["seal_image"]["path"] == str(tmp_path / "imprint.jpg")


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ('colour = "red"\n', "unknown key(s) colour"),
        ('[agent]\nnick = "x"\n', "unknown key(s) in [agent]: nick"),
        ("[payment]\nmethod = 1\nfoo = 2\n", "in [payment]: foo"),
    ],
)
def test_unknown_keys_are_errors(tmp_path: Path, extra: str, words: str) -> None:
    with pytest.raises(UsageError) as ei:
        load_visit_file(_file(tmp_path, BASE + extra))
    assert words in ei.value.message


def test_missing_and_bad_service(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="'kind' is required"):
        load_visit_file(_file(tmp_path, 'service = "new"\nprogram = "x"\n'))
    with pytest.raises(UsageError, match="service must be one of"):
        load_visit_file(_file(tmp_path, 'service = "x"\nprogram = "x"\nkind = "org"\n'))
    with pytest.raises(UsageError, match="not TOML"):
        load_visit_file(_file(tmp_path, "service = \n"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BASE + 'seal = "yes"\n', "seal must be true or false"),
        (BASE + '[seal_image]\npath = "i.jpg"\n', "new makes no seal without seal = true"),
        (
            'service = "renew"\nprogram = "dongguan-hpf"\nkind = "org"\nyears = 1\n'
            'order = "DG-1"\n[seal_image]\npath = "i.jpg"\n',
            "renew keeps the key's seal as it is",
        ),
        (
            'service = "pickup"\nprogram = "dongguan-hpf"\nkind = "org"\nseal = true\n',
            "pickup does not make, renew or keep a seal",
        ),
        (
            'service = "seal"\nprogram = "dongguan-hpf"\nkind = "org"\nseal = false\n',
            'service = "seal" always makes one',
        ),
    ],
)
def test_an_imprint_only_where_a_seal_is_made(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(UsageError) as ei:
        load_visit_file(_file(tmp_path, text))
    assert words in ei.value.message and ei.value.code == "visit.seal"
    seal = 'service = "seal"\nprogram = "dongguan-hpf"\nkind = "org"\nyears = 1\n'
    doc = load_visit_file(_file(tmp_path, seal + 'order = "DG-1"\n[seal_image]\npath = "i.jpg"\n'))
    assert doc["seal_image"]["path"] == str(tmp_path / "i.jpg")


REPLACE = 'service = "replace"\nprogram = "dongguan-hpf"\nkind = "org"\norder = "DG-1"\n'
CANCEL = 'service = "cancel"\nprogram = "dongguan-hpf"\nkind = "org"\norder = "DG-1"\n'


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (REPLACE + '[key]\ncondition = "stolen"\n', "condition must be one of lost, damaged"),
        (CANCEL + '[key]\nreason = "bored"\n', "reason must be one of cessationOfOperation"),
        (CANCEL + '[key]\ncondition = "lost"\n', 'condition is for service = "replace"'),
        (REPLACE + '[key]\nreason = "superseded"\n', 'reason is for service = "cancel"'),
    ],
)
def test_key_condition_and_reason_are_checked_with_the_file(
    tmp_path: Path, text: str, words: str
) -> None:
    """A typo is exit 2 before the visit opens (replace is paid before its key step)."""
    with pytest.raises(UsageError) as ei:
        load_visit_file(_file(tmp_path, text))
    assert words in ei.value.message and ei.value.code == "visit.key"
    assert load_visit_file(_file(tmp_path, REPLACE + '[key]\ncondition = "damaged"\n'))
    assert load_visit_file(_file(tmp_path, CANCEL + '[key]\nreason = "superseded"\n'))
