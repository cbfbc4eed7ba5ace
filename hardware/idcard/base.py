"""The one small interface every ID card transport implements, and the monitor thread around it.

A transport (PC/SC, SAM serial) knows how to wait for a card, read its record and notice its
removal. :class:`CardMonitor` turns that into a stream of events for the application: it owns its
thread, forwards every failure as an event (never swallows one) and stops when asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, runtime_checkable

from hardware.idcard.errors import IdCardError, NoCard, ReaderLost
from hardware.idcard.record import IdCardRecord
from hardware.idcard.validation import validate_record

log = logging.getLogger(__name__)


@runtime_checkable
class IdCardReader(Protocol):
    """A reader of resident ID cards.

    Capability flags:
        transport: ``"pcsc"`` or ``"sam"``.
        reports_removal: the reader itself tells when a card leaves (PC/SC does; a SAM is polled).

    Methods may be called from one thread at a time; a reader is not shared between threads
    except through :meth:`cancel`, which any thread may call.
    """

    transport: ClassVar[str]
    reports_removal: ClassVar[bool]

    @property
    def description(self) -> str:
        """The reader's name or device path, for logs and the screen."""
        ...

    def open(self) -> None:
        """Connect to the reader.

        Raises:
            NoReader, PcscUnavailable, SamTimeout: the reader cannot be used.
        """

    def close(self) -> None:
        """Release the reader. Safe to call twice."""

    def wait_for_card(self, timeout: float) -> None:
        """Block until a card is on the reader.

        Raises:
            NoCard: none within ``timeout`` seconds (or :meth:`cancel` was called).
            ReaderLost: the reader went away.
        """

    def read(self) -> IdCardRecord:
        """Read the card on the reader: the text and photo records, parsed (not validated).

        Raises:
            CardRemoved, ReaderLost, NotAnIdCard, BadResponse, CorruptRecord, SamFrameError,
            SamTimeout, SamStatusError, UnsupportedCardType.
        """
        ...

    def wait_for_removal(self, timeout: float) -> bool:
        """Block until the card leaves the reader; False if it is still there after ``timeout``."""
        ...

    def cancel(self) -> None:
        """Wake a blocked :meth:`wait_for_card` / :meth:`wait_for_removal` from another thread."""


def read_validated(
    reader: IdCardReader, timeout: float, today: dt.date | None = None
) -> IdCardRecord:
    """Wait for a card, read it and validate it (the CLI's and the bench's one call).

    Raises:
        IdCardError: any of the named errors.
    """
    reader.wait_for_card(timeout)
    return validate_record(reader.read(), today)


EventKind = Literal["ready", "placed", "read", "failed", "removed", "reader_error", "stopped"]


@dataclass(frozen=True)
class CardEvent:
    """One thing the monitor saw.

    Attributes:
        kind: ``ready`` (reader opened), ``placed``, ``read`` (validated record in ``record``),
            ``failed`` (``error`` says why; read or validation), ``removed``, ``reader_error``
            (the reader is unusable; the monitor retries), ``stopped``.
        record: with ``read``.
        error: with ``failed`` and ``reader_error``.
    """

    kind: EventKind
    record: IdCardRecord | None = None
    error: IdCardError | None = None


class CardMonitor:
    """Watch a reader in a thread: placed, read and validated, removed, again.

    Args:
        reader: the transport.
        on_event: called from the monitor thread with each :class:`CardEvent`; the application
            forwards it (Textual: ``post_message``). Exceptions it raises are logged, not lost.
        poll: how long each blocking wait may last before the stop flag is checked (seconds).
        retry: pause before reopening a reader that failed (seconds).
        today: the counter's date for validation (tests); default today in Asia/Shanghai.
    """

    def __init__(
        self,
        reader: IdCardReader,
        on_event: Callable[[CardEvent], None],
        *,
        poll: float = 0.5,
        retry: float = 2.0,
        today: Callable[[], dt.date] | None = None,
    ):
        self.reader = reader
        self._on_event = on_event
        self._poll = poll
        self._retry = retry
        self._today = today
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the monitor thread (once)."""
        if self._thread is not None:
            raise RuntimeError("monitor already started")
        self._thread = threading.Thread(target=self._run, name="idcard-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish, wake it, and wait for it."""
        self._stop.set()
        self.reader.cancel()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _emit(self, event: CardEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # the port is the application's code: log, keep watching
            log.exception("idcard monitor: event handler failed on %s", event.kind)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.reader.open()
                except IdCardError as e:
                    self._emit(CardEvent("reader_error", error=e))
                    self._stop.wait(self._retry)
                    continue
                self._emit(CardEvent("ready"))
                try:
                    self._watch()
                except IdCardError as e:
                    self._emit(CardEvent("reader_error", error=e))
                    self._stop.wait(self._retry)
                except Exception as e:
                    # A driver failure no adapter translated: report it and keep watching,
                    # rather than letting the monitor thread die silently.
                    log.exception("ID card monitor: unexpected reader failure")
                    self._emit(
                        CardEvent(
                            "reader_error",
                            error=ReaderLost(
                                f"The ID card reader failed unexpectedly ({type(e).__name__}: "
                                f"{e}). Call counter staff."
                            ),
                        )
                    )
                    self._stop.wait(self._retry)
                finally:
                    self.reader.close()
        finally:
            self._emit(CardEvent("stopped"))

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.reader.wait_for_card(self._poll)
            except NoCard:
                continue
            if self._stop.is_set():
                return
            self._emit(CardEvent("placed"))
            try:
                today = self._today() if self._today else None
                record = validate_record(self.reader.read(), today)
            except IdCardError as e:
                if e.code in ("idcard.reader_lost", "idcard.pcsc_unavailable"):
                    raise
                self._emit(CardEvent("failed", error=e))
            else:
                self._emit(CardEvent("read", record=record))
            while not self._stop.is_set():
                if self.reader.wait_for_removal(self._poll):
                    self._emit(CardEvent("removed"))
                    break
