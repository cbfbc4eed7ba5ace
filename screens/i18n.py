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
    "checklist.identify": Bi("下一步：核验经办人身份证", "Next: the agent's ID card"),
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
    # ID card (screens/idcard.py)
    "idcard.heading": Bi("请将身份证放在读卡区", "Place your ID card on the reader"),
    "idcard.connecting": Bi("正在连接读卡器…", "Connecting to the reader…"),
    "idcard.ready": Bi("读卡器就绪，请放置身份证", "Reader ready: place the card"),
    "idcard.unavailable": Bi("读卡器不可用", "Reader unavailable"),
    "idcard.reading": Bi("正在读卡，请勿移动身份证…", "Reading: keep the card still…"),
    "idcard.read": Bi("读卡成功，请核对后确认", "Card read: check and confirm"),
    "idcard.failed": Bi("未能受理此卡", "Card not accepted"),
    "idcard.taken_away": Bi("身份证已移开", "Card removed"),
    "idcard.manual_done": Bi("已由工作人员手工录入", "Entered by staff"),
    "idcard.confirm": Bi("确认", "Confirm"),
    "idcard.manual": Bi("工作人员手工录入", "Staff entry"),
    "idcard.result": Bi(
        "姓名　　{name}\n证件号码　{number}\n有效期限　{start} - {end}",
        "Name       {name}\nID number  {number}\nValid      {start} - {end}",
    ),
    "idcard.result_long_term": Bi(
        "姓名　　{name}\n证件号码　{number}\n有效期限　{start} - 长期",
        "Name       {name}\nID number  {number}\nValid      {start} - long-term",
    ),
    "idcard.error": Bi(
        "读卡出错。请重新放置身份证；如仍失败，请联系工作人员。",
        "The card could not be read. Place it again; if it fails again, call the staff.",
    ),
    "idcard.no_reader": Bi(
        "未连接身份证读卡器。请联系工作人员。", "No ID card reader is connected. Call the staff."
    ),
    "idcard.pcsc_unavailable": Bi(
        "读卡服务未运行。请联系工作人员。",
        "The card reader service is not running. Call the staff.",
    ),
    "idcard.reader_lost": Bi(
        "读卡器连接中断。请检查读卡器连线，或联系工作人员。",
        "The reader was disconnected. Check its cable, or call the staff.",
    ),
    "idcard.no_card": Bi(
        "未检测到身份证。请将身份证放在读卡区。", "No card found. Place the card on the reader."
    ),
    "idcard.card_removed": Bi(
        "读卡过程中身份证被移开。请放回读卡区并保持不动。",
        "The card was moved away while reading. Put it back and hold it still.",
    ),
    "idcard.not_id_card": Bi(
        "这不是居民身份证。请放置本人居民身份证。",
        "This is not a resident ID card. Place your resident ID card.",
    ),
    "idcard.unsupported_card_type": Bi(
        "本机不受理外国人永久居留身份证。请联系工作人员。",
        "Foreign permanent residence cards are not taken here. Call the staff.",
    ),
    "idcard.bad_response": Bi(
        "卡片应答异常。请重新放置身份证。",
        "The card answered unexpectedly. Place it again.",
    ),
    "idcard.corrupt_record": Bi(
        "身份证信息无法识别。请重新放置；如仍失败，请联系工作人员。",
        "The card's data cannot be read. Place it again; if it fails again, call the staff.",
    ),
    "idcard.bad_id_number": Bi(
        "身份证号码格式不正确。请联系工作人员。",
        "The ID number is not valid. Call the staff.",
    ),
    "idcard.bad_check_char": Bi(
        "身份证号码校验位不正确。请联系工作人员。",
        "The ID number's check character is wrong. Call the staff.",
    ),
    "idcard.birth_mismatch": Bi(
        "出生日期与身份证号码不一致。请联系工作人员。",
        "The birth date does not match the ID number. Call the staff.",
    ),
    "idcard.sex_mismatch": Bi(
        "性别与身份证号码不一致。请联系工作人员。",
        "The sex does not match the ID number. Call the staff.",
    ),
    "idcard.unknown_sex": Bi(
        "性别代码无法识别。请联系工作人员。", "The sex code is unknown. Call the staff."
    ),
    "idcard.unknown_nation": Bi(
        "民族代码无法识别。请联系工作人员。", "The nation code is unknown. Call the staff."
    ),
    "idcard.expired": Bi(
        "身份证已过有效期，不能使用。请出示有效证件，或联系工作人员。",
        "This ID card has expired and cannot be used. Bring a valid one, or call the staff.",
    ),
    "idcard.not_yet_valid": Bi(
        "身份证尚未生效。请联系工作人员。", "This ID card is not valid yet. Call the staff."
    ),
    "idcard.sam_frame": Bi(
        "读卡器通信出错。请重新放置身份证。",
        "The reader's answer was garbled. Place the card again.",
    ),
    "idcard.sam_timeout": Bi(
        "读卡器没有响应。请联系工作人员。", "The reader does not answer. Call the staff."
    ),
    "idcard.sam_status": Bi(
        "读卡器未能读取身份证。请重新放置身份证。",
        "The reader could not read the card. Place it again.",
    ),
    "idcard.manual_incomplete": Bi(
        "请填写全部项目：姓名、证件号码、性别、民族和有效期。",
        "Fill in every field: name, ID number, sex, nation and validity.",
    ),
    "idcard.form_heading": Bi("工作人员手工录入经办人", "Staff: enter the agent by hand"),
    "idcard.form_name": Bi("姓名", "Name"),
    "idcard.form_number": Bi("公民身份号码（18位）", "ID number (18 characters)"),
    "idcard.form_sex": Bi("性别", "Sex"),
    "idcard.form_male": Bi("男", "Male"),
    "idcard.form_female": Bi("女", "Female"),
    "idcard.form_nation": Bi("民族", "Nation"),
    "idcard.form_from": Bi("有效期起 YYYY-MM-DD", "Valid from YYYY-MM-DD"),
    "idcard.form_to": Bi("有效期止 YYYY-MM-DD 或 长期", "Valid to YYYY-MM-DD or long-term"),
    "idcard.form_save": Bi("保存", "Save"),
    # Staff sign-in (F12)
    "staff.heading": Bi("工作人员登录", "Staff sign-in"),
    "staff.number": Bi("工号", "Staff number"),
    "staff.pin": Bi("密码", "PIN"),
    "staff.sign_in": Bi("登录", "Sign in"),
    "staff.card": Bi("刷工作证", "Staff card"),
    "staff.place_card": Bi("请将工作证放在读卡器上……", "Place your staff card on the reader…"),
    "staff.enter_pin_for": Bi("{name}，请输入密码。", "{name}, please enter your PIN."),
    "staff.fill_both": Bi("请输入工号和密码。", "Enter your staff number and PIN."),
    "staff.unavailable": Bi(
        "本机未配置工作人员功能，无法登录。",
        "Staff sign-in is not set up on this kiosk.",
    ),
    "staff.quit_training": Bi("退出培训模式", "Quit training mode"),
    "staff.quit_hint": Bi(
        "培训模式下可在此退出程序。",
        "In training mode the program can be ended here.",
    ),
    # Staff mode
    "staff.home_heading": Bi("工作人员：{name}（{role_zh}）", "Staff: {name} ({role})"),
    "staff.timeout_hint": Bi(
        "{n} 秒无操作将自动签退。", "Signs out by itself after {n} s without activity."
    ),
    "staff.day_close": Bi("日结", "End-of-day close"),
    "staff.sign_out": Bi("签退", "Sign out"),
    "staff.quit": Bi("退出程序", "End the program"),
    # Dual-control approval
    "staff.approval_heading": Bi("复查员审批", "Supervisor approval"),
    "staff.approval_day": Bi("日结差异审批", "Approve the close's differences"),
    "staff.approver_number": Bi("复查员工号", "Supervisor's staff number"),
    "staff.approver_pin": Bi("复查员密码", "Supervisor's PIN"),
    "staff.approver_fill": Bi(
        "请复查员输入工号和密码。", "The supervisor enters their staff number and PIN."
    ),
    "staff.approve": Bi("批准", "Approve"),
    "staff.reject": Bi("驳回", "Reject"),
    "staff.cancel": Bi("取消", "Cancel"),
    # The clerk's day close
    "staff.day_heading": Bi("日结 {date}", "End-of-day close {date}"),
    "staff.day_item": Bi("项目", "Item"),
    "staff.day_expected": Bi("应收（元）", "Expected (yuan)"),
    "staff.day_count": Bi("笔数", "Count"),
    "staff.day_total": Bi("合计", "Total"),
    "staff.day_keys": Bi("库存介质", "Keys in stock"),
    "staff.day_counted": Bi("清点金额（元）", "Counted (yuan)"),
    "staff.day_note": Bi("说明（有差异时必填）", "Note (required when figures differ)"),
    "staff.day_in_flight": Bi(
        "进行中的事项：要结转到下一营业日请逐项勾选。",
        "In flight: tick each one to carry it over to the next day.",
    ),
    "staff.day_carry_visit": Bi("结转受理 {order}", "Carry over visit {order}"),
    "staff.day_carry_payment": Bi("结转待付款 {id}", "Carry over payment {id}"),
    "staff.day_check": Bi("核对差异", "Check"),
    "staff.day_no_diff": Bi("清点与应收一致。", "Counted figures match."),
    "staff.day_diff": Bi("差异 {item}：{amount}", "Difference {item}: {amount}"),
    "staff.day_over": Bi("（超出阈值）", " (over the threshold)"),
    "staff.day_blocked": Bi("尚有未完成事项：", "Work still in flight:"),
    "staff.day_open_visit": Bi("受理 {order} 尚未完成", "visit {order} is still open"),
    "staff.day_pending_payment": Bi("付款 {id} 待确认", "payment {id} is still pending"),
    "staff.day_closed": Bi("{date} 已日结。", "{date} is closed."),
    "staff.day_is_closed": Bi("该日已日结。", "This day is already closed."),
    "staff.method_card": Bi("刷卡", "Card"),
    "staff.method_wechat": Bi("微信支付", "WeChat Pay"),
    "staff.method_alipay": Bi("支付宝", "Alipay"),
    "staff.method_transfer": Bi("转账", "Transfer"),
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
    # Staff: sync with the back office (queue, quarantine, keys waiting)
    "sync.heading": Bi("数据同步", "Sync with the back office"),
    "sync.summary": Bi(
        "后台{online}，待上传 {pending} 条，已隔离 {quarantined} 条；最近成功：{last}",
        "Back office {online}; {pending} to send, {quarantined} quarantined; last success: {last}",
    ),
    "sync.never": Bi("从未", "never"),
    "sync.queue": Bi("待上传队列", "Queue"),
    "sync.quarantine": Bi("已隔离事件（后台拒收）", "Quarantined (rejected by the back office)"),
    "sync.keys": Bi("等待证书的密钥", "Keys waiting for certificates"),
    "sync.col_seq": Bi("序号", "No."),
    "sync.col_visit": Bi("受理号", "Order"),
    "sync.col_kind": Bi("事件", "Event"),
    "sync.col_time": Bi("时间", "Time"),
    "sync.col_tries": Bi("尝试", "Tries"),
    "sync.col_reason": Bi("原因", "Reason"),
    "sync.col_key": Bi("密钥", "Key"),
    "sync.col_state": Bi("状态", "State"),
    "sync.col_action": Bi("处理", "What to do"),
    "sync.retry_one": Bi("重试所选", "Retry selected"),
    "sync.retry_all": Bi("全部重试", "Retry all"),
    "sync.export": Bi("导出", "Export"),
    "sync.nothing": Bi("没有已隔离的事件", "Nothing is quarantined"),
    "sync.retried": Bi("已重新排队 {n} 条", "{n} event(s) back in the queue"),
    "sync.exported": Bi("已导出 {n} 条到 {path}", "Exported {n} event(s) to {path}"),
    "sync.failed": Bi("读取同步数据失败：{error}", "Could not read the sync data: {error}"),
    "sync.state_waiting": Bi("等待证书", "waiting"),
    "sync.state_ready": Bi("证书已到", "certificate arrived"),
    "sync.state_installed": Bi("待领取", "ready for pickup"),
    "sync.state_failed": Bi("后台拒绝", "refused"),
    "sync.do_waiting": Bi(
        "保留密钥；后台联机后自动申请证书", "Keep the key: it is requested when online"
    ),
    "sync.do_ready": Bi("请插入密钥：证书已到", "Insert the key: its certificate has arrived"),
    "sync.do_installed": Bi("核对经办人身份证后交付", "Hand over against the agent's ID card"),
    "sync.do_failed": Bi(
        "后台拒绝申请，请主管处理", "Refused by the back office: call a supervisor"
    ),
}


