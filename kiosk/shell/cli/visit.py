"""``kiosk visit …``: headless visits (邮寄办理, mail-in) from a TOML file, resumed by order number.

See README "Headless visits (邮寄办理)" for the file format. ``--training`` runs on the stand-ins
(SoftHSM2 keys, the hub on loopback, the printer capture, the payment sandbox) under the data
directory; they are started for the run and stopped at its end, their state stays on disk so a
later visit finds the key and certificate of an earlier one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from kiosk.domain.types import Service
from kiosk.errors import KioskError, UsageError
from kiosk.shell.cli import CliContext

if TYPE_CHECKING:
    from kiosk.visits.resources import Resources

SERVICES = tuple(s.value for s in Service)  # the services, defined once in the domain
TOP_KEYS = {
    "service",
    "program",
    "kind",
    "years",
    "seal",
    "order",
    "agent",
    "unit",
    "seal_image",
    "payment",
    "key",
}
SECTION_KEYS = {
    "agent": {"name", "id_number", "mobile", "id_valid_to", "from_reader", "sample"},
    "unit": {"name", "uscc", "address", "phone", "legal_rep", "unit_type"},
    "seal_image": {"path", "seal_type", "px_per_mm"},
    "payment": {"method", "reference", "payer_name"},
    "key": {"blank", "serial", "pin", "recover", "condition", "reason"},
}


def load_visit_file(path: Path) -> dict[str, Any]:
    """Read and check a visit file; unknown keys are an error (UsageError, exit 2)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror}", code="visit.file") from e
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not TOML: {e}", code="visit.file") from e
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise UsageError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: "
            f"{', '.join(sorted(TOP_KEYS))}",
            code="visit.unknown_key",
        )
    for sec, allowed in SECTION_KEYS.items():
        if sec in doc:
            if not isinstance(doc[sec], dict):
                raise UsageError(f"{path}: [{sec}] must be a table", code="visit.unknown_key")
            bad = set(doc[sec]) - allowed
            if bad:
                raise UsageError(
                    f"{path}: unknown key(s) in [{sec}]: {', '.join(sorted(bad))}; "
                    f"allowed: {', '.join(sorted(allowed))}",
                    code="visit.unknown_key",
                )
    for k in ("service", "program", "kind"):
        if k not in doc:
            raise UsageError(f"{path}: '{k}' is required", code="visit.missing_key")
    if doc["service"] not in SERVICES:
        raise UsageError(
            f"{path}: service must be one of {', '.join(SERVICES)}", code="visit.bad_service"
        )
    _check_agent(path, doc)
    _check_key(path, doc)
    _check_seal(path, doc)
    sp = doc.get("seal_image", {}).get("path")
    if sp and not Path(sp).is_absolute():
        doc["seal_image"]["path"] = str((path.parent / sp).resolve())
    return doc


#: services that issue onto a blank key (the others work on the earlier visit's key)
BLANK_KEY_SERVICES = ("new", "replace")


def _check_seal(path: Path, doc: dict[str, Any]) -> None:
    """``seal`` is a bool; an imprint is taken only where a seal is made (a new certificate
    with ``seal = true``, the seal service), so a [seal_image] anywhere else would be ignored:
    it is refused instead, in words."""
    seal = doc.get("seal")
    if seal is not None and not isinstance(seal, bool):
        raise UsageError(f"{path}: seal must be true or false", code="visit.seal")
    svc = doc["service"]
    if seal is not None and (svc in ("pickup", "refund") or (svc == "seal" and not seal)):
        raise UsageError(
            f"{path}: seal: "
            + (
                f"{svc} does not make, renew or keep a seal"
                if svc != "seal"
                else 'service = "seal" always makes one'
            )
            + "; leave 'seal' out",
            code="visit.seal",
        )
    makes = doc["service"] == "seal" or (doc["service"] == "new" and seal is True)
    if "seal_image" in doc and not makes:
        why = (
            "keeps the key's seal as it is (a renewal renews it with the certificate)"
            if doc["service"] != "new"
            else "makes no seal without seal = true"
        )
        raise UsageError(
            f"{path}: [seal_image] is the imprint of a seal made in this visit; "
            f"{doc['service']} {why}: drop [seal_image]",
            code="visit.seal",
        )


