"""One resumable visit (受理): its plan of steps, the journal, and each step's work.

Use::

    flow = VisitFlow.open(res, service="new", program="dongguan-hpf", kind="org", years=3,
                          seal=True)
    while (step := flow.next_step()) is not None:
        flow.run_step(step, inputs)         # inputs: the dict a screen or the TOML file gives
    flow.state()

    flow = VisitFlow.resume(res, "DG-20261122-0001")   # after a crash: continues where it was

Each step is journalled ``started`` before and ``done`` after (with its outbox event in the same
transaction). A step with a side effect is idempotent by the order number or an idempotency key
kept in the visit's data, and on a re-run it first looks at the world (the key job of this order,
the payment with this key, the print job of this visit), so nothing runs twice.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kiosk.domain import clock, fees, refund
from kiosk.domain.types import Kind, Program, Service
from kiosk.errors import KioskError
from kiosk.visits import journal, opening
from kiosk.visits.opening import plan
from kiosk.visits.resources import Resources
from kiosk.visits.state import FlowError, StepInputs, VisitData, VisitView
from kiosk.visits.steps import STEPS

__all__ = ["ALL_STEPS", "FlowError", "VisitFlow", "plan"]

#: Every step name, in the order a visit takes them (the step table's order).
ALL_STEPS = tuple(STEPS)


def _today(res: Resources) -> dt.date:
    return clock.local_today(res.now(), res.settings.counter.timezone)


class VisitFlow:
    """One visit, backed by its journal rows (construct with :meth:`open` or :meth:`resume`)."""

    def __init__(self, res: Resources, visit_id: int):
        self.res = res
        self.visit_id = visit_id
        #: the new user PIN, in memory only, between the key step and the PIN slip.
        self.pin: str | None = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        res: Resources,
        *,
        service: str,
        program: str,
        kind: str,
        years: int | None = None,
        seal: bool | None = None,
        order: str | None = None,
    ) -> VisitFlow:
        """Open a new visit (an order number is drawn) after checking the choice is offered.

        ``seal``: a new certificate gets a seal (default no). On an existing key the seal is
        the key's (:func:`kiosk.visits.opening.seal_of_key`): ``None`` takes it from the key, a
        bool must match it.

        Raises:
            ChoiceError: the program does not offer service/kind/seal/years (exit 2);
                ``visit.seal_mismatch``.
            FlowError: ``visit.order_required`` (a service on an existing key without ``order``),
                ``visit.unknown_order``.
        """
        svc, prog, k, vd = opening.choose(
            res, service=service, program=program, kind=kind, years=years, seal=seal, order=order
        )
        s = res.settings
        now = journal.now_utc()
        with res.store.atomic() as db:
            order_no = journal.next_order_no(
                db, s.counter.order_prefix, s.counter.timezone, res.now()
            )
            db.execute(
                "INSERT INTO visits (order_no, service, program, kind, state, training, data, "
                "created_at, updated_at, unit_uscc, unit_name) "
                "VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)",
                [
                    order_no,
                    svc.value,
                    prog.id,
                    k.value,
                    int(res.training),
                    vd.to_json(),
                    now,
                    now,
                    vd.unit.uscc if vd.unit else None,
                    vd.unit.name if vd.unit else None,
                ],
            )
            (vid,) = db.execute("SELECT id FROM visits WHERE order_no = ?", [order_no]).fetchone()
            journal.emit(
                db,
                order_no,
                "visit.opened",
                {"service": svc.value, "program": prog.id, "kind": k.value},
                "opened",
                res.training,
            )
        return cls(res, vid)

    @classmethod
    def resume(cls, res: Resources, order_no: str) -> VisitFlow:
        """The visit with this order number, to continue at its first step not done.

        Raises:
            FlowError: ``visit.unknown_order``.
        """
        row = res.visit_row(order_no)
        if row is None:
            raise FlowError(
                f"no visit {order_no} in this kiosk's journal", code="visit.unknown_order"
            )
        return cls(res, row["id"])

    # -- reading ---------------------------------------------------------------------------
    def row(self) -> dict[str, Any]:
        """The visit's ``visits`` row (columns by name)."""
        cur = self.res.store.db.execute("SELECT * FROM visits WHERE id = ?", [self.visit_id])
        cols = [c[0] for c in cur.description]
        return dict(zip(cols, cur.fetchone(), strict=True))

    @property
    def order_no(self) -> str:
        return str(self.row()["order_no"])

    def data(self) -> dict[str, Any]:
        """The visit's data column as journalled (plain JSON; :meth:`visit_data` is typed)."""
        return dict(json.loads(self.row()["data"] or "{}"))

    def visit_data(self) -> VisitData:
        """The visit's data column, typed."""
        return VisitData.load(self.row()["data"])

    def set_data(self, db: Any, **fields: Any) -> None:
        """Merge ``fields`` into the data column (inside the caller's transaction); the unit's
        and the agent's columns follow, for look-ups by USCC or ID number."""
        d = self.visit_data().merged(fields)
        extra: dict[str, Any] = {}
        if fields.get("unit") and d.unit is not None:
            extra = {"unit_uscc": d.unit.uscc, "unit_name": d.unit.name}
        if fields.get("agent") and d.agent is not None:
            extra.update(agent_name=d.agent.name, agent_id_number=d.agent.id_number)
        sets = ", ".join(f"{k} = ?" for k in ["data", "updated_at", *extra])
        db.execute(
            f"UPDATE visits SET {sets} WHERE id = ?",
            [d.to_json(), journal.now_utc(), *extra.values(), self.visit_id],
        )

    def steps(self) -> list[str]:
        """The visit's plan."""
        return list(self.visit_data().plan)

    def done(self) -> set[str]:
        return journal.done_steps(self.res.store.db, self.visit_id)

    def next_step(self) -> str | None:
        """The first planned step not yet done (None: the visit is finished)."""
        done = self.done()
        for s in self.steps():
            if s not in done:
                return s
        return None

    def journal(self) -> list[dict[str, Any]]:
        """Every journal row (what ``kiosk visit show`` prints)."""
        return journal.step_rows(self.res.store.db, self.visit_id)

    def view(self) -> VisitView:
        """The visit as the screens see it (typed); :meth:`state` is its JSON."""
        row, d = self.row(), self.visit_data()
        pay = d.payment
        if pay is not None and pay.id:  # the payment's own state now (a transfer gets confirmed)
            live = self.res.store.db.execute(
                "SELECT state FROM payments WHERE id = ?", [pay.id]
            ).fetchone()
            pay = pay.model_copy(update={"state": live[0]}) if live else pay
        return VisitView(
            order=row["order_no"],
            service=row["service"],
            program=row["program"],
            kind=row["kind"],
            training=bool(row["training"]),
            state=row["state"],
            next_step=self.next_step(),
            steps=list(d.plan),
            done=sorted(self.done(), key=ALL_STEPS.index),
            total_fen=d.quote.total_fen if d.quote is not None else 0,
            payment=pay,
            certificate=d.certificate,
            key=d.key,
            receipt=d.receipt,
            refund=d.refund,
            recovered=d.recovered,
            renewed_in_visit=d.renew_first,
            failure=d.failure,
        )

    def state(self) -> dict[str, Any]:
        """The visit as the CLI's ``--json`` prints it."""
        return self.view().as_dict()

    # -- running ---------------------------------------------------------------------------
    def mark_step(
        self, step: str, state: str, detail: dict[str, Any] | None = None, **data: Any
    ) -> None:
        order = self.order_no
        with self.res.store.atomic() as db:
            if data:
                self.set_data(db, **data)
            n = db.execute(
                "SELECT COUNT(*) FROM visit_steps WHERE visit_id = ? AND step = ?",
                [self.visit_id, step],
            ).fetchone()[0]
            db.execute(
                "INSERT INTO visit_steps (visit_id, step, state, detail, at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    self.visit_id,
                    step,
                    state,
                    json.dumps(detail or {}, ensure_ascii=False),
                    journal.now_utc(),
                ],
            )
            what = f"step:{step}:done" if state == "done" else f"step:{step}:{state}:{n}"
            payload: dict[str, Any] = {"step": step, "state": state}
            if state == "done" and detail and detail.get("override"):
                payload["override"] = detail["override"]  # the back office sees who and why
            journal.emit(db, order, "visit.step", payload, what, self.res.training)
            if state == "failed":
                db.execute("UPDATE visits SET state = 'failed' WHERE id = ?", [self.visit_id])
            elif state == "started":
                db.execute("UPDATE visits SET state = 'open' WHERE id = ?", [self.visit_id])

    def run_step(
        self, step: str, inputs: StepInputs | dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one step (normally :meth:`next_step`) from the step table; returns its journal
        detail.

        Raises:
            FlowError: the step refused or failed (the visit stays resumable at this step);
                other KioskError subclasses of the areas pass through, journalled as failed.
        """
        given = StepInputs.of(inputs)
        if step not in self.steps():
            raise FlowError(f"{self.row()['service']} has no step {step!r}", code="visit.no_step")
        if step in self.done():
            raise FlowError(f"step {step} is already done", code="visit.step_done")
        nxt = self.next_step()
        if nxt != step:
            raise FlowError(f"step {nxt} comes first", code="visit.out_of_order")
        self.mark_step(step, "started")
        try:
            result = STEPS[step](self, given)
        except KioskError as e:
            self.mark_step(
                step,
                "failed",
                {"code": e.code, "reason": e.message},
                failure={"step": step, "code": e.code, "reason": e.message},
            )
            if not isinstance(e, FlowError):
                raise FlowError(e.message, code=e.code, step=step) from e
            e.step = step
            raise
        self.mark_step(step, "done", result.detail, failure=None, **result.data)
        if self.next_step() is None:
            self._finish()
        return dict(result.detail)

    def run_all(self, inputs: StepInputs | dict[str, Any]) -> dict[str, Any]:
        """Run every remaining step with the same inputs (headless visits)."""
        given = StepInputs.of(inputs)
        while (s := self.next_step()) is not None:
            self.run_step(s, given)
        return self.state()

    def _finish(self) -> None:
        order = self.order_no
        with self.res.store.atomic() as db:
            db.execute(
                "UPDATE visits SET state = 'done', updated_at = ? WHERE id = ?",
                [journal.now_utc(), self.visit_id],
            )
            journal.emit(
                db,
                order,
                "visit.done",
                {"service": self.row()["service"]},
                "done",
                self.res.training,
            )

    # -- pricing ---------------------------------------------------------------------------
    def quote(self) -> fees.Quote:
        """The visit's itemised quote, as the pay step charges it: a change of an expired
        certificate is quoted as its renewal, with the key's seal."""
        row, d = self.row(), self.visit_data()
        svc = Service.RENEW if d.renew_first else Service(row["service"])
        return fees.quote(self.program(), svc, Kind(row["kind"]), years=d.years, seal=d.seal)

    # -- what the steps share ------------------------------------------------------------------
    def program(self) -> Program:
        """The visit's program (its services, fees and rules)."""
        prog: Program = self.res.settings.program(self.row()["program"])
        return prog

    def today(self) -> dt.date:
        """The counter's date now."""
        return _today(self.res)

    def finish_earlier(self, order_no: str) -> None:
        """Run the remaining steps of an earlier visit of this kiosk with its own inputs (a
        pick-up completes the mail-in visit that prepared the key)."""
        earlier = VisitFlow.resume(self.res, order_no)
        if earlier.next_step() is not None:
            earlier.run_all(StepInputs.of(earlier.visit_data().inputs))

    # -- refunds (used by keywork for service = refund) ---------------------------------------
    def refund_decision(self, earlier: dict[str, Any]) -> refund.RefundDecision:
        """The refund rule's answer for the earlier visit (its ``visits`` row)."""
        ed = VisitData.load(earlier["data"])
        delivered = ed.handover.on if ed.handover else None
        return refund.refund_eligibility(
            _today(self.res),
            accepted=True,
            delivered_on=dt.date.fromisoformat(delivered) if delivered else None,
            activated=ed.activated,
            refund_days=self.program().refund_days,
        )