# Training mode's simulator panel (screens/simulator.py), care mode and the visit's progress.
CATALOGUE.update(
    {
        "keys.simulator": Bi("F9 模拟器", "F9 Simulator"),
        "keys.care": Bi("F3 关怀模式", "F3 Large text"),
        "sim.heading": Bi("培训模拟器", "Training simulator"),
        "sim.parts": Bi("模拟设备", "Stand-ins"),
        "sim.part_line": Bi("{name}　状态：{state} {detail}", "{name}: {state} {detail}"),
        "sim.part_starting": Bi("启动中", "starting"),
        "sim.part_ready": Bi("就绪", "ready"),
        "sim.part_stopped": Bi("已停止", "stopped"),
        "sim.part_fault": Bi("故障", "fault"),
        "sim.card_place": Bi("放上身份证", "Place card"),
        "sim.card_remove": Bi("取走身份证", "Remove card"),
        "sim.card_now": Bi("读卡区：{who}", "On the reader: {who}"),
        "sim.nobody": Bi("无", "nothing"),
        "sim.key_blank": Bi("插入空白介质", "Insert blank key"),
        "sim.key_issued": Bi("插入已签发介质", "Insert issued key"),
        "sim.key_pull": Bi("拔出介质", "Pull key"),
        "sim.key_now": Bi(
            "读卡器中：空白 {blank}，已签发 {issued}；库存空白 {left}；抽屉中 {drawer}",
            "In reader: blank {blank}, issued {issued}; blanks in stock {left}; drawer {drawer}",
        ),
        "sim.yes": Bi("有", "yes"),
        "sim.no": Bi("无", "no"),
        "sim.imprint_use": Bi("摄像头显示此印模", "Show this imprint"),
        "sim.imprint_now": Bi("摄像头：{name}", "Camera: {name}"),
        "sim.paper_out": Bi("缺纸", "Out of paper"),
        "sim.paper_in": Bi("装纸恢复", "Paper back"),
        "sim.printer_now": Bi("打印机状态：{state}", "Printer state: {state}"),
        "sim.net_cut": Bi("断开网络", "Cut network"),
        "sim.net_restore": Bi("恢复网络", "Restore network"),
        "sim.net_now": Bi("到后台的网络：{state}", "Network to the hub: {state}"),
        "sim.net_up": Bi("畅通", "up"),
        "sim.net_down": Bi("已断开", "cut"),
        "sim.working": Bi("正在操作模拟设备…", "Driving the stand-in…"),
        "sim.done": Bi("已完成：{what}", "Done: {what}"),
        "sim.failed": Bi(
            "操作失败：{error}。请检查模拟设备状态后重试。",
            "Failed: {error}. Check the stand-ins above and try again.",
        ),
        "sim.pick": Bi("请选择", "Choose"),
    }
)


