"""Value types of the counter's business: services, certificate kinds, fee schedules.

Pure: no project imports, no I/O. Config builds these from kiosk.toml; the rules in
``kiosk.domain`` compute with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Service(StrEnum):
    """The counter's services (业务类型), by their CLI names."""

    NEW = "new"
    RENEW = "renew"
    CHANGE = "change"
    REPLACE = "replace"
    UNLOCK = "unlock"
    CANCEL = "cancel"
    KEY_RECOVERY = "key-recovery"
    SEAL = "seal"
    PICKUP = "pickup"
    REFUND = "refund"

    @property
    def zh(self) -> str:
        """The service's name on the counter's forms."""
        return _SERVICE_ZH[self]

    @property
    def en(self) -> str:
        """The service's English name for the language switch."""
        return _SERVICE_EN[self]


_SERVICE_ZH = {
    Service.NEW: "新申请",
    Service.RENEW: "续期",
    Service.CHANGE: "变更",
    Service.REPLACE: "补办",
    Service.UNLOCK: "解锁",
    Service.CANCEL: "注销",
    Service.KEY_RECOVERY: "密钥恢复",
    Service.SEAL: "电子印章",
    Service.PICKUP: "领取",
    Service.REFUND: "退费",
}
_SERVICE_EN = {
    Service.NEW: "New certificate",
    Service.RENEW: "Renew",
    Service.CHANGE: "Change",
    Service.REPLACE: "Replace",
    Service.UNLOCK: "Unlock",
    Service.CANCEL: "Cancel",
    Service.KEY_RECOVERY: "Key recovery",
    Service.SEAL: "Electronic seal",
    Service.PICKUP: "Pick up",
    Service.REFUND: "Refund",
}


class Kind(StrEnum):
    """Certificate kinds (证书类型)."""

    ORG = "org"
    LEGAL_REP = "legal-rep"
    INDIVIDUAL = "individual"

    @property
    def zh(self) -> str:
        """The kind's name on the counter's forms."""
        return {"org": "机构证书", "legal-rep": "法人代表证书", "individual": "自然人证书"}[
            self.value
        ]

    @property
    def en(self) -> str:
        """The kind's English name."""
        return {
            "org": "Organisation",
            "legal-rep": "Legal representative",
            "individual": "Individual",
        }[self.value]


class SealPricing(StrEnum):
    """How a program charges for the electronic seal."""

    PER_YEAR = "per-year"  # charged per year beside the certificate (东莞公积金)
    INCLUDED = "included"  # part of the certificate fee (政府采购, 平安采购)
    NONE = "none"  # the program issues no seal (佛山一证通)


@dataclass(frozen=True, slots=True)
class KindFees:
    """One certificate kind's fees in a program, all in integer fen.

    ``new_per_year`` is the certificate service fee for each year of a new certificate; the key
    (介质) fee is separate and charged once (政府采购's "first year 600 including the 200 key
    fee" is 200 key + 400 first year). Seal fees apply only where the program's seal pricing is
    per year.
    """

    new_per_year: int
    renew_per_year: int
    replace_fee: int
    new_key_fee: int = 0
    seal_new_per_year: int = 0
    seal_renew_per_year: int = 0
    seal_replace_fee: int = 0
    seal_apply_per_year: int = 0


@dataclass(frozen=True, slots=True)
class Program:
    """A program (项目) the counter serves: its kinds, services and fee schedule."""

    id: str
    name_zh: str
    name_en: str
    ca: str
    kinds: tuple[Kind, ...]
    services: tuple[Service, ...]
    seal_pricing: SealPricing
    fees: dict[Kind, KindFees] = field(default_factory=dict)
    seal_types: tuple[str, ...] = ()
    transfer_remark: str = ""
    expired_renewal: str = "renew"  # "renew" or "reapply" (平安采购: apply anew)
    refund_days: int = 14
    # The application form's name per kind, as the program's guide prints it (without 《》);
    # kinds not listed use the NETCA defaults in ``kiosk.domain.materials``.
    form_names: dict[Kind, str] = field(default_factory=dict)
    # Copies of the application form the counter keeps (一式两份 = 2; 平安采购 asks for 1).
    form_copies: int = 2
    # "separate": a 《电子印章申请表》 with the imprint beside the application form (东莞, 平安);
    # "combined": the application form is also the seal form
    # (政府采购's 《数字证书及电子印章申请表》).
    seal_form: str = "separate"
