"""Save first, then print: the persisted print queue and the worker that drains it.

Each print is a ``print_jobs`` row before a byte goes out: ``queued → printing → printed``, or
back to ``queued`` with the reason when the printer is offline, out of paper or has its cover
open (it prints when the printer is back), or ``failed`` when the job itself cannot be printed
(its content cannot be rendered) or staff cancel it. The move to ``printing`` is committed before
sending and the move to ``printed`` after, so a crash in between leaves a ``printing`` job that
:meth:`PrintQueue.recover` puts back in the queue: a receipt may then print twice, never zero
times.

The PIN slip never enters this queue: it is sent directly and nothing of it is stored
(:meth:`PrintQueue.print_pin_slip`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from data.store import Store, utc_now
from hardware.printer.device import Printer, PrinterStatus, is_state_name
from hardware.printer.render import render
from kiosk.errors import PrinterError, VisitError
from kiosk.payments.events import emit
from kiosk.payments.tx import inserted_id, write_tx
from kiosk.receipts.layout import ReceiptData, build_pin_slip, build_receipt, build_test_page

log = logging.getLogger(__name__)

# Failures after which a job waits for the printer (everything else fails the job).
WAITING_CODES = frozenset(
    {
        "printer.offline",
        "printer.paper_out",
        "printer.cover_open",
        "printer.error",
        "printer.write_failed",
    }
)


# Jobs holding a day close report (payload: the report's JSON), laid out by kiosk.dayclose.printing.
REPORT_KINDS = frozenset({"z_report", "x_report"})


# The printer's status before anyone asked it (distinct from a printer that cannot report).
NOT_ASKED = PrinterStatus("unknown", "not asked yet")


@dataclass(frozen=True, slots=True)
class PrintJob:
    """A row of ``print_jobs``."""

    id: int
    visit_id: int | None
    kind: str
    reprint: bool
    state: str
    attempts: int
    last_error: str | None
    last_error_text: str | None
    created_at: str
    printed_at: str | None
    payload: str

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> PrintJob:
        return cls(
            id=r["id"],
            visit_id=r["visit_id"],
            kind=r["kind"],
            reprint=bool(r["reprint"]),
            state=r["state"],
            attempts=r["attempts"],
            last_error=r["last_error"],
            last_error_text=r["last_error_text"],
            created_at=r["created_at"],
            printed_at=r["printed_at"],
            payload=r["payload"],
        )

    def receipt(self) -> ReceiptData:
        """The receipt content of a ``receipt`` job."""
        return ReceiptData.from_json(self.payload)


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """What the status bar shows about printing.

    Attributes:
        printer: the printer's last known state.
        queued: jobs waiting (``queued`` or ``printing``).
        waiting_reason: why jobs wait, in English (None when nothing waits on the printer).
        waiting_reason_zh: the same for the screen.
    """

    printer: PrinterStatus
    queued: int
    waiting_reason: str | None = None
    waiting_reason_zh: str | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one pass over the queue did."""

    printed: tuple[int, ...]
    failed: tuple[int, ...]
    waiting: PrinterStatus | None  # set when jobs remain because the printer is not ready