# One visit on screen (screens/visit.py): the steps of the flow engine's plan.
CATALOGUE.update(
    {
        "visit.step_identify": Bi("身份核验", "Identify"),
        "visit.step_form": Bi("填写资料", "Unit data"),
        "visit.step_materials": Bi("核对材料", "Materials"),
        "visit.step_seal": Bi("印章", "Seal"),
        "visit.step_quote": Bi("费用", "Fees"),
        "visit.step_pay": Bi("缴费", "Payment"),
        "visit.step_keys": Bi("制作介质", "Key"),
        "visit.step_handover": Bi("交付", "Hand over"),
        "visit.step_receipt": Bi("收据", "Receipt"),
        "visit.step_other": Bi("下一步", "Next step"),
        "visit.order": Bi("单号 {order}", "order {order}"),
        "visit.next": Bi("下一步", "Next"),
        "visit.order_heading": Bi("请输入原业务单号", "Enter the earlier visit's order number"),
        "visit.order_hint": Bi(
            "续期、解锁、领取等业务针对已办理的介质：请输入原受理单上的单号，然后按回车",
            "Renewal, unlock and pickup work on an issued key: type the order number from its "
            "receipt and press Enter",
        ),
        "visit.identify_heading": Bi("核验经办人身份证", "The agent's ID card"),
        "visit.identify_hint": Bi(
            "按下方按钮后，请将经办人身份证放在读卡区", "Press the button, then place the card"
        ),
        "visit.identify_read": Bi("读取身份证", "Read ID card"),
        "visit.identify_go": Bi("确认经办人", "Confirm agent"),
        "visit.agent_read": Bi("经办人：{name}（{number}）", "Agent: {name} ({number})"),
        "visit.form_heading": Bi("填写单位资料", "The unit's data"),
        "visit.form_individual": Bi(
            "个人证书使用经办人身份证上的姓名，无需填写单位资料",
            "An individual certificate uses the name on the ID card: nothing to fill in",
        ),
        "visit.form_uscc": Bi("统一社会信用代码（18位）", "Unified social credit code (18)"),
        "visit.form_name": Bi("单位名称", "Unit name"),
        "visit.form_legal_rep": Bi("法定代表人", "Legal representative"),
        "visit.form_phone": Bi("联系电话", "Phone"),
        "visit.form_prefilled": Bi(
            "已按该单位上次办理的资料预填，请核对",
            "Filled in from this unit's last visit: check it",
        ),
        "visit.materials_heading": Bi("核对材料", "Check the materials"),
        "visit.materials_hint": Bi(
            "请将以下材料交工作人员核对", "Hand these materials to the staff to check"
        ),
        "visit.materials_ok": Bi("材料已核对", "Materials checked"),
        "visit.seal_heading": Bi("电子印章：拍摄印模", "Electronic seal: the imprint"),
        "visit.seal_hint": Bi(
            "请在《电子印章申请表》上盖好实物印章，选择印章类型，然后按“打开摄像头”，"
            "将印模放在镜头下",
            "Stamp the real seal on the seal application form, choose the seal type, press "
            "Open camera and hold the imprint under it",
        ),
        "visit.seal_check": Bi("打开摄像头", "Open camera"),
        "visit.quote_heading": Bi("费用明细", "Fees"),
        "visit.quote_total": Bi("合计　{total}", "Total  {total}"),
        "visit.quote_ok": Bi("确认费用", "Accept fees"),
        "visit.pay_heading": Bi("缴费", "Payment"),
        "visit.pay_amount": Bi("应付金额：{total}", "Amount due: {total}"),
        "visit.pay_hint": Bi(
            "请在银行卡终端刷卡，完成后输入终端参考号",
            "Pay on the card terminal, then type its reference",
        ),
        "visit.pay_card": Bi("刷卡完成", "Card paid"),
        "visit.keys_heading": Bi("制作介质", "Writing the key"),
        "visit.keys_hint": Bi(
            "请插入介质（USB Key），按“开始”后请勿拔出，制作约需数秒",
            "Insert the USB key and press Start; do not pull it out while it is written",
        ),
        "visit.keys_pin": Bi("介质 PIN 码", "The key's PIN"),
        "visit.keys_go": Bi("开始", "Start"),
        "visit.handover_heading": Bi("交付介质", "Hand over the key"),
        "visit.handover_hint": Bi(
            "介质 {serial} 已完成。按“交付”打印 PIN 码信封，连同介质交给经办人",
            "Key {serial} is done. Press Hand over to print the PIN slip; give both to the agent",
        ),
        "visit.handover_ok": Bi("交付", "Hand over"),
        "visit.receipt_heading": Bi("收据", "Receipt"),
        "visit.receipt_hint": Bi("按“打印”打印收据", "Press Print for the receipt"),
        "visit.receipt_go": Bi("打印", "Print"),
        "visit.done_heading": Bi("办理完成", "All done"),
        "visit.done_hint": Bi(
            "业务 {order} 已办理完成，请取走身份证、介质和收据",
            "Visit {order} is done: take your ID card, the key and the receipt",
        ),
        "visit.resume_heading": Bi("未完成的业务", "Unfinished visits"),
        "visit.resume_hint": Bi(
            "选择一笔业务，核对经办人后从中断的步骤继续办理",
            "Choose a visit to continue at the step where it stopped (check the agent first)",
        ),
        "visit.resume_none": Bi("没有未完成的业务", "No unfinished visits"),
        "visit.resume_failed": Bi(
            "读取业务记录失败：{error}", "Could not read the visits: {error}"
        ),
        "visit.resume_offer": Bi(
            "有 {n} 笔未完成的业务：工作人员按 F12 登录后可继续办理",
            "{n} unfinished visit(s): staff can continue them after signing in (F12)",
        ),
        "visit.staff_resume": Bi("未完成业务", "Unfinished visits"),
        "visit.staff_sync": Bi("数据同步", "Sync"),
        "visit.err_detail": Bi("（{detail}；代码 {code}）", " ({detail}; code {code})"),
        "visit.err_other": Bi(
            "这一步没有完成：{detail}（代码 {code}）。请按提示更正后重试，或请工作人员协助；"
            "业务已保存，可稍后继续。",
            "This step did not complete: {detail} (code {code}). Correct it and try again, or "
            "ask the staff; the visit is saved and can be continued.",
        ),
        "visit.err_unknown_order": Bi(
            "找不到这个单号。请核对受理单上的单号后重新输入",
            "No visit with this order number. Check the receipt and type it again",
        ),
        "visit.err_agent": Bi(
            "未读到经办人信息。请重新放置身份证后再按“读取身份证”",
            "The agent was not read. Place the card again and press Read ID card",
        ),
        "visit.err_id_expired": Bi(
            "身份证已过期，不能办理。请持有效证件再来", "The ID card has expired: bring a valid one"
        ),
        "visit.err_uscc": Bi(
            "统一社会信用代码不正确。请对照营业执照重新输入18位代码",
            "The credit code is wrong: type the 18 characters from the business licence",
        ),
        "visit.err_unit": Bi(
            "单位资料不完整。请填写单位名称（法人证书还需法定代表人）",
            "The unit data is incomplete: fill in the name (and the legal representative)",
        ),
        "visit.err_seal": Bi(
            "印模未通过检查。请重新盖章（用力均匀、不要重叠）后再按“拍照检查”",
            "The imprint failed the check: stamp again (evenly, once) and press Check",
        ),
        "visit.err_payment": Bi(
            "缴费未完成。请确认刷卡成功并输入终端参考号，或请工作人员协助",
            "Not paid: make sure the card payment went through and type its reference",
        ),
        "visit.err_pin": Bi(
            "需要介质的 PIN 码。请输入后再按“开始”",
            "The key's PIN is needed: type it and press Start",
        ),
        "visit.err_pin_wrong": Bi(
            "PIN 码不正确，再错几次介质将被锁死。请核对 PIN 码信封后重新输入",
            "Wrong PIN; a few more and the key locks. Check the PIN envelope and type it again",
        ),
        "visit.err_offline_queued": Bi(
            "后台暂时联系不上：介质已制作并留在柜台，证书申请已排队。证书到达后，"
            "请经办人持身份证办理“领取”业务（原单号即本单号）",
            "The back office cannot be reached: the key is made and stays at the counter, its "
            "certificate is requested when online. The agent collects it with the pickup "
            "service (this order number) and their ID card",
        ),
        "visit.err_not_arrived": Bi(
            "证书尚未从后台到达，请稍后再来领取",
            "The certificate has not arrived yet: come back later",
        ),
        "visit.err_nothing_waiting": Bi(
            "该单号下没有待领取的介质，请核对单号",
            "No key waits under this order: check the number",
        ),
        "visit.err_wrong_agent": Bi(
            "此身份证不是原经办人的，介质只能交给原经办人",
            "This is not the applying agent's ID card",
        ),
        "visit.err_key": Bi(
            "介质操作未完成。请检查介质已插好后再按“开始”；业务已保存",
            "The key work did not finish: check the key is inserted and press Start again",
        ),
        "visit.err_hub": Bi(
            "暂时联系不上后台。请稍后重试，或请工作人员协助；业务已保存",
            "The back office cannot be reached now: try again shortly; the visit is saved",
        ),
        "visit.err_camera": Bi(
            "印章摄像头没有画面（未连接，或 kiosk.toml 的 [devices.camera] source 不对）。"
            "请工作人员检查摄像头（kiosk doctor）；或工作人员登录（F12）后在下方填写印模照片文件，"
            "再按“打开摄像头”",
            "No picture from the seal camera (not connected, or [devices.camera] source in "
            "kiosk.toml is wrong). Staff: check the camera (kiosk doctor), or sign in (F12), "
            "give a photo file of the imprint below and press Open camera",
        ),
    }
)


