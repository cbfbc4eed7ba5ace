"""What staff see when the staff area refuses something: zh-CN per error code.

The English is the error's own message (it already says what to do next); screens show the
pair as a ``Bi``. Pure data: no project imports, no Textual, usable by screens and the CLI.
"""

from __future__ import annotations

ERROR_ZH: dict[str, str] = {
    "staff.unknown": "工号或密码错误。",
    "staff.wrong_pin": "密码错误，再错数次将锁定工号。",
    "staff.locked": "连续输错密码，工号已锁定，请稍后再试或联系复查员。",
    "staff.disabled": "该工号已停用。",
    "staff.unknown_card": "此工作证未登记，请改用工号登录。",
    "staff.forbidden": "无此操作权限。",
    "staff.not_signed_in": "请先登录。",
    "staff.session_expired": "登录已超时，请重新登录。",
    "staff.bad_pin_format": "密码格式不正确。",
    "override.self_approval": "发起人不能自己复核，请另一位复查员审批。",
    "override.not_pending": "该事项已处理。",
    "override.not_approved": "该事项尚未经复查员批准。",
    "staffcard.timeout": "未检测到工作证，请将工作证放在读卡器上。",
    "staffcard.no_reader": "未找到工作证读卡器。",
    "staffcard.no_service": "读卡服务未运行。",
    "staffcard.removed": "工作证移开过早，请重新放置。",
    "staffcard.no_uid": "无法读取此卡，请确认是工作证。",
    "staffcard.reader_error": "读卡器故障。",
    "day.bad_counted": "清点金额有误：金额须为不小于零的数字，最多两位小数。",
    "day.bad_carry_over": "结转项目有误。",
    "day.in_flight": "尚有未完成的受理或待付款，请处理或勾选结转。",
    "day.note_required": "差异超出阈值，请填写说明。",
    "day.approval_required": "差异超出阈值，需复查员审批。",
    "day.self_approval": "日结人不能自己审批差异。",
    "day.already_closed": "该日已日结；更正请在之后的营业日做调整。",
    "day.future": "该日期尚未到来。",
    "day.pdf_font": "报表字体缺失，PDF 未生成。",
    "console.no_store": "找不到柜台数据库：请先在本机运行一次柜台程序，或检查数据目录设置。",
    "console.schema_behind": "柜台数据库版本较旧：请重启一次柜台程序后再登录。",
    "console.read": "无法读取柜台数据库。",
}

#: Shown when a code has no entry (the English message still says what happened).
GENERAL_ZH = "操作未完成。"


def error_zh(code: str) -> str:
    """The zh-CN text of an error code (a general sentence for codes without one)."""
    return ERROR_ZH.get(code, GENERAL_ZH)


def _shown(value: object) -> str:
    """A before/after value for people: money keys (``*_fen``) in yuan, others as they are."""
    if not isinstance(value, dict):
        return str(value)
    parts = []
    for key, v in value.items():
        if str(key).endswith("_fen") and isinstance(v, int) and not isinstance(v, bool):
            whole, cents = divmod(abs(v), 100)
            parts.append(f"{str(key)[:-4]} ￥{'-' if v < 0 else ''}{whole:,}.{cents:02d}")
        else:
            parts.append(f"{key} {v}")
    return ", ".join(parts)


def override_summary(ov: dict[str, object]) -> list[tuple[str, str]]:
    """(zh, en) lines the approval modal shows for an override (``describe_override``)."""
    note = f" — {ov['reason_note']}" if ov.get("reason_note") else ""
    lines = [
        (f"事项：{ov['kind_zh']}", f"Override: {ov['kind']}"),
        (
            f"受理：{ov['visit_id']}    发起人：{ov['initiator_no']}",
            f"Visit: {ov['visit_id']}    started by: {ov['initiator_no']}",
        ),
        (f"原因：{ov['reason_code']}{note}", f"Reason: {ov['reason_code']}{note}"),
    ]
    if ov.get("before") is not None:
        lines.append((f"原值：{_shown(ov['before'])}", f"Before: {_shown(ov['before'])}"))
    if ov.get("after") is not None:
        lines.append((f"新值：{_shown(ov['after'])}", f"After: {_shown(ov['after'])}"))
    return lines