class PrintQueue:
    """The print queue over the store.

    Args:
        store: the kiosk's store.
        printer: the printer (real or stand-in); its ``model`` decides columns and Chinese mode.
    """

    def __init__(self, store: Store, printer: Printer):
        self.store = store
        self.printer = printer
        self._lock = threading.Lock()  # one drain at a time (CLI + worker in one process)
        self.last_status = NOT_ASKED

    @property
    def columns(self) -> int:
        """Columns of the printer's font A (the layout width)."""
        return self.printer.model.columns

    # -- enqueueing ----------------------------------------------------------------------------
    def enqueue_receipt(
        self,
        data: ReceiptData,
        *,
        visit_id: int | None,
        reprint: bool = False,
        requested_by: str | None = None,
    ) -> int:
        """Store a receipt job (inside the caller's transaction when there is one); its id."""
        now = utc_now()
        with write_tx(self.store) as db:
            return inserted_id(
                db.table("print_jobs").insert(
                    {
                        "visit_id": visit_id,
                        "kind": "receipt",
                        "reprint": int(reprint),
                        "payload": data.to_json(),
                        "state": "queued",
                        "attempts": 0,
                        "requested_by": requested_by,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            )

    def enqueue_test(self, *, requested_by: str | None = None) -> int:
        """Store a test page job; its id."""
        now = utc_now()
        with write_tx(self.store) as db:
            return inserted_id(
                db.table("print_jobs").insert(
                    {
                        "visit_id": None,
                        "kind": "test",
                        "reprint": 0,
                        "payload": json.dumps({"now": now}),
                        "state": "queued",
                        "attempts": 0,
                        "requested_by": requested_by,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            )

    def enqueue_report(self, report: Mapping[str, Any], *, requested_by: str | None = None) -> int:
        """Store a day report job (``z_report`` or ``x_report``, from ``report["report"]``).

        The report's JSON is the payload; it is laid out when printed, like a receipt, so a Z-report
        meeting an out-of-paper printer waits in the queue and prints once when paper is back.

        Returns:
            The job id.
        """
        kind = f"{str(report['report']).lower()}_report"
        if kind not in REPORT_KINDS:
            raise VisitError(f"not a day report: {report.get('report')!r}", code="receipt.kind")
        now = utc_now()
        with write_tx(self.store) as db:
            return inserted_id(
                db.table("print_jobs").insert(
                    {
                        "visit_id": None,
                        "kind": kind,
                        "reprint": 0,
                        "payload": json.dumps(report, ensure_ascii=False),
                        "state": "queued",
                        "attempts": 0,
                        "requested_by": requested_by,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            )

    def reprint(self, visit_id: int, *, requested_by: str | None) -> int:
        """Queue a copy of the visit's latest receipt, marked 重打.

        Raises:
            VisitError: the visit has no receipt to reprint (``receipt.none``).
        """
        row = self.store.db.execute(
            "SELECT payload FROM print_jobs WHERE visit_id = ? AND kind = 'receipt' "
            "ORDER BY reprint, id DESC LIMIT 1",
            [visit_id],
        ).fetchone()
        if row is None:
            raise VisitError("this visit has no receipt to reprint", code="receipt.none")
        return self.enqueue_receipt(
            ReceiptData.from_json(row[0]),
            visit_id=visit_id,
            reprint=True,
            requested_by=requested_by,
        )

    # -- reading -------------------------------------------------------------------------------
    def job(self, job_id: int) -> PrintJob:
        """One job by id."""
        rows = list(self.store.db.table("print_jobs").rows_where("id = ?", [job_id]))
        if not rows:
            raise VisitError(f"no print job {job_id}", code="receipt.no_job")
        return PrintJob.from_row(rows[0])

    def jobs(self, *, visit_id: int | None = None, state: str | None = None) -> list[PrintJob]:
        """Jobs, oldest first, optionally of one visit and/or in one state."""
        where: list[str] = []
        args: list[object] = []
        if visit_id is not None:
            where.append("visit_id = ?")
            args.append(visit_id)
        if state is not None:
            where.append("state = ?")
            args.append(state)
        rows = self.store.db.table("print_jobs").rows_where(
            " AND ".join(where) or None, args, order_by="id"
        )
        return [PrintJob.from_row(r) for r in rows]

    def refresh_status(self) -> PrinterStatus:
        """Ask the printer now (blocking I/O: call from a worker thread)."""
        self.last_status = self.printer.status()
        return self.last_status

    def depth(self) -> int:
        """Jobs not yet printed (queued or printing)."""
        return int(
            self.store.db.execute(
                "SELECT count(*) FROM print_jobs WHERE state IN ('queued', 'printing')"
            ).fetchone()[0]
        )

    def status(self) -> QueueStatus:
        """The status bar's view (from the last pass; does not touch the printer)."""
        depth = self.depth()
        waiting = depth > 0 and not self.last_status.ready
        return QueueStatus(
            printer=self.last_status,
            queued=depth,
            waiting_reason=self.last_status.message if waiting else None,
            waiting_reason_zh=self.last_status.message_zh if waiting else None,
        )

    # -- printing ------------------------------------------------------------------------------
    def render_job(self, job: PrintJob) -> bytes:
        """The ESC/POS bytes of a job for the current printer."""
        model = self.printer.model
        if job.kind == "test":
            doc = build_test_page(
                columns=model.columns,
                printer=f"{model.profile} {model.chinese}",
                now_utc=json.loads(job.payload)["now"],
            )
        elif job.kind in REPORT_KINDS:
            # Imported here: the day close area lays out its own report (receipt lines).
            from kiosk.dayclose.printing import report_doc

            doc = report_doc(json.loads(job.payload), model.columns)
        else:
            doc = build_receipt(job.receipt(), columns=model.columns, reprint=job.reprint)
        return render(doc, model)

    def recover(self) -> list[int]:
        """Put jobs left ``printing`` by a crash back in the queue; their ids."""
        with write_tx(self.store) as db:
            ids = [r[0] for r in db.execute("SELECT id FROM print_jobs WHERE state = 'printing'")]
            for i in ids:
                db.table("print_jobs").update(
                    i,
                    {
                        "state": "queued",
                        "last_error": "printer.interrupted",
                        "last_error_text": "the kiosk stopped while this job was printing",
                        "updated_at": utc_now(),
                    },
                )
        if ids:
            log.warning("print jobs %s were interrupted while printing; queued again", ids)
        return ids

    def _set(self, job_id: int, **fields: Any) -> None:
        fields["updated_at"] = utc_now()
        with write_tx(self.store) as db:
            db.table("print_jobs").update(job_id, fields)

    def run_once(self) -> RunResult:
        """Print every queued job, oldest first; stop at the first one the printer cannot take.

        Returns:
            What was printed, what failed, and the printer status jobs wait on (if any).
        """
        printed: list[int] = []
        failed: list[int] = []
        with self._lock:
            for job in self.jobs(state="queued"):
                try:
                    data = self.render_job(job)
                except (
                    Exception
                ) as e:  # rendering is pure: any failure is this job's, not the printer's
                    log.error("print job %d cannot be rendered: %s", job.id, e)
                    self._set(
                        job.id, state="failed", last_error="receipt.render", last_error_text=str(e)
                    )
                    failed.append(job.id)
                    continue
                with write_tx(self.store) as db:
                    taken = db.execute(
                        "UPDATE print_jobs SET state = 'printing', attempts = attempts + 1, "
                        "updated_at = ? WHERE id = ? AND state = 'queued'",
                        [utc_now(), job.id],
                    ).rowcount
                if taken != 1:
                    continue  # another process (kiosk print drain) took it meanwhile
                try:
                    self.printer.send(data)
                except PrinterError as e:
                    waiting = e.code in WAITING_CODES
                    self._set(
                        job.id,
                        state="queued" if waiting else "failed",
                        last_error=e.code,
                        last_error_text=e.message,
                    )
                    state = e.code.removeprefix("printer.")
                    if state == "write_failed":
                        state = "offline"
                    if is_state_name(state):
                        self.last_status = PrinterStatus(state)
                    else:
                        self.last_status = PrinterStatus("error", e.message)
                    if waiting:
                        log.info("print job %d waits: %s", job.id, e.message)
                        return RunResult(tuple(printed), tuple(failed), self.last_status)
                    failed.append(job.id)
                    continue
                now = utc_now()
                with write_tx(self.store) as db:
                    db.table("print_jobs").update(
                        job.id,
                        {
                            "state": "printed",
                            "printed_at": now,
                            "last_error": None,
                            "last_error_text": None,
                            "updated_at": now,
                        },
                    )
                    if job.kind == "receipt":
                        emit(
                            db,
                            kind="receipt.printed",
                            payload={
                                "job_id": job.id,
                                "order_no": job.receipt().order_no,
                                "reprint": job.reprint,
                                "printed_at": now,
                            },
                            visit_id=job.visit_id,
                        )
                self.last_status = PrinterStatus("ready")
                printed.append(job.id)
        return RunResult(tuple(printed), tuple(failed), None)

    def cancel(self, job_id: int, *, by: str | None) -> None:
        """Give up a queued job (staff): it becomes ``failed``; a reprint can follow."""
        job = self.job(job_id)
        if job.state != "queued":
            raise VisitError(f"print job {job_id} is {job.state}, not queued", code="receipt.state")
        self._set(
            job_id, state="failed", last_error="receipt.cancelled", last_error_text=f"by {by}"
        )

    def print_pin_slip(
        self, *, visit_id: int, order_no: str, token_serial: str, pin: str, printed_by: str | None
    ) -> None:
        """Print the key's PIN slip now, once. Nothing of the PIN is stored or logged.

        The slip never waits in the queue (that would store the PIN): when the printer cannot
        take it, this raises and the caller decides (show it on screen, or unlock the key later).

        Raises:
            VisitError: a slip was already printed for this key (``receipt.pin_slip_once``).
            PrinterError: the printer is not ready or failed.
        """
        done = self.store.db.execute(
            "SELECT 1 FROM pin_slips WHERE visit_id = ? AND token_serial = ?",
            [visit_id, token_serial],
        ).fetchone()
        if done:
            raise VisitError(
                "the PIN slip of this key was already printed; it is never printed twice "
                "(reset the PIN with the unlock service if it is lost)",
                code="receipt.pin_slip_once",
            )
        model = self.printer.model
        doc = build_pin_slip(
            order_no=order_no, pin=pin, token_serial=token_serial, columns=model.columns
        )
        self.printer.send(render(doc, model))
        with write_tx(self.store) as db:
            db.table("pin_slips").insert(
                {
                    "visit_id": visit_id,
                    "token_serial": token_serial,
                    "printed_by": printed_by,
                    "printed_at": utc_now(),
                }
            )
        log.info("PIN slip printed for visit %d key %s", visit_id, token_serial)


class PrintWorker:
    """A thread that drains the queue, retrying while the printer is not ready.

    It runs a pass when woken (:meth:`wake`, after a job is queued) and every ``retry_s``
    while jobs wait; each pass's :class:`QueueStatus` goes to ``on_status`` (the status bar's
    port; a Textual app forwards it with ``call_from_thread``). Errors inside a pass are
    reported there too, never swallowed.

    Args:
        queue: the print queue.
        on_status: called after every pass (from the worker thread).
        retry_s: seconds between attempts while jobs wait on the printer.
        idle_s: seconds between passes when nothing waits (picks up jobs queued elsewhere).
    """

    def __init__(
        self,
        queue: PrintQueue,
        *,
        on_status: Callable[[QueueStatus], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        retry_s: float = 2.0,
        idle_s: float = 10.0,
    ):
        self.queue = queue
        self.on_status = on_status
        self.on_error = on_error
        self.retry_s = retry_s
        self.idle_s = idle_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._work = queue  # the queue the thread drains (its own connection once started)

    def start(self) -> PrintWorker:
        """Recover interrupted jobs and start the thread.

        The thread gets its own SQLite connection (when the store is a file): a connection shared
        between threads would mix one thread's transaction into another's.
        """
        self.queue.recover()
        if self.queue.store.path is not None:
            self._work = PrintQueue(Store.open(self.queue.store.path), self.queue.printer)
        self._thread = threading.Thread(target=self._run, name="print-worker", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Try now (a job was queued, or staff say the printer is fixed)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current pass."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._work is not self.queue:
            self._work.store.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                result = self._work.run_once()
                if not (result.printed or result.failed or result.waiting):
                    # Nothing to print: still ask, so the status bar shows paper low or offline
                    # before the next receipt meets it.
                    self._work.last_status = self._work.printer.status()
                self.queue.last_status = self._work.last_status
                if self.on_status is not None:
                    self.on_status(self._work.status())
                wait = self.retry_s if result.waiting is not None else self.idle_s
            except Exception as e:  # reported, and the worker lives on: receipts must not stop
                log.exception("print worker pass failed")
                if self.on_error is not None:
                    self.on_error(e)
                wait = self.retry_s
            self._wake.wait(wait)
