"""The materials (申请材料) the counter checks, per service, kind and program.

Drawn from the service guides (../seeds) with DOMAIN.md as the digest. At the counter the
originals are shown and stamped copies are kept. In short:

- organisation (机构) and legal-representative (法人代表) certificates: the program's application
  form (filled in by computer, stamped, signed by the agent), the business licence original and a
  stamped copy (or another unit certificate), the agent's ID card original and a stamped copy;
  法人代表 adds the holder's ID copy, stamped;
- individual (自然人): the personal application form signed by hand by the applicant, who comes
  in person with their ID card (original and a copy); no unit materials;
- the separate 《电子印章申请表》 with the imprint whenever the certificate has a seal: the 东莞
  guide lists it for new, renew, change, replace, unlock and cancel alike (the form offers
  新申请/续期/补办/变更/注销); DOMAIN.md says "only when a seal is made or changed": the guide wins.
  政府采购's form is combined (《数字证书及电子印章申请表》), so no separate seal form there;
- the key itself for renew, change, unlock, cancel, key recovery and a seal added to a key;
- change: the registration authority's change notice (copy, stamped);
- cancel of a unit that no longer exists: its proof of deregistration instead of the licence;
- paying by transfer: the remittance voucher (original or stamped copy);
- pickup: the agent's own ID card; refund: the 《退款申请表》 and the key if it was delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.types import Kind, Program, SealPricing, Service

# Default application form names when the program does not name its own.
DEFAULT_FORM_ZH = {
    Kind.ORG: "机构数字证书申请表",
    Kind.LEGAL_REP: "法人代表数字证书申请表",
    Kind.INDIVIDUAL: "个人数字证书申请表",
}

# Services that work on the holder's existing key, which must be brought.
_KEY_SERVICES = frozenset(
    {
        Service.RENEW,
        Service.CHANGE,
        Service.UNLOCK,
        Service.CANCEL,
        Service.KEY_RECOVERY,
        Service.SEAL,
    }
)
# Services whose application form (and unit papers) the counter needs.
_FORM_SERVICES = frozenset(
    {
        Service.NEW,
        Service.RENEW,
        Service.CHANGE,
        Service.REPLACE,
        Service.UNLOCK,
        Service.CANCEL,
        Service.KEY_RECOVERY,
        Service.SEAL,
    }
)
# Services on which a separate seal form accompanies a certificate that has a seal.
_SEAL_FORM_SERVICES = frozenset(
    {
        Service.NEW,
        Service.RENEW,
        Service.CHANGE,
        Service.REPLACE,
        Service.UNLOCK,
        Service.CANCEL,
        Service.SEAL,
    }
)


@dataclass(frozen=True, slots=True)
class Material:
    """One item of the checklist.

    Attributes:
        code: stable name (``application_form``, ``seal_form``, ``licence_original``,
            ``licence_copy``, ``agent_id_original``, ``agent_id_copy``, ``holder_id_copy``,
            ``personal_form``, ``applicant_id_original``, ``applicant_id_copy``, ``key``,
            ``change_notice``, ``deregistration_proof``, ``transfer_voucher``,
            ``refund_form``).
        zh, en: what to bring.
        copies: how many the counter keeps (0 = shown and handed back).
        original: an original is shown (False: a copy suffices).
        note_zh, note_en: how it must be prepared (stamped, signed, …), or "".
    """

    code: str
    zh: str
    en: str
    copies: int
    original: bool
    note_zh: str = ""
    note_en: str = ""


_STAMP_ZH = "加盖单位公章"
_STAMP_EN = "stamped with the unit's official seal"


def _form_name(program: Program, kind: Kind) -> str:
    return program.form_names.get(kind) or DEFAULT_FORM_ZH[kind]


def _unit_papers(deregistered: bool) -> list[Material]:
    if deregistered:
        return [
            Material(
                "deregistration_proof",
                "单位注销证明",
                "Proof that the unit has been deregistered",
                1,
                False,
                f"相关部门开具，复印件{_STAMP_ZH}",
                "issued by the authority; a copy is kept",
            )
        ]
    return [
        Material(
            "licence_original",
            "《营业执照》原件（或其他有效单位证件原件）",
            "Business licence original (or another valid unit certificate)",
            0,
            True,
            "如无营业执照，可提供事业单位法人证书、社会团体法人登记证书等",
            "without a licence: public-institution or social-organisation certificate etc.",
        ),
        Material(
            "licence_copy",
            "《营业执照》复印件",
            "Copy of the business licence",
            1,
            False,
            _STAMP_ZH,
            _STAMP_EN,
        ),
    ]


def checklist(
    service: Service,
    kind: Kind,
    program: Program,
    seal: bool,
    payment_method: str | None = None,
    *,
    unit_deregistered: bool = False,
    key_delivered: bool = True,
) -> list[Material]:
    """What the agent must bring for ``service`` on a ``kind`` certificate of ``program``.

    Args:
        service: the service.
        kind: the certificate kind.
        program: the program (form names, copies, separate or combined seal form).
        seal: the certificate has (or gets) an electronic seal.
        payment_method: ``"transfer"`` adds the remittance voucher; other methods
            (card, wechat, alipay, cash) add nothing; None = not known yet.
        unit_deregistered: cancel only: the unit no longer exists (deregistration proof instead
            of the licence).
        key_delivered: refund only: the key was delivered, so it comes back with the form.

    Returns:
        The checklist in the order the counter checks it.
    """
    items: list[Material] = []
    if service is Service.PICKUP:
        who_zh, who_en = ("申请人", "applicant") if kind is Kind.INDIVIDUAL else ("经办人", "agent")
        return [
            Material(
                "agent_id_original",
                f"{who_zh}本人身份证原件",
                f"The {who_en}'s own resident ID card",
                0,
                True,
                "凭本人身份证领取",
                "the key is handed over against it",
            )
        ]
    if service is Service.REFUND:
        items.append(
            Material(
                "refund_form",
                "《退款申请表》",
                "Refund application form",
                1,
                True,
                f"申请人手写签名并{_STAMP_ZH}",
                f"signed by hand and {_STAMP_EN}",
            )
        )
        if key_delivered:
            items.append(Material("key", "数字证书（Ukey）", "The certificate's USB key", 1, True))
        return items
    if service not in _FORM_SERVICES:  # every Service is one of the above; future ones land here
        return items
    form = _form_name(program, kind)
    copies = program.form_copies
    if kind is Kind.INDIVIDUAL:
        items.append(
            Material(
                "personal_form",
                f"《{form}》",
                "Personal application form",
                copies,
                True,
                "电脑填写打印，申请人本人手写签名",
                "typed and printed; signed by hand by the applicant",
            )
        )
    else:
        items.append(
            Material(
                "application_form",
                f"《{form}》",
                "Application form",
                copies,
                True,
                f"电脑填写打印（不接受手写），{_STAMP_ZH}，“经办人签署”由经办人亲笔签名",
                f"typed and printed (never handwritten), {_STAMP_EN}, signed by the agent",
            )
        )
    separate_seal_form = (
        program.seal_form == "separate" and program.seal_pricing is not SealPricing.NONE
    )
    if separate_seal_form and (seal or service is Service.SEAL) and service in _SEAL_FORM_SERVICES:
        items.append(
            Material(
                "seal_form",
                "《电子印章申请表》",
                "Electronic seal application form",
                1,
                True,
                f"盖好实物印章印模（清晰、完整、无形变），{_STAMP_ZH}",
                f"with the physical seal's imprint (clear, complete, not deformed), {_STAMP_EN}",
            )
        )
    if kind is Kind.INDIVIDUAL:
        items.extend(
            [
                Material(
                    "applicant_id_original",
                    "申请人本人身份证原件",
                    "The applicant's own resident ID card",
                    0,
                    True,
                    "自然人证书须本人到场办理",
                    "the applicant comes in person",
                ),
                Material(
                    "applicant_id_copy",
                    "申请人身份证复印件",
                    "Copy of the applicant's ID card",
                    1,
                    False,
                    "正反面",
                    "both sides",
                ),
            ]
        )
    else:
        items.extend(_unit_papers(unit_deregistered and service is Service.CANCEL))
        items.extend(
            [
                Material(
                    "agent_id_original",
                    "经办人身份证原件",
                    "The agent's resident ID card",
                    0,
                    True,
                ),
                Material(
                    "agent_id_copy",
                    "经办人身份证复印件",
                    "Copy of the agent's ID card",
                    1,
                    False,
                    f"正反面，{_STAMP_ZH}",
                    f"both sides, {_STAMP_EN}",
                ),
            ]
        )
        if kind is Kind.LEGAL_REP:
            items.append(
                Material(
                    "holder_id_copy",
                    "证书申请人（持有人）本人身份证复印件",
                    "Copy of the certificate holder's ID card",
                    1,
                    False,
                    f"正反面，{_STAMP_ZH}",
                    f"both sides, {_STAMP_EN}",
                )
            )
    if service is Service.CHANGE:
        items.append(
            Material(
                "change_notice",
                "登记机关开具的变更通知书（或其他单位开具的变更说明）复印件",
                "Change notice from the registration authority (copy)",
                1,
                False,
                _STAMP_ZH,
                _STAMP_EN,
            )
        )
    if service in _KEY_SERVICES:
        items.append(
            Material(
                "key",
                "待办理的数字证书（Ukey，电子密匙）",
                "The certificate's USB key itself",
                0,
                True,
                "办理完成后交还",
                "handed back when done",
            )
        )
    if payment_method == "transfer":
        own = kind is Kind.INDIVIDUAL
        items.append(
            Material(
                "transfer_voucher",
                "转账汇款凭证原件或复印件",
                "Bank transfer voucher (original or copy)",
                1,
                False,
                "须由申请人本人银行卡转账" if own else f"对公账户转账，复印件{_STAMP_ZH}",
                "paid from the applicant's own bank card"
                if own
                else f"paid from the unit's corporate account; copy {_STAMP_EN}",
            )
        )
    return items