# The visit's seal step on the live camera (screens/visit_seal.py)
CATALOGUE.update(
    {
        "visit.seal_type_label": Bi("印章类型", "Seal type"),
        "visit.seal_type_official": Bi("公章", "Official seal"),
        "visit.seal_type_contract": Bi("合同专用章", "Contract seal"),
        "visit.seal_type_mortgage": Bi("抵押业务专用章", "Mortgage seal"),
        "visit.seal_type_credit": Bi("信贷业务专用章", "Credit seal"),
        "visit.seal_type_chosen": Bi("已选：{type}", "Chosen: {type}"),
        "visit.seal_photo_staff": Bi(
            "摄像头故障时，工作人员可按 F12 登录后改用印模照片文件",
            "If the camera is broken, staff can sign in with F12 and use a photo file instead",
        ),
        "visit.seal_photo_label": Bi(
            "工作人员：摄像头故障时填写印模照片文件路径（留空则使用摄像头）",
            "Staff: a photo file of the imprint if the camera is broken (empty = camera)",
        ),
        "visit.seal_cam_next": Bi(
            "按 Esc 返回业务页面；请工作人员检查摄像头，或登录后改用印模照片文件",
            "Press Esc to go back to the visit; staff check the camera, or sign in and use a "
            "photo file of the imprint",
        ),
        "visit.seal_staff_sign_in": Bi(
            "工作人员请按 F12 登录，回到本页后再按 A 接受并填写原因",
            "Staff: sign in with F12, then press A here and give the reason",
        ),
        "visit.seal_need_supervisor": Bi(
            "接受不合格印模需复查员审批：请复查员输入工号和 PIN",
            "Accepting a failed imprint needs a supervisor: supervisor, type your number and PIN",
        ),
        "visit.seal_override_not_approved": Bi(
            "未获批准：请重拍印模，或由其他复查员审批",
            "Not approved: retake the imprint, or ask another supervisor",
        ),
        "visit.seal_left": Bi(
            "未采用印模。准备好后再按“打开摄像头”",
            "No imprint taken. Press Open camera when ready",
        ),
        "visit.seal_err_photo_staff": Bi(
            "只有已登录的工作人员可以改用照片文件：请按 F12 登录，或清空照片栏使用摄像头",
            "Only signed-in staff may use a photo file: sign in with F12, or empty the field "
            "to use the camera",
        ),
        "visit.seal_err_photo": Bi(
            "照片文件无法使用（不存在、不是图片或过大）。请核对文件路径",
            "The photo file cannot be used (missing, not an image or too large): check the path",
        ),
        "visit.seal_err_override": Bi(
            "接受不合格印模的审批未生效。请重新拍摄，或请复查员审批",
            "The override for this imprint is not in force: retake it, or ask a supervisor",
        ),
    }
)