def _check_agent(path: Path, doc: dict[str, Any]) -> None:
    """``[agent] from_reader = true`` takes name, number and validity from the card: giving them
    too is a contradiction, not a fallback; ``sample`` (training) goes with ``from_reader``."""
    agent = doc.get("agent")
    if agent is None:
        return
    reader = agent.get("from_reader", False)
    if not isinstance(reader, bool):
        raise UsageError(f"{path}: [agent] from_reader must be true or false", code="visit.agent")
    if reader:
        given = sorted({"name", "id_number", "id_valid_to"} & set(agent))
        if given:
            raise UsageError(
                f"{path}: [agent] from_reader = true reads {', '.join(given)} from the ID card; "
                "do not give them too (keep mobile, which a card does not carry)",
                code="visit.agent",
            )
        if "sample" in agent and not (isinstance(agent["sample"], str) and agent["sample"]):
            raise UsageError(f"{path}: [agent] sample must be a person's name", code="visit.agent")
        if agent.get("sample"):
            from hardware.sim.person import resolve_person

            sample = Path(agent["sample"])
            rel = path.parent / sample
            agent["sample"] = str(resolve_person(rel if rel.is_file() else sample))
    elif "sample" in agent:
        raise UsageError(
            f"{path}: [agent] sample goes with from_reader = true (training: the sample "
            "person's card is placed on the stand-in reader)",
            code="visit.agent",
        )


def _check_key(path: Path, doc: dict[str, Any]) -> None:
    """``[key] blank`` / ``serial``: their types, and the services they make sense for."""
    key = doc.get("key")
    if key is None:
        return
    blank, serial = key.get("blank", False), key.get("serial")
    if not isinstance(blank, bool):
        raise UsageError(f"{path}: [key] blank must be true or false", code="visit.key")
    if serial is not None and not (isinstance(serial, str) and serial.strip()):
        raise UsageError(f"{path}: [key] serial must be the key's serial", code="visit.key")
    if blank and serial:
        raise UsageError(f"{path}: [key] give blank = true or serial, not both", code="visit.key")
    svc = doc["service"]
    if blank and svc not in BLANK_KEY_SERVICES:
        raise UsageError(
            f"{path}: [key] blank = true: {svc} works on the earlier visit's key, not a blank "
            "one (give serial = the key's serial, or leave [key] blank out)",
            code="visit.key",
        )
    if serial and svc in BLANK_KEY_SERVICES:
        raise UsageError(
            f"{path}: [key] serial: {svc} issues onto a blank key from stock, and a blank key "
            "reports no serial until it is initialised; give blank = true",
            code="visit.key",
        )
    _check_key_words(path, key, svc)


def _check_key_words(path: Path, key: dict[str, Any], svc: str) -> None:
    """``[key] condition`` (replace) and ``reason`` (cancel) are checked with the file, so a
    typo is exit 2 before anything is paid, not a failed key step after it."""
    from kiosk.visits.keywork import CANCEL_REASONS, CONDITIONS

    for name, service, allowed in (
        ("condition", "replace", CONDITIONS),
        ("reason", "cancel", CANCEL_REASONS),
    ):
        if name not in key:
            continue
        if svc != service:
            raise UsageError(
                f'{path}: [key] {name} is for service = "{service}", not {svc}; drop it',
                code="visit.key",
            )
        if key[name] not in allowed:
            raise UsageError(
                f"{path}: [key] {name} must be one of {', '.join(allowed)}, not {key[name]!r}",
                code="visit.key",
            )


def _check_key_of_order(res: Resources, doc: dict[str, Any]) -> None:
    """``[key] serial`` must be the earlier visit's key: refused before a visit opens (nothing
    is paid or journalled for a file naming another key)."""
    from kiosk.visits.engine import FlowError

    serial = (doc.get("key") or {}).get("serial")
    if not serial or not doc.get("order"):
        return
    earlier = res.visit_data(doc["order"]).get("key_serial")
    if earlier and str(earlier).lower() != serial.strip().lower():
        raise FlowError(
            f"[key] serial {serial} is not the key of {doc['order']} (that visit's key is "
            f"{earlier}); correct the file",
            code="visit.key_mismatch",
        )


def _resources(
    obj: CliContext,
    training: bool,
    data_dir: Path | None,
    *,
    keys: bool = True,
    payments: bool = True,
) -> Resources:
    """The visit's world from the builder: for ``run``/``resume`` everything; ``show`` reads
    the journal only (no hub, key reader or printer is started for it)."""
    from kiosk.runtime import DataPaths
    from kiosk.shell.builder import build_visit_resources

    training = training or obj.training
    root = data_dir or obj.data_dir or Path(obj.settings().storage.data_dir)
    paths = DataPaths(root=Path(root), training=training).ensure()
    return build_visit_resources(
        obj.settings(),
        paths.base,
        training=training,
        key_algorithm=os.environ.get("KIOSK_KEY_ALGORITHM") or None,
        keys=keys,
        payments=payments,
    )


