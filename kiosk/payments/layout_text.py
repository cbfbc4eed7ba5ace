"""Plain-text views of payment data (CLI)."""

from __future__ import annotations

from typing import Any

from kiosk.payments.money import yuan


def status_lines(data: dict[str, Any]) -> list[str]:
    """``kiosk pay status`` without ``--json``."""
    out = [
        f"{data['order_no']}: kept {yuan(data['paid_fen'])}; "
        f"issue {'allowed' if data['can_issue'] else 'not allowed'}"
        + (f" ({data['can_issue_reason']})" if data["can_issue_reason"] else "")
    ]
    for p in data["payments"]:
        out.append(
            f"  payment #{p['id']} {p['method']} {yuan(p['amount_fen'])} {p['state']} "
            f"ref={p['reference'] or '-'}"
        )
        for r in p["refunds"]:
            out.append(
                f"    refund #{r['id']} {yuan(r['amount_fen'])} {r['state']} ({r['reason']})"
            )
    for r in data["receipts"]:
        out.append(
            f"  receipt job #{r['job_id']} {r['state']}{' reprint' if r['reprint'] else ''}"
            + (f" ({r['last_error']})" if r["last_error"] and r["state"] != "printed" else "")
        )
    return out