# The visit's pay step (screens/visit_pay.py), unit type and address on the form, and the
# validity years on the checklist (screens/years.py).
CATALOGUE.update(
    {
        "visit.pay_keys_hint": Bi(
            "付款方式：Shift+Tab 选到方式栏，←/→ 切换，回车进入；默认刷卡",
            "Method: Shift+Tab to the methods, ←/→ to change, Enter to fill it in; card first",
        ),
        "visit.pay_m_card": Bi("刷卡", "Card"),
        "visit.pay_m_wechat": Bi("微信支付", "WeChat Pay"),
        "visit.pay_m_alipay": Bi("支付宝", "Alipay"),
        "visit.pay_m_transfer": Bi("对公转账", "Bank transfer"),
        "visit.pay_code_hint": Bi(
            "请付款人出示付款码，用扫码枪扫描（自动提交）；或按“出示收款码”让付款人扫屏幕上的二维码",
            "Scan the payer's payment code with the scanner (it goes on by itself), or press "
            "Show QR code for the payer to scan the screen",
        ),
        "visit.pay_qr_show": Bi("出示收款码", "Show QR code"),
        "visit.pay_qr_check": Bi("查询是否已付款", "Check payment"),
        "visit.pay_qr_cancel": Bi("取消收款", "Cancel"),
        "visit.pay_simulate": Bi("培训：模拟付款人扫码付款", "Training: the payer scans and pays"),
        "visit.pay_qr_wait": Bi(
            "请付款人用{channel_zh}扫描二维码付款，等待中…剩余 {seconds} 秒",
            "The payer scans the code with {channel_en} and pays; waiting… {seconds} s left",
        ),
        "visit.pay_qr_timed_out": Bi(
            "二维码已超时关闭，未扣款。可重新出示收款码，或改用其他方式",
            "The QR code timed out and was closed; nothing was charged. Show a new one or "
            "take the money another way",
        ),
        "visit.pay_qr_closed": Bi(
            "收款已取消，未扣款。可重新出示收款码，或改用其他方式",
            "Cancelled; nothing was charged. Show a new code or take the money another way",
        ),
        "visit.pay_qr_timeout_reason": Bi("二维码超时未付款", "QR code not paid in time"),
        "visit.pay_qr_cancel_reason": Bi("柜台取消收款", "cancelled at the counter"),
        "visit.pay_payer": Bi("付款账户名称", "Paying account's name"),
        "visit.pay_serial": Bi("银行流水号", "Bank serial number"),
        "visit.pay_transfer_note": Bi(
            "须由“{payer}”的账户转账，备注：{remark}。到账经工作人员确认前不制作证书；业务会保存",
            "The transfer must come from {payer}'s account, remark: {remark}. No certificate "
            "is made until staff confirm the money arrived; the visit is saved",
        ),
        "visit.pay_transfer_go": Bi("登记转账", "Record transfer"),
        "visit.transfer_wait": Bi(
            "对公转账尚未确认到账，暂不能制作证书。请工作人员核对到账后输入工号和密码确认；"
            "也可先离开，到账后由工作人员在“未完成业务”中继续本业务",
            "The bank transfer is not confirmed yet, so no key is made. Staff who see the "
            "money arrive confirm with their staff number and PIN; or leave, and staff resume "
            "the visit once it has arrived",
        ),
        "visit.transfer_staff": Bi("工作人员工号", "Staff number"),
        "visit.transfer_pin": Bi("工作人员密码", "Staff PIN"),
        "visit.transfer_confirm": Bi("确认到账", "Confirm arrival"),
        "visit.transfer_allowed": Bi(
            "对公转账待确认；本柜台设置允许先制作证书。请按“开始”",
            "The transfer is still unconfirmed; this counter issues meanwhile. Press Start",
        ),
        "visit.form_unit_type": Bi(
            "单位性质（↑/↓ 选择，回车确认）", "Unit type (↑/↓ to choose, Enter to keep)"
        ),
        "visit.form_address": Bi("单位地址（营业执照住所）", "Unit address (as registered)"),
        "checklist.years_line": Bi(
            "有效期 {years} 年　合计 {total}　（←/→ 或数字键选择 {low}–{high} 年）",
            "Valid {years} year(s) · total {total} (←/→ or a digit: {low}–{high} years)",
        ),
        "checklist.years_line_recommended": Bi(
            "有效期 {years} 年（推荐）　合计 {total}　（←/→ 或数字键选择 {low}–{high} 年）",
            "Valid {years} year(s) (recommended) · total {total} (←/→ or a digit: "
            "{low}–{high} years)",
        ),
        "visit.err_pay_bad_code": Bi(
            "这不是微信或支付宝付款码。请付款人刷新付款码后重新扫描",
            "That is not a WeChat Pay or Alipay payment code: ask the payer to refresh it "
            "and scan again",
        ),
        "visit.err_pay_refused": Bi(
            "支付被拒绝，未扣款。请付款人换一种方式付款",
            "The payment was refused; nothing was charged. Try another way",
        ),
        "visit.err_pay_not_confirmed": Bi(
            "付款人未在规定时间内确认，交易已撤销，未扣款。请重新扫码",
            "The payer did not confirm in time; the trade was reversed, nothing charged. "
            "Scan again",
        ),
        "visit.err_pay_unclear": Bi(
            "支付结果暂不明确，系统会自动核对。请稍后再按一次，切勿重复收款",
            "The result is not clear yet and is being checked: try again shortly; do not "
            "take the money twice",
        ),
        "visit.err_pay_offline": Bi(
            "离线：微信支付和支付宝暂不可用。请改用刷卡或对公转账",
            "Offline: WeChat Pay and Alipay are unavailable. Use the card or a transfer",
        ),
        "visit.err_pay_reference": Bi(
            "参考号不正确：应为4到40位字母或数字。请对照终端或银行凭条",
            "The reference is wrong: 4 to 40 letters or digits, from the terminal or bank slip",
        ),
        "visit.err_pay_duplicate_ref": Bi(
            "该参考号已登记过。请核对终端小票或银行凭条",
            "That reference was already recorded: check the terminal or bank slip",
        ),
        "visit.err_pay_payer": Bi(
            "转账须从本单位（自然人证书为申请人本人）的账户转出，请核对付款账户名称",
            "A transfer must come from the unit's account (the applicant's for a personal "
            "certificate): check the account name",
        ),
        "visit.err_pay_cancelled": Bi(
            "此次收款已关闭，未扣款。请重新收款",
            "That attempt was closed; nothing was charged. Take the money again",
        ),
        "visit.err_pay_open": Bi(
            "还有一笔收款未结束。请等它完成，或先“取消收款”再换方式",
            "Another payment is still open: wait for it, or cancel it before changing method",
        ),
        "visit.err_pay_qr_waiting": Bi(
            "付款人还没有付款。请稍候，或取消后改用其他方式",
            "The payer has not paid yet: wait, or cancel and take the money another way",
        ),
        "visit.err_not_paid": Bi(
            "款项尚未确认到账，不能制作证书。请工作人员确认到账后继续；业务已保存",
            "The money is not confirmed yet, so no key is made: staff confirm it, then go on; "
            "the visit is saved",
        ),
        "visit.err_staff_pin": Bi(
            "工号或密码不正确。请工作人员重新输入",
            "Staff number or PIN is wrong: type them again",
        ),
        "visit.err_staff_locked": Bi(
            "该工号已锁定或停用。请其他工作人员确认，或联系主管",
            "That staff number is locked or disabled: ask another member of staff or a supervisor",
        ),
        "visit.err_staff_role": Bi(
            "该工号无权确认转账。请受理员或主管确认",
            "That staff member may not confirm transfers: ask an operator or a supervisor",
        ),
        "visit.err_renew_too_long": Bi(
            "续期后证书有效期将超过5年。请按 Esc 返回，减少续期年限后再开始",
            "The renewal would leave the certificate valid more than 5 years from today: "
            "press Esc, choose fewer years and start again",
        ),
        "visit.err_unit_type": Bi(
            "单位性质不在可选范围内。请用↑/↓从列表中选择",
            "That unit type is not one of the list: choose one with ↑/↓",
        ),
        "visit.err_address": Bi(
            "单位地址不正确。请按营业执照上的住所完整填写（中文，6到100个字，一行）",
            "The unit address is wrong: type the registered address in full (in Chinese, "
            "6 to 100 characters, one line)",
        ),
    }
)