def receipt_text(res: Resources, order_no: str) -> str | None:
    """The receipt of ``order_no`` as decoded from the printer stand-in's capture."""
    lines = res.receipt_lines(order_no)
    return None if lines is None else "\n".join(lines)


def output(res: Resources, flow: Any, failure: KioskError | None) -> dict[str, Any]:
    st = flow.state()
    pay = st.get("payment")
    rec = st.get("receipt")
    out: dict[str, Any] = {
        "order": st["order"],
        "state": st["state"],
        "total_fen": st["total_fen"],
        "payment": None if not pay else {"state": pay["state"], "method": pay["method"]},
        "certificate": st.get("certificate"),
        "key": st.get("key"),
        "receipt": None if not rec else {**rec, "text": receipt_text(res, st["order"])},
    }
    if failure is not None:
        out.update(
            state="failed",
            step=getattr(failure, "step", None) or st["next_step"],
            reason=failure.message,
            code=failure.code,
        )
    return out


def _drive(res: Resources, flow: Any, inputs: dict[str, Any], as_json: bool) -> int:
    failure = None
    try:
        while (step := flow.next_step()) is not None:
            flow.run_step(step, inputs)
    except KioskError as e:
        failure = e
    if res.training:
        with contextlib.suppress(KioskError):  # events stay queued; the next run sends them
            res.sync_once()
    out = output(res, flow, failure)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{out['order']}: {out['state']}")
        if failure is not None:
            click.echo(f"step {out['step']} failed: {out['reason']}", err=True)
            if failure.code == "visit.not_paid" and (out["payment"] or {}).get("method") == (
                "transfer"
            ):
                click.echo(
                    "once the money is on the account, staff confirm it with: kiosk visit "
                    f"confirm-transfer {out['order']} --staff NUMBER",
                    err=True,
                )
            click.echo(f"resume with: kiosk visit resume {out['order']}", err=True)
    return 1 if failure is not None else 0


@click.group()
def visit() -> None:
    """Headless visits (邮寄办理): run from a file, resume, show the journal."""


_training_opt = click.option("--training", is_flag=True, help="Run on the stand-ins.")
_data_opt = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (kept between runs).",
)
_json_opt = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
_card_timeout_opt = click.option(
    "--card-timeout",
    type=click.FloatRange(min=0, min_open=True, max=600),
    default=None,
    help="[agent] from_reader: seconds to wait for the ID card (default: [devices.reader] "
    "timeout_s).",
)


def _reader_wait(res: Resources, card_timeout: float | None) -> None:
    """A from-reader identify says on stderr what it waits for (stdout stays the JSON)."""
    res.card_timeout_s = card_timeout
    res.notice = lambda text: click.echo(text, err=True)


@visit.command("run")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_training_opt
@_data_opt
@_json_opt
@_card_timeout_opt
@click.pass_obj
def run(
    obj: CliContext,
    file: Path,
    training: bool,
    data_dir: Path | None,
    as_json: bool,
    card_timeout: float | None,
) -> None:
    """Run the visit described in FILE (TOML) to its end; exit 1 with the failed step."""
    from kiosk.visits import VisitFlow

    doc = load_visit_file(file)
    res = _resources(obj, training, data_dir)
    _reader_wait(res, card_timeout)
    try:
        if (doc.get("agent") or {}).get("sample") and not res.training:
            raise UsageError(
                f"{file}: [agent] sample places a sample person's card on the training "
                "stand-in reader; it is refused on a counter (drop it, or run with --training)",
                code="visit.sample_training_only",
            )
        _check_key_of_order(res, doc)
        flow = VisitFlow.open(
            res,
            service=doc["service"],
            program=doc["program"],
            kind=doc["kind"],
            years=doc.get("years"),
            seal=doc.get("seal"),
            order=doc.get("order"),
        )
        # the inputs are kept in the journal (never the PIN) so `visit resume` needs no file
        inputs = {k: v for k, v in doc.items() if k not in ("key",)}
        key = {k: v for k, v in (doc.get("key") or {}).items() if k != "pin"}
        if key:
            inputs["key"] = key
        with res.store.atomic() as db:
            flow.set_data(db, inputs=inputs)
        rc = _drive(res, flow, doc, as_json)
    finally:
        res.close()
    raise SystemExit(rc)


