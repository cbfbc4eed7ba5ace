"""Every string the screen shows, in zh-CN (first) and English.

Screens never hold visible text literals: they name a catalogue key (``t("welcome.heading",
lang)``) or carry a :class:`Bi` pair built from data that already has both languages (service
and kind names from ``kiosk.domain.types``, program names from kiosk.toml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh-CN", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh-CN", "en")
DEFAULT_LANG: Lang = "zh-CN"


@dataclass(frozen=True, slots=True)
class Bi:
    """A text in both languages."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return self.zh if lang == "zh-CN" else self.en

    def other(self, lang: Lang) -> str:
        """The text in the language that is not ``lang`` (the small second line on tiles)."""
        return self.en if lang == "zh-CN" else self.zh

    def format(self, **values: object) -> Bi:
        """Both texts with ``{name}`` placeholders filled."""
        return Bi(self.zh.format(**values), self.en.format(**values))


CATALOGUE: dict[str, Bi] = {
    # The frame around every screen
    "app.title": Bi("数字证书自助受理", "Digital certificate self-service"),
    "keys.language": Bi("F2 English", "F2 中文"),
    "keys.back": Bi("Esc 返回", "Esc Back"),
    "keys.staff": Bi("F12 工作人员", "F12 Staff"),
    "nav.back": Bi("返回", "Back"),
    "nav.home": Bi("回到首页", "Start over"),
    # Welcome
    "welcome.heading": Bi("请选择要办理的业务", "Please choose a service"),
    "welcome.hint": Bi(
        "触摸业务，或用方向键选择后按回车",
        "Touch a service, or move with the arrow keys and press Enter",
    ),
    "welcome.where": Bi("{address}　服务热线 {hotline}", "{address} · Hotline {hotline}"),
    # Program
    "program.heading": Bi(
        "请选择证书用于哪个项目（平台）", "Which program is the certificate for?"
    ),
    "program.none": Bi(
        "本柜台暂不为任何项目办理此业务，请咨询工作人员。",
        "This counter offers this service for no program; please ask the staff.",
    ),
    "program.ca": Bi("发证机构 {ca}", "Issued by {ca}"),
    # Kind
    "kind.heading": Bi("请选择证书类型", "Choose the certificate kind"),
    "kind.seal_new": Bi("同时办理电子印章", "Include an electronic seal"),
    "kind.seal_has": Bi("证书带有电子印章", "The certificate has an electronic seal"),
    "kind.seal_hint": Bi(
        "带电子印章时需另备《电子印章申请表》（盖实物印章印模）",
        "With a seal, bring the seal application form with the real seal's imprint",
    ),
    # Checklist
    "checklist.heading": Bi("请准备以下材料", "Please have these materials ready"),
    "checklist.with_seal": Bi("含电子印章", "with electronic seal"),
    "checklist.kept": Bi("交 {n} 份", "{n} kept"),
    "checklist.kept_one": Bi("交 1 份", "1 kept"),
    "checklist.original": Bi("原件", "original"),
    "checklist.shown": Bi("出示原件，核对后退还", "original shown and handed back"),
    "checklist.empty": Bi("此业务无需额外材料。", "This service needs no materials."),
    "checklist.unavailable": Bi(
        "材料清单暂时无法显示，请咨询工作人员。",
        "The materials list cannot be shown now; please ask the staff.",
    ),
    "checklist.next": Bi(
        "材料齐全后请到柜台办理，工作人员将核对原件。",
        "When your materials are complete, go to the counter; the staff will check the originals.",
    ),
    # Status bar
    "device.reader": Bi("读卡器", "ID reader"),
    "device.token": Bi("介质", "USB key"),
    "device.camera": Bi("印章摄像头", "Seal camera"),
    "device.printer": Bi("打印机", "Printer"),
    "state.ready": Bi("就绪", "ready"),
    "state.missing": Bi("未连接", "missing"),
    "state.fault": Bi("故障", "fault"),
    "hub.label": Bi("后台", "Hub"),
    "hub.online": Bi("在线", "online"),
    "hub.offline": Bi("离线", "offline"),
    "hub.unknown": Bi("未知", "unknown"),
    "hub.queue": Bi("待上传 {n}", "queue {n}"),
    "counter.label": Bi("柜台", "Counter"),
    "counter.open": Bi("营业中", "open"),
    "counter.closed": Bi("休息中", "closed"),
    "counter.unknown": Bi("未知", "unknown"),
    "status.checking": Bi("检测中…", "checking…"),
    "training.badge": Bi("培训模式", "TRAINING"),
    # Staff sign-in placeholder
    "staff.heading": Bi("工作人员登录", "Staff sign-in"),
    "staff.number": Bi("工号", "Staff number"),
    "staff.pin": Bi("密码", "PIN"),
    "staff.sign_in": Bi("登录", "Sign in"),
    "staff.not_yet": Bi(
        "工作人员登录将随员工功能上线，目前无法登录。",
        "Staff sign-in arrives with the staff feature; signing in is not possible yet.",
    ),
    "staff.quit_training": Bi("退出培训模式", "Quit training mode"),
    "staff.quit_hint": Bi(
        "培训模式下可在此退出程序。",
        "In training mode the program can be ended here.",
    ),
}


def t(key: str, lang: Lang, **values: object) -> str:
    """The catalogue text ``key`` in ``lang``, with ``{name}`` placeholders filled.

    Raises:
        KeyError: an unknown key (a typo must fail in tests, not show a blank on screen).
    """
    text = CATALOGUE[key].get(lang)
    return text.format(**values) if values else text


def bi(key: str) -> Bi:
    """The catalogue entry ``key`` in both languages."""
    return CATALOGUE[key]
