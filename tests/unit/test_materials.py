"""The materials checklist per service, kind and program (DOMAIN.md "Materials" and the guides)."""

from __future__ import annotations

import pytest

from kiosk.config import default_config_text, parse_settings
from kiosk.domain.materials import Material, checklist
from kiosk.domain.types import Kind, Service

SETTINGS = parse_settings(default_config_text(), "<embedded kiosk.toml>")
DG = SETTINGS.program("dongguan-hpf")
GP = SETTINGS.program("gd-procurement")
PA = SETTINGS.program("pingan-procurement")
FS = SETTINGS.program("foshan-yzt")


def codes(items: list[Material]) -> list[str]:
    return [m.code for m in items]


def by_code(items: list[Material], code: str) -> Material:
    return next(m for m in items if m.code == code)


def test_dongguan_new_org_with_seal_is_the_guides_counter_list() -> None:
    items = checklist(Service.NEW, Kind.ORG, DG, seal=True)
    assert codes(items) == [
        "application_form",
        "seal_form",
        "licence_original",
        "licence_copy",
        "agent_id_original",
        "agent_id_copy",
    ]
    form = by_code(items, "application_form")
    assert (form.zh, form.copies, form.original) == ("《机构数字证书申请表》", 2, True)
    assert "电脑填写" in form.note_zh and "经办人" in form.note_zh
    assert "公章" in by_code(items, "licence_copy").note_zh
    assert "公章" in by_code(items, "agent_id_copy").note_zh


def test_procurement_form_is_the_combined_certificate_and_seal_form() -> None:
    items = checklist(Service.NEW, Kind.ORG, GP, seal=True)
    assert by_code(items, "application_form").zh == "《数字证书及电子印章申请表》"
    assert "seal_form" not in codes(items)


@pytest.mark.parametrize(
    "service",
    [Service.RENEW, Service.CHANGE, Service.UNLOCK, Service.CANCEL, Service.KEY_RECOVERY],
)
def test_after_sale_services_need_the_key_itself(service: Service) -> None:
    assert "key" in codes(checklist(service, Kind.ORG, DG, seal=False))


def test_replacement_of_a_lost_key_does_not_ask_for_the_key() -> None:
    assert "key" not in codes(checklist(Service.REPLACE, Kind.ORG, DG, seal=True))


def test_change_needs_the_registration_authoritys_change_notice() -> None:
    items = checklist(Service.CHANGE, Kind.ORG, GP, seal=False)
    assert "change_notice" in codes(items)
    assert "change_notice" not in codes(checklist(Service.RENEW, Kind.ORG, GP, seal=False))


def test_paying_by_transfer_adds_the_voucher() -> None:
    assert "transfer_voucher" in codes(checklist(Service.NEW, Kind.ORG, DG, True, "transfer"))
    assert "transfer_voucher" not in codes(checklist(Service.NEW, Kind.ORG, DG, True, "wechat"))
    assert "transfer_voucher" not in codes(checklist(Service.NEW, Kind.ORG, DG, True))


def test_individual_pays_from_own_card_and_org_from_the_corporate_account() -> None:
    own = by_code(
        checklist(Service.NEW, Kind.INDIVIDUAL, GP, False, "transfer"), "transfer_voucher"
    )
    unit = by_code(checklist(Service.NEW, Kind.ORG, GP, False, "transfer"), "transfer_voucher")
    assert "本人银行卡" in own.note_zh
    assert "对公" in unit.note_zh


def test_legal_rep_needs_the_holders_id_copy() -> None:
    items = checklist(Service.NEW, Kind.LEGAL_REP, GP, seal=True)
    assert "holder_id_copy" in codes(items)
    assert "agent_id_copy" in codes(items)
    assert by_code(items, "application_form").zh == "《法人代表数字证书及电子印章申请表》"
    assert "holder_id_copy" not in codes(checklist(Service.NEW, Kind.ORG, GP, seal=True))


def test_individual_brings_the_personal_form_and_their_id_card_and_no_unit_papers() -> None:
    items = checklist(Service.NEW, Kind.INDIVIDUAL, GP, seal=True)
    assert codes(items) == ["personal_form", "applicant_id_original", "applicant_id_copy"]
    form = by_code(items, "personal_form")
    assert form.zh == "《个人数字证书及电子印章申请表》"
    assert "手写签名" in form.note_zh


def test_cancel_of_a_deregistered_unit_takes_the_deregistration_proof() -> None:
    items = checklist(Service.CANCEL, Kind.ORG, GP, False, unit_deregistered=True)
    assert "deregistration_proof" in codes(items)
    assert "licence_copy" not in codes(items)


def test_pingan_keeps_one_copy_of_the_form() -> None:
    assert by_code(checklist(Service.NEW, Kind.ORG, PA, True), "application_form").copies == 1


def test_foshan_uses_its_own_form_and_has_no_seal_form() -> None:
    items = checklist(Service.NEW, Kind.ORG, FS, seal=False)
    assert by_code(items, "application_form").zh == "《佛山市“一证通”数字证书业务申请表》"
    assert "seal_form" not in codes(items)


def test_seal_service_needs_the_seal_form_and_the_key() -> None:
    items = checklist(Service.SEAL, Kind.ORG, DG, seal=False)
    assert {"seal_form", "key"} <= set(codes(items))


def test_pickup_needs_only_the_agents_own_id() -> None:
    assert codes(checklist(Service.PICKUP, Kind.ORG, DG, seal=True)) == ["agent_id_original"]


def test_refund_needs_the_form_and_the_key_if_delivered() -> None:
    assert codes(checklist(Service.REFUND, Kind.ORG, PA, False)) == ["refund_form", "key"]
    assert codes(checklist(Service.REFUND, Kind.ORG, PA, False, key_delivered=False)) == [
        "refund_form"
    ]


@pytest.mark.parametrize("service", list(Service))
@pytest.mark.parametrize("kind", list(Kind))
def test_every_item_is_complete(service: Service, kind: Kind) -> None:
    for m in checklist(service, kind, GP, seal=True, payment_method="transfer"):
        assert m.code and m.zh and m.en
        assert m.copies >= 0
        assert m.original or m.copies > 0, f"{m.code}: neither shown nor kept"