@visit.command("resume")
@click.argument("order")
@_training_opt
@_data_opt
@_json_opt
@click.option("--pin", default=None, help="The key's PIN, for services that need it.")
@_card_timeout_opt
@click.pass_obj
def resume(
    obj: CliContext,
    order: str,
    training: bool,
    data_dir: Path | None,
    as_json: bool,
    pin: str | None,
    card_timeout: float | None,
) -> None:
    """Continue ORDER at its first step not done (after a crash or a failed step)."""
    from kiosk.visits import VisitFlow

    res = _resources(obj, training, data_dir)
    _reader_wait(res, card_timeout)
    try:
        flow = VisitFlow.resume(res, order)
        inputs = dict(flow.data().get("inputs") or {})
        if pin:
            inputs["key"] = {**(inputs.get("key") or {}), "pin": pin}
        rc = _drive(res, flow, inputs, as_json)
    finally:
        res.close()
    raise SystemExit(rc)


@visit.command("confirm-transfer")
@click.argument("order")
@click.option("--staff", "staff_no", required=True, help="The confirming staff member's number.")
@click.option(
    "--reason",
    type=click.Choice(["seen_on_statement", "voucher_checked", "other"]),
    default="seen_on_statement",
    show_default=True,
    help="How the money was seen (other: give --note).",
)
@click.option("--note", default="", help="Why, in words (needed with --reason other).")
@_training_opt
@_data_opt
@_json_opt
@click.pass_obj
def confirm_transfer(
    obj: CliContext,
    order: str,
    staff_no: str,
    reason: str,
    note: str,
    training: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Confirm that ORDER's bank transfer arrived (a mail-in visit paid by 对公转账).

    The transfer (amount, payer, bank serial) is shown first, to check against the statement;
    then the staff member's PIN is asked without echo ($KIOSK_STAFF_PIN where no one types;
    never an option, so it stays out of `ps` and the shell's history). The act is audited, and
    `kiosk visit resume ORDER` then writes the key. Exit 1 when refused (no such visit, no
    pending transfer, a wrong PIN)."""
    from kiosk.domain.fees import format_fen
    from kiosk.staff.roster import Roster, StaffPolicy
    from kiosk.visits import VisitFlow, paying

    def refuse(e: KioskError) -> NoReturn:
        if as_json:
            doc = {"order": order, "state": "refused", "code": e.code, "reason": e.message}
            click.echo(json.dumps(doc, ensure_ascii=False))
        else:
            click.echo(f"error: {e.message} [{e.code}]", err=True)
        raise SystemExit(1)

    res = _resources(obj, training, data_dir, keys=False)
    try:
        try:
            flow = VisitFlow.resume(res, order)
            pay = flow.state().get("payment") or {}
            if pay.get("method") != "transfer" or pay.get("state") != "pending":
                had = f"a {pay['state']} {pay['method']} payment" if pay else "no payment"
                raise KioskError(
                    f"visit {order} has no transfer waiting for confirmation (it has {had})",
                    code="payment.state",
                )
            p = res.money().payments.payment(pay["id"])
        except KioskError as e:
            refuse(e)
        click.echo(
            f"{order}: bank transfer of {format_fen(p.amount_fen)} from {p.payer_name or '-'}, "
            f"bank serial {p.reference or '-'}: check it on the account statement",
            err=True,
        )
        pin = os.environ.get("KIOSK_STAFF_PIN") or click.prompt(
            f"PIN of staff {staff_no}", hide_input=True, err=True
        )
        roster = Roster(res.store, StaffPolicy.from_settings(res.settings))
        try:
            st = paying.confirm_transfer(flow, roster, staff_no, pin, reason=reason, note=note)
        except KioskError as e:
            refuse(e)
        done = st.get("payment") or {}
        if as_json:
            doc = {
                "order": order,
                "state": st["state"],
                "next_step": st["next_step"],
                "payment": {"state": done.get("state"), "method": done.get("method")},
            }
            click.echo(json.dumps(doc, ensure_ascii=False))
        else:
            click.echo(
                f"{order}: transfer confirmed by {staff_no}; the payment is "
                f"{done.get('state')}. Next: kiosk visit resume {order}"
            )
    finally:
        res.close()


@visit.command("show")
@click.argument("order")
@_training_opt
@_data_opt
@_json_opt
@click.pass_obj
def show(obj: CliContext, order: str, training: bool, data_dir: Path | None, as_json: bool) -> None:
    """ORDER's journal: the visit and every step row."""
    from kiosk.visits import VisitFlow

    res = _resources(obj, training, data_dir, keys=False, payments=False)
    try:
        flow = VisitFlow.resume(res, order)
        doc = {**flow.state(), "journal": flow.journal()}
    finally:
        res.close()
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"{doc['order']} {doc['service']} {doc['program']} {doc['kind']}: {doc['state']}"
        )
        for r in doc["journal"]:
            click.echo(f"  {r['at']}  {r['step']:<10} {r['state']}")