# The supervisor console (screens/supervisor, ``kiosk supervise`` / ``kiosk serve-web``): a
# read-only view of the counter's day for a signed-in supervisor.
CATALOGUE.update(
    {
        "console.title": Bi("主管监控台（只读）", "Supervisor console (read-only)"),
        "console.heading": Bi("主管登录", "Supervisor sign-in"),
        "console.intro": Bi(
            "仅限复查员（主管）登录。本页面只查看柜台数据，不连接任何设备。",
            "Supervisors only. This view reads the counter's records and opens no device.",
        ),
        "console.fill_both": Bi("请输入工号和密码。", "Enter your staff number and PIN."),
        "console.signing_in": Bi("正在验证……", "Checking…"),
        "console.signed_out": Bi("已签退。", "Signed out."),
        "console.timed_out": Bi(
            "长时间无操作，已自动签退，请重新登录。",
            "Signed out after a while without activity: sign in again.",
        ),
        "console.who": Bi("复查员：{name}（{staff_no}）", "Supervisor: {name} ({staff_no})"),
        "console.loading": Bi("正在读取柜台数据……", "Reading the counter's records…"),
        "console.updated": Bi(
            "{day}　更新于 {at}（每 {n} 秒刷新）", "{day} · updated {at} (every {n} s)"
        ),
        "console.read_failed": Bi(
            "读取柜台数据失败：{error}。将自动重试；如持续失败，请检查柜台程序是否运行。",
            "Cannot read the counter's records: {error}. Retrying; if it persists, check the "
            "kiosk is running.",
        ),
        "console.summary": Bi(
            "今日受理 {total}（完成 {done}，进行中 {open}，失败 {failed}）　今日应收 ￥{expected}"
            "　待上传 {pending}　隔离 {quarantined}",
            "Today {total} visits ({done} done, {open} open, {failed} failed) · expected "
            "¥{expected} · outbox {pending} · quarantined {quarantined}",
        ),
        "console.tab_visits": Bi("1 今日业务", "1 Today"),
        "console.tab_unfinished": Bi("2 未完成", "2 Unfinished"),
        "console.tab_money": Bi("3 收款", "3 Money"),
        "console.tab_keys": Bi("4 介质", "4 Keys"),
        "console.tab_status": Bi("5 同步与设备", "5 Sync & devices"),
        "keys.console": Bi(
            "F2 English　1-5 切换　F5 刷新　F10 签退　Ctrl+Q 退出",
            "F2 中文 · 1-5 switch · F5 refresh · F10 sign out · Ctrl+Q quit",
        ),
        "console.sign_out": Bi("签退", "Sign out"),
        "console.col_order": Bi("单号", "Order"),
        "console.col_opened": Bi("开单", "Opened"),
        "console.col_updated": Bi("更新", "Updated"),
        "console.col_service": Bi("业务", "Service"),
        "console.col_program": Bi("项目", "Program"),
        "console.col_kind": Bi("类型", "Kind"),
        "console.col_state": Bi("状态", "State"),
        "console.col_step": Bi("步骤", "Step"),
        "console.col_amount": Bi("金额（元）", "Amount (¥)"),
        "console.col_payment": Bi("付款", "Payment"),
        "console.col_training": Bi("培训", "Training"),
        "console.col_failure": Bi("原因", "Why"),
        "console.col_method": Bi("方式", "Method"),
        "console.col_paid_n": Bi("收款笔数", "Payments"),
        "console.col_paid": Bi("收款（元）", "Paid (¥)"),
        "console.col_refund_n": Bi("退款笔数", "Refunds"),
        "console.col_refunded": Bi("退款（元）", "Refunded (¥)"),
        "console.col_adjusted": Bi("调整（元）", "Adjusted (¥)"),
        "console.col_expected": Bi("应收（元）", "Expected (¥)"),
        "console.col_item": Bi("项目", "Item"),
        "console.col_count": Bi("数量", "Count"),
        "console.col_device": Bi("设备", "Device"),
        "console.col_reason": Bi("说明", "Detail"),
        "console.col_since": Bi("自", "Since"),
        "console.total": Bi("合计", "Total"),
        "console.yes": Bi("是", "yes"),
        "console.state_open": Bi("进行中", "open"),
        "console.state_done": Bi("已完成", "done"),
        "console.state_failed": Bi("失败", "failed"),
        "console.state_voided": Bi("已作废", "voided"),
        "console.step_done": Bi("完成", "finished"),
        "console.pay_paid": Bi("已付", "paid"),
        "console.pay_pending": Bi("待确认", "pending"),
        "console.pay_cancelled": Bi("已取消", "cancelled"),
        "console.pay_refunded": Bi("已退款", "refunded"),
        "console.pay_free": Bi("免费", "free"),
        "console.no_visits": Bi("今日尚无受理。", "No visits today yet."),
        "console.no_unfinished": Bi("没有未完成的受理。", "No unfinished visits."),
        "console.unfinished_hint": Bi(
            "选中一行查看原因；续办请在柜台以工作人员身份（F12）操作。",
            "Select a row for the reason; staff resume a visit at the counter (F12).",
        ),
        "console.failure_none": Bi("尚未完成，未报错。", "Not finished; no error recorded."),
        "console.report_x": Bi(
            "{day} 未日结（X 报表，实时计算）", "{day} not closed (X-report, live)"
        ),
        "console.report_z": Bi("{day} 已日结（Z 报表）", "{day} closed (Z-report)"),
        "console.in_flight": Bi(
            "进行中的受理 {visits} 笔，待确认付款 {payments} 笔",
            "{visits} visit(s) open, {payments} payment(s) pending",
        ),
        "console.key_opening": Bi("期初库存", "Opening stock"),
        "console.key_received": Bi("入库", "Received"),
        "console.key_issued": Bi("发出", "Issued"),
        "console.key_spoiled": Bi("报损", "Spoiled"),
        "console.key_adjusted": Bi("调整", "Adjusted"),
        "console.key_expected": Bi("应有库存", "Expected closing"),
        "console.key_no_stock": Bi("本机未记录介质库存。", "No key stock is kept here."),
        "console.key_state": Bi("介质状态：{state}", "Keys {state}"),
        "console.key_waiting": Bi(
            "留在柜台待证书或待领取的介质：{n} 个", "Keys kept at the counter: {n}"
        ),
        "console.sync_line": Bi(
            "后台：{online}　待上传 {pending}　隔离 {quarantined}　上次成功 {last}",
            "Hub: {online} · outbox {pending} · quarantined {quarantined} · last sent {last}",
        ),
        "console.sync_error": Bi("上次错误：{error}", "Last error: {error}"),
        "console.never": Bi("从未", "never"),
        "console.devices_at": Bi(
            "设备状态为柜台程序于 {at} 记录（{age} 秒前）",
            "Device states as the kiosk recorded them at {at} ({age} s ago)",
        ),
        "console.devices_stale": Bi(
            "柜台程序已超过 {age} 秒未更新设备状态，可能未在运行；以下为最后记录。",
            "The kiosk has not recorded device states for {age} s: it may not be running. "
            "Last known states below.",
        ),
        "console.devices_never": Bi(
            "柜台程序尚未记录过设备状态（未运行过，或版本较旧）。",
            "The kiosk has never recorded device states (not run yet, or an older version).",
        ),
    }
)


