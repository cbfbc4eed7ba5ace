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
    # Seal imprint (印模) screen
    "keys.seal_capture": Bi("空格 拍摄", "Space Capture"),
    "keys.seal_retake": Bi("R 重拍", "R Retake"),
    "keys.seal_accept": Bi("A 接受", "A Accept"),
    "seal.title": Bi(
        "印模拍摄：请将《电子印章申请表》的印模放在镜头下",
        "Seal imprint: put the imprint on the seal form under the camera",
    ),
    "seal.live": Bi("实时画面：按空格键拍摄", "Live: press Space to capture"),
    "seal.captured": Bi("已拍摄：R 重拍，A 接受", "Captured: R to retake, A to accept"),
    "seal.waiting": Bi("等待画面……", "Waiting for the camera…"),
    "seal.capture": Bi("拍摄", "Capture"),
    "seal.retake": Bi("重拍", "Retake"),
    "seal.accept": Bi("接受", "Accept"),
    "seal.pass": Bi("合格", "PASS"),
    "seal.pass_borderline": Bi("合格（临界，请工作人员查看）", "PASS (borderline: staff to look)"),
    "seal.fail": Bi("不合格：{reasons}", "FAIL: {reasons}"),
    "seal.reason_no_seal": Bi("未找到印章", "no seal found"),
    "seal.reason_multiple": Bi("有多个印章，只应有一个", "more than one seal"),
    "seal.reason_blurred": Bi("图像模糊", "blurred"),
    "seal.reason_incomplete": Bi("印章不完整（边框缺失）", "incomplete (border missing)"),
    "seal.reason_deformed": Bi("印章变形", "deformed"),
    "seal.reason_faint": Bi("印油太淡", "ink too faint"),
    "seal.reason_size": Bi("尺寸不符合规定", "size not allowed for this unit type"),
    "seal.reason_shape": Bi("形状或中心五角星不符合规定", "shape or central star not allowed"),
    "seal.border_deformation": Bi("略有变形", "slightly deformed"),
    "seal.border_sharpness": Bi("略有模糊", "slightly soft"),
    "seal.border_completeness": Bi("边框略有缺失", "border slightly broken"),
    "seal.border_ink": Bi("印油偏淡", "ink on the faint side"),
    "seal.border_size": Bi("尺寸接近限值", "size near the limit"),
    "seal.shape_round": Bi("圆形", "round"),
    "seal.shape_oval": Bi("椭圆形", "oval"),
    "seal.shape_rectangle": Bi("长方形", "rectangle"),
    "seal.m_shape": Bi("形状：{shape}", "Shape: {shape}"),
    "seal.m_diameter": Bi("直径：{d} 毫米", "Diameter: {d} mm"),
    "seal.m_axes": Bi("长短轴：{a} × {b} 毫米", "Axes: {a} × {b} mm"),
    "seal.m_deformation": Bi("长短轴比：{v}", "Axis ratio: {v}"),
    "seal.m_edge": Bi("边缘宽度：{v} 毫米（清晰度）", "Edge width: {v} mm (sharpness)"),
    "seal.m_border": Bi(
        "边框完整：{pct}，最大缺口 {gap}°", "Border inked: {pct}, largest gap {gap}°"
    ),
    "seal.m_ink": Bi("印油浓度：{v}", "Ink strength: {v}"),
    "seal.m_star_yes": Bi("中心五角星：有", "Central star: yes"),
    "seal.m_star_no": Bi("中心五角星：无", "Central star: none"),
    "seal.m_rotation": Bi("旋转：{v}°", "Rotation: {v}°"),
    "seal.m_count": Bi("印章数：{n}　用时 {ms} 毫秒", "Seals: {n} · {ms} ms"),
    "seal.m_borderline": Bi("临界：{what}", "Borderline: {what}"),
    "seal.unusable": Bi("无法检查此画面：{what}", "Cannot check this picture: {what}"),
    "seal.too_dark": Bi("画面全黑，镜头是否被遮挡？", "the picture is black: is the lens covered?"),
    "seal.no_scale": Bi(
        "未看到垫板四角标记，且未标定", "no mat markers in view and no calibration"
    ),
    "seal.bad_frame": Bi("画面格式错误", "the frame is not a colour picture"),
    "seal.cam_opening": Bi("正在打开摄像头……", "Opening the camera…"),
    "seal.cam_no_camera": Bi("未检测到摄像头，请联系工作人员", "No camera: please call the staff"),
    "seal.cam_lost": Bi("摄像头连接中断，正在重连……", "Camera lost, reconnecting…"),
    "seal.cam_ended": Bi("视频已结束", "The video has ended"),
    "seal.cam_timeout": Bi("摄像头暂无画面", "No picture from the camera yet"),
    "seal.no_picture": Bi("还没有画面", "No picture yet"),
    "seal.need_staff": Bi(
        "未通过检查：请重拍，或请工作人员登录确认",
        "Not passed: retake, or a member of staff signs in to approve",
    ),
    "seal.approve_title": Bi("工作人员确认：{name}（{no}）", "Staff approval: {name} ({no})"),
    "seal.reason_label": Bi("接受原因：", "Reason for accepting:"),
    "seal.reason_hint": Bi(
        "例如：原印章即如此，已核对原件", "e.g. the seal itself looks like this; original checked"
    ),
    "seal.approve": Bi("确认接受", "Approve"),
    "seal.cancel": Bi("取消", "Cancel"),
    "seal.reason_required": Bi("请填写原因", "A reason is required"),
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