# Services on an existing key, on the visit screen (screens/visit_services.py).
CATALOGUE.update(
    {
        "svc.reading": Bi("正在读取介质和证书…", "Reading the key and certificate…"),
        "svc.step_change": Bi("写入变更", "Change"),
        "svc.step_replace": Bi("制作新介质", "New key"),
        "svc.step_unlock": Bi("解锁", "Unlock"),
        "svc.step_cancel": Bi("注销", "Cancel"),
        "svc.step_recovery": Bi("密钥恢复", "Recovery"),
        "svc.step_seal": Bi("写入印章", "Write seal"),
        "svc.step_pickup": Bi("领取", "Collect"),
        "svc.step_refund": Bi("退费", "Refund"),
        "svc.info_failed": Bi(
            "暂时读不到介质信息（{reason}）。请检查介质已插好；仍可继续办理",
            "Cannot read the key now ({reason}). Check the key is inserted; you may go on",
        ),
        "svc.no_key_info": Bi("原业务没有介质记录", "The earlier visit left no key"),
        "svc.key_line": Bi(
            "介质 {serial}　证书序列号 {cert}　有效期至 {not_after}",
            "Key {serial} · certificate {cert} · valid to {not_after}",
        ),
        "svc.key_state": Bi("　状态：{state}", " · state: {state}"),
        "svc.key_state_active": Bi("正常", "active"),
        "svc.key_state_suspended": Bi("已锁定", "locked"),
        "svc.key_state_terminated": Bi("已作废", "written off"),
        "svc.key_state_lost": Bi("已挂失", "reported lost"),
        "svc.key_state_damaged": Bi("已报损", "reported damaged"),
        "svc.key_seal": Bi("　含电子印章", " · with a seal"),
        "svc.pin_line": Bi("PIN 码状态：{pin}", "PIN: {pin}"),
        "svc.pin_locked": Bi("已锁定（输错次数已用完）", "locked (no tries left)"),
        "svc.pin_final_try": Bi("只剩最后 1 次机会", "only 1 try left"),
        "svc.pin_count_low": Bi("曾输错，剩余次数不多", "a wrong PIN was entered: few tries left"),
        "svc.pin_ok": Bi("未锁定，剩余次数充足", "not locked, tries left"),
        "svc.pin_absent": Bi(
            "读卡器里没有此介质，请插入介质", "this key is not in the reader: insert it"
        ),
        # finding the earlier visit without the receipt
        "svc.find_hint": Bi(
            "没有单号？可读经办人身份证，或插入原介质，查找原业务",
            "No order number? Read the agent's ID card or insert the key to find the visit",
        ),
        "svc.find_card": Bi("读身份证查找", "Find by ID card"),
        "svc.find_key": Bi("按插入的介质查找", "Find by the inserted key"),
        "svc.found_heading": Bi("找到以下业务，请选择：", "Found these visits; choose one:"),
        "svc.found_row": Bi(
            "单号 {order}　{service}　{day}　{holder}",
            "Order {order} · {service} · {day} · {holder}",
        ),
        "svc.found_key": Bi("　介质 {serial}", " · key {serial}"),
        # each service's key step
        "svc.renew_heading": Bi("续期：写入新证书", "Renew: the new certificate"),
        "svc.renew_hint": Bi(
            "请插入介质并输入 PIN 码，新证书从原有效期结束日起算",
            "Insert the key and enter its PIN; the new certificate runs on from the old end",
        ),
        "svc.renew_go": Bi("开始续期", "Renew"),
        "svc.change_heading": Bi("变更证书信息", "Change the certificate's data"),
        "svc.change_after": Bi("变更后单位名称：{name}", "After the change: {name}"),
        "svc.change_hint": Bi(
            "将按新资料重新签发证书，有效期不变；原证书作废（隶属关系变更）。请输入介质 PIN 码",
            "A certificate with the new data is issued, same validity; the old one is revoked "
            "(affiliationChanged). Enter the key's PIN",
        ),
        "svc.change_go": Bi("写入变更", "Write the change"),
        "svc.replace_heading": Bi("补办介质（换 key）", "Replace the key"),
        "svc.replace_ask": Bi("原介质是遗失还是损坏？", "Was the old key lost or damaged?"),
        "svc.replace_lost": Bi("介质遗失", "Lost"),
        "svc.replace_damaged": Bi("介质损坏（交回旧介质）", "Damaged (hand the old key in)"),
        "svc.replace_hint": Bi(
            "新介质的证书主体和有效期与原证书相同；原介质作废",
            "The new key's certificate keeps the subject and end date; the old key is written off",
        ),
        "svc.replace_lost_note": Bi(
            "遗失：原介质 {serial} 的证书按“密钥泄露”吊销，任何人都不能再使用它",
            "Lost: key {serial}'s certificate is revoked as keyCompromise; nobody can use it",
        ),
        "svc.replace_damaged_note": Bi(
            "损坏：请把旧介质 {serial} 交给工作人员；原证书按“已被取代”吊销",
            "Damaged: hand key {serial} to the staff; its certificate is revoked as superseded",
        ),
        "svc.replace_go": Bi("制作新介质", "Make the new key"),
        "svc.unlock_heading": Bi("介质解锁", "Unlock the key"),
        "svc.unlock_hint": Bi(
            "解锁会重设 PIN 码；新 PIN 码打印在密码条上，只打印一次，请妥善保管",
            "Unlocking sets a new PIN, printed once on a PIN slip: keep it safe",
        ),
        "svc.unlock_go": Bi("解锁并重设 PIN", "Unlock, new PIN"),
        "svc.cancel_heading": Bi("注销证书", "Cancel the certificate"),
        "svc.cancel_warning": Bi(
            "注销不可撤销：证书立即吊销，介质内容被清除，不能恢复；以后要用须重新申请",
            "Cancelling cannot be undone: the certificate is revoked at once and the key "
            "wiped; to use one again, apply anew",
        ),
        "svc.cancel_ask": Bi("注销原因：", "Why is it cancelled?"),
        "svc.reason_cessationOfOperation": Bi(
            "停止使用（单位注销或不再需要）", "No longer used (cessationOfOperation)"
        ),
        "svc.reason_affiliationChanged": Bi(
            "单位信息或隶属关系变更", "Affiliation changed (affiliationChanged)"
        ),
        "svc.reason_superseded": Bi("已由新证书取代", "Replaced by another (superseded)"),
        "svc.reason_keyCompromise": Bi(
            "密钥泄露或介质被他人使用", "Key compromised (keyCompromise)"
        ),
        "svc.reason_privilegeWithdrawn": Bi(
            "资格被撤销", "Privilege withdrawn (privilegeWithdrawn)"
        ),
        "svc.reason_unspecified": Bi("其他原因", "Other (unspecified)"),
        "svc.cancel_confirm": Bi("我已知晓注销不可撤销", "I understand this cannot be undone"),
        "svc.cancel_go": Bi("确认注销", "Cancel it"),
        "svc.seal_heading": Bi("电子印章写入证书", "Put the seal on the certificate"),
        "svc.seal_hint": Bi(
            "印模已通过检查。印章将写入上面的介质（已有印章则更换为新印章）；请输入 PIN 码",
            "The imprint passed. The seal goes on the key above (replacing any seal on it); "
            "enter the PIN",
        ),
        "svc.seal_go": Bi("写入印章", "Write the seal"),
        "svc.refund_heading": Bi("退费", "Refund"),
        "svc.refund_hint": Bi(
            "退费规则：签收后 14 天内且证书未激活，可原路退回",
            "The rule: within 14 days of delivery and not activated, paid back the same way",
        ),
        "svc.refund_yes": Bi("可退金额：{amount}，原路退回", "Refundable: {amount}, paid back"),
        "svc.refund_no": Bi("不符合退费规则，不能退费", "Outside the refund rule: no refund"),
        "svc.refund_go": Bi("申请退费", "Refund"),
        "svc.key_recovery_heading": Bi("密钥恢复", "Key recovery"),
        "svc.recovery_hint": Bi(
            "只能恢复加密密钥，签名密钥任何情况下都不恢复。请插入原介质并输入 PIN 码，"
            "托管的加密密钥将写回介质",
            "Only encryption keys are recovered, never signing keys. Insert the key and enter "
            "its PIN: the escrowed encryption key is written back onto it",
        ),
        "svc.key_recovery_go": Bi("恢复加密密钥", "Recover the encryption key"),
        "svc.pickup_heading": Bi("领取介质", "Collect the key"),
        "svc.pickup_hint": Bi(
            "领取原单号 {order} 办理的介质；只交给原经办人本人",
            "The key prepared under {order}; handed to the applying agent only",
        ),
        "svc.pickup_go": Bi("领取", "Collect"),
        # the done screen
        "svc.done_cert": Bi(
            "证书序列号 {cert}　有效期至 {not_after}　介质 {serial}",
            "Certificate {cert} · valid to {not_after} · key {serial}",
        ),
        "svc.done_cancel": Bi(
            "证书已注销，介质 {serial} 已清空作废。原因：{reason}",
            "The certificate is cancelled; key {serial} wiped. Reason: {reason}",
        ),
        "svc.done_recovered": Bi(
            "加密密钥已恢复到介质 {serial}（加密证书序列号 {enc}）",
            "The encryption key is back on key {serial} (encryption certificate {enc})",
        ),
        "svc.done_refund": Bi(
            "已退费 {amount}，原路退回付款账户", "Refunded {amount} to the paying account"
        ),
        # refusals, with the next step
        "svc.err_code": Bi("（代码 {code}）", " (code {code})"),
        "svc.err_no_escrow": Bi(
            "本柜台没有配置密钥托管，不能在此恢复加密密钥（签名密钥任何情况下都不恢复）。"
            "请拨打服务热线，由后台办理密钥恢复；本次受理已记录",
            "No key escrow is set up at this counter, so encryption keys cannot be recovered "
            "here (signing keys never are). Call the hotline: the back office recovers it; "
            "this visit is recorded",
        ),
        "svc.err_no_escrowed_key": Bi(
            "此介质没有托管的加密密钥（托管前签发的证书）。请改办“补办”换新介质；业务已保存",
            "No encryption key of this key is in escrow (issued before escrow): choose Replace",
        ),
        "svc.err_not_holder": Bi(
            "此身份证不是证书持有单位或本人的，不能恢复其加密密钥。请持有人或其单位经办人办理",
            "This ID card is not the holder's: the holder or their unit's agent must come",
        ),
        "svc.err_kmc_refused": Bi(
            "后台密钥管理中心拒绝恢复：证书已吊销或已过期。请先办理续期或补办",
            "The key management centre refused: the certificate is revoked or expired; renew "
            "or replace it first",
        ),
        "svc.err_signing_key": Bi(
            "签名密钥不能恢复。介质遗失或损坏请改办“补办”",
            "Signing keys are never recovered. For a lost or damaged key, choose Replace",
        ),
        "svc.err_refund_refused": Bi(
            "不符合退费规则，不能退费（原因见上方）。如有异议请咨询工作人员或服务热线",
            "Outside the refund rule: no refund (why: above). Ask the staff or the hotline",
        ),
        "svc.err_nothing_to_refund": Bi(
            "原业务没有可退的款项（可能已经退过）。请核对单号",
            "The earlier visit has nothing left to refund (refunded already?): check the order",
        ),
        "svc.err_condition": Bi(
            "请先选择原介质是“遗失”还是“损坏”，再按“制作新介质”",
            "Choose Lost or Damaged first, then Make the new key",
        ),
        "svc.err_reason": Bi("请先选择注销原因", "Choose why the certificate is cancelled first"),
        "svc.err_confirm": Bi(
            "注销不可撤销：请先勾选“我已知晓注销不可撤销”，再按“确认注销”",
            "Cancelling cannot be undone: tick “I understand” first, then Cancel it",
        ),
        "svc.err_no_key": Bi(
            "原业务没有介质（可能尚未办完），不能办理此业务。请核对单号，或请工作人员先继续办完原业务",
            "The earlier visit has no key (it may not be finished): check the order number, or "
            "ask staff to finish that visit first",
        ),
        "svc.err_seal_changed": Bi(
            "本业务报价后，介质上的电子印章已有变动，不能按原报价续期。请工作人员办理退费后重新受理",
            "The key's electronic seal changed after this visit was quoted: staff refund this "
            "visit and open a new one",
        ),
        "svc.err_reapply": Bi(
            "证书已过期，此项目须重新申请（新申请），不能变更或续期",
            "The certificate has expired: this program needs a new application",
        ),
        "svc.err_no_key_inserted": Bi(
            "读卡器里没有已签发的介质。请插入原介质后再查找，或输入单号",
            "No issued key is in the reader: insert it and search again, or type the order",
        ),
        "svc.err_none_found": Bi(
            "没有找到可办理此业务的原业务。请核对身份证或介质，或输入单号；仍找不到请工作人员协助",
            "No earlier visit fits this service: check the card or key, or type the order; "
            "else ask the staff",
        ),
        "svc.err_bad_state": Bi(
            "该介质已作废或状态不允许此业务。请核对单号，或请工作人员协助",
            "This key is written off or cannot take this service: check the order or ask staff",
        ),
        "svc.err_expired": Bi(
            "证书已过期，请先办理续期", "The certificate has expired: renew it first"
        ),
        "svc.err_wrong_key": Bi(
            "读卡器里不是本业务的介质。请插入原介质后再按一次",
            "The key in the reader is not this visit's: insert the right one and press again",
        ),
    }
)


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
