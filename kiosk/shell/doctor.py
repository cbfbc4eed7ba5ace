"""``kiosk doctor``: is everything this counter needs there and answering?

One check per configured device, the hub, the local store and the settings. Each check uses the
device's own adapter (``hardware/…``, ``kiosk.sync.client.HubClient``), the same code the kiosk
runs, so a pass here means the kiosk will reach the device too. Each result says ``ok``,
``warning`` or ``fail`` in words and what to do next.

Checks run at the same time, each in its own daemon thread with its own deadline: a dead device
(a serial line that never answers, a hub behind a black hole) costs its timeout, never hangs the
doctor, and an abandoned thread does not keep the process alive at exit.
"""

from __future__ import annotations

import enum
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hardware.idcard import reader_from_settings
from kiosk.config import Settings
from kiosk.domain import clock
from kiosk.domain.clock import SYSTEM_CLOCK, Clock, from_storage
from kiosk.errors import KioskError, SyncError
from kiosk.runtime import DataPaths


class Level(enum.StrEnum):
    """How a check went."""

    OK = "ok"
    WARNING = "warning"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """What a check found.

    Attributes:
        level: ok, warning or fail.
        message: what was seen, in words.
        next_step: what to do about it ("" when nothing needs doing).
        details: facts for ``--json`` (reader name, frame size, clock skew, …).
    """

    level: Level
    message: str
    next_step: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """A finding with the check's name and how long it took."""

    name: str
    finding: Finding
    elapsed_ms: int

    @property
    def level(self) -> Level:
        """The finding's level."""
        return self.finding.level

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``--json``)."""
        f = self.finding
        return {
            "check": self.name,
            "status": f.level.value,
            "message": f.message,
            "next": f.next_step,
            "elapsed_ms": self.elapsed_ms,
            "details": f.details,
        }


@dataclass(frozen=True)
class Check:
    """One check: a name, a function that returns a :class:`Finding`, a deadline in seconds."""

    name: str
    run: Callable[[], Finding]
    timeout_s: float


def ok(message: str, **details: Any) -> Finding:
    """An ok finding."""
    return Finding(Level.OK, message, "", details)


def warning(message: str, next_step: str, **details: Any) -> Finding:
    """A warning: the kiosk runs, but something wants attention."""
    return Finding(Level.WARNING, message, next_step, details)


def fail(message: str, next_step: str, **details: Any) -> Finding:
    """A failure: the kiosk cannot do this part of its work."""
    return Finding(Level.FAIL, message, next_step, details)


# -- running ------------------------------------------------------------------------------------


def run_checks(checks: list[Check]) -> list[CheckResult]:
    """Run every check concurrently; each gets its own deadline. Results keep the given order.

    A check that raises becomes a failure with the error's words; one that overruns its deadline
    becomes a failure saying so (its thread is left behind as a daemon).
    """
    slots: list[CheckResult | None] = [None] * len(checks)
    done = [threading.Event() for _ in checks]
    started = time.monotonic()

    def work(i: int, check: Check) -> None:
        t0 = time.monotonic()
        try:
            finding = check.run()
        except KioskError as e:
            finding = fail(e.message, "see the message", code=e.code)
        except Exception as e:  # a check must never take the doctor down
            finding = fail(f"the check itself failed: {type(e).__name__}: {e}", "report this")
        slots[i] = CheckResult(check.name, finding, int((time.monotonic() - t0) * 1000))
        done[i].set()

    for i, check in enumerate(checks):
        threading.Thread(
            target=work, args=(i, check), name=f"doctor-{check.name}", daemon=True
        ).start()
    for i, check in enumerate(checks):
        remaining = check.timeout_s - (time.monotonic() - started)
        if not done[i].wait(max(remaining, 0.0)):
            slots[i] = CheckResult(
                check.name,
                fail(
                    f"no answer within {check.timeout_s:g} s (the device or service hangs)",
                    f"check the {check.name}'s power, cable or service; then run doctor again",
                ),
                int(check.timeout_s * 1000),
            )
    return [r for r in slots if r is not None]


def worst(results: list[CheckResult]) -> Level:
    """The worst level among the results."""
    levels = {r.level for r in results}
    for level in (Level.FAIL, Level.WARNING):
        if level in levels:
            return level
    return Level.OK


# -- the checks ---------------------------------------------------------------------------------


def check_config(settings: Settings) -> Finding:
    """The settings loaded (they were validated on load); warn when they are the built-in ones."""
    source = str(settings.source)
    if source == "<defaults>":
        return warning(
            "no kiosk.toml found: running on the built-in example settings",
            "copy kiosk.toml to /etc/netca-kiosk/kiosk.toml and set this counter's devices and hub",
            source=source,
        )
    source = str(Path(source).resolve())
    return ok(f"{source} is valid", source=source, counter=settings.counter.id)


#: How far ahead the holiday calendar must know the counter's days.
CALENDAR_HORIZON_DAYS = 45


def check_calendar(settings: Settings, today: date | None = None) -> Finding:
    """The statutory holidays and make-up working days (调休) for the coming weeks are known.

    chinesecalendar knows a year once the State Council publishes it (each November) and the
    library is updated; a year it does not know gets only the fixed-date holidays. A year with
    closed days in January or February in ``[counter] extra_closed_days`` (its Spring Festival)
    is taken as configured.
    """
    # Imported in the check: the holiday tables (chinesecalendar) load for this check only.
    from kiosk.domain.hours import calendar_years

    c = settings.counter
    if c.holiday_calendar == "none":
        return ok(
            "holiday calendar off: the weekly hours and kiosk.toml's extra days apply",
            calendar="none",
        )
    today = today or clock.local_today(clock.utc_now(), c.timezone)
    first, last = calendar_years()
    horizon = today + timedelta(days=CALENDAR_HORIZON_DAYS)
    # A year counts as configured once its Spring Festival is there: 春节 always falls in
    # January or February, so one local closure in May does not stand for the whole calendar.
    configured = {d.year for d in c.extra_closed_days if d.month <= 2}
    missing = [y for y in range(today.year, horizon.year + 1) if y > last and y not in configured]
    details = {"known": f"{first}-{last}", "configured_years": sorted(configured)}
    if not missing:
        extra = sorted(y for y in configured if y > last)
        more = f", and {', '.join(map(str, extra))} from kiosk.toml" if extra else ""
        return ok(f"holiday calendar knows {first}-{last}{more}", **details)
    y = missing[0]
    start = date(y, 1, 1)
    when = "now" if start <= today else f"from {start.isoformat()} (in {(start - today).days} days)"
    return warning(
        f"the holiday calendar (chinesecalendar) knows {first}-{last}: {when} only the "
        "fixed-date holidays (1 Jan, 1-2 May, 1-3 Oct) are applied, so the counter's opening "
        "days and working-day counts may be wrong",
        f"add the State Council's {y} holidays and make-up working days to [counter] "
        "extra_closed_days / extra_working_days in kiosk.toml (or update chinesecalendar "
        f"once it knows {y})",
        **details,
    )


def check_reader(settings: Settings) -> Finding:
    """PC/SC: pcscd answers and a reader matches the pattern. SAM: the module gives its id."""
    # Imported in the check: pyserial loads only when the reader is a SAM.
    from hardware.idcard.sam import SamReader

    rs = settings.devices.reader
    reader = reader_from_settings(rs)
    try:
        try:
            reader.open()
        except KioskError as e:
            if rs.backend == "pcsc":
                nxt = (
                    "start the smart card service: systemctl enable --now pcscd"
                    if e.code == "idcard.pcsc_unavailable"
                    else "plug the ID card reader in, or fix [devices.reader] reader_pattern"
                )
            else:
                nxt = (
                    "check the reader's cable and power, and [devices.reader] serial_device "
                    f"({rs.serial_device})"
                )
            return fail(e.message, nxt, backend=rs.backend, code=e.code)
        if isinstance(reader, SamReader):  # the "sam" backend: the module has an id
            sam_id = reader.sam_id()
            return ok(f"security module on {rs.serial_device} answers, id {sam_id}", sam_id=sam_id)
        return ok(f"pcscd answers; reader {reader.description!r}", reader=reader.description)
    finally:
        reader.close()


def check_token(settings: Settings) -> Finding:
    """The PKCS#11 module loads and lists its slots."""
    # Imported in the check: a library that fails to load fails this check only.
    from hardware.token.adapter import Pkcs11Tokens

    ts = settings.devices.token
    if not Path(ts.module_path).exists():
        return fail(
            f"the key module {ts.module_path} does not exist",
            "install the USB key vendor's PKCS#11 module and set [devices.token] module_path",
            module=ts.module_path,
        )
    tokens = Pkcs11Tokens(ts.module_path)
    try:
        tokens.open()
        slots = list(tokens.lib.get_slots(token_present=False))
        keys = tokens.keys()
    except KioskError as e:
        return fail(e.message, "check [devices.token] module_path and the key reader", code=e.code)
    finally:
        tokens.close()
    details = {"module": ts.module_path, "slots": len(slots), "keys": len(keys)}
    if not slots:
        return warning(
            f"the key module loads but lists no slot ({ts.module_path})",
            "plug the USB key reader in (or check the module is the one for these keys)",
            **details,
        )
    blank = sum(1 for k in keys if k.blank)
    return ok(
        f"key module loads; {len(slots)} slot(s), {len(keys)} key(s) in the reader ({blank} blank)",
        **details,
    )


def check_camera(settings: Settings, wait_s: float = 4.0) -> Finding:
    """The camera source opens and gives a frame of the configured size."""
    # Imported in the check: a library that fails to load fails this check only.
    import cv2.utils.logging as cv_logging

    from hardware.camera import config_from_settings, make_camera

    # OpenCV's own warnings (no /dev/video0) would garble the report; errors still show.
    cv_logging.setLogLevel(cv_logging.LOG_LEVEL_ERROR)
    cs = settings.devices.camera
    cam = make_camera(cs.backend, config_from_settings(cs))
    try:
        cam.open()
        try:
            frame = cam.wait_frame(0, timeout=wait_s)
        except KioskError as e:
            return fail(
                f"no picture from camera source {cs.source!r}: {e.message}",
                "plug the seal camera in (or fix [devices.camera] source)",
                source=cs.source,
            )
    finally:
        cam.close()
    h, w = frame.image.shape[:2]
    details = {"source": cs.source, "width": w, "height": h}
    if (w, h) != (cs.width, cs.height):
        return warning(
            f"camera gives {w}x{h}, configured {cs.width}x{cs.height}",
            "set [devices.camera] width/height to a mode the camera supports",
            **details,
        )
    return ok(f"camera {cs.source!r} gives {w}x{h} frames", **details)


def check_printer(settings: Settings) -> Finding:
    """The printer is reachable and says it has paper and a closed cover."""
    # Imported in the check: a library that fails to load fails this check only.
    from kiosk.receipts.wiring import make_printer

    printer = make_printer(settings)
    status = printer.status()
    uri = settings.devices.printer.uri
    details = {"uri": uri, "state": status.state}
    if status.state == "ready":
        return ok(f"printer at {uri}: ready (paper in, cover closed)", **details)
    advice = {
        "paper_low": "load a new paper roll soon",
        "paper_out": "load a new paper roll",
        "cover_open": "close the printer cover",
        "error": "check the cutter and paper path, then switch the printer off and on",
        "offline": f"check the printer's power and cable, and [devices.printer] uri ({uri})",
        "unknown": "this connection cannot report paper or cover: print a test slip to be sure",
    }[status.state]
    level = warning if status.state in ("paper_low", "unknown") else fail
    return level(f"printer at {uri}: {status.message}", advice, **details)


def check_hub(settings: Settings, skew_warn_s: float = 30.0, skew_fail_s: float = 300.0) -> Finding:
    """The hub answers its health check, accepts this kiosk's credential, and agrees on the time."""
    # Imported in the check: a library that fails to load fails this check only.
    from kiosk.sync.client import HubClient, HubUnauthorized

    hs = settings.hub
    # The kiosk itself prefers the environment's credential (kiosk/shell/services.py): so does this.
    credential = os.environ.get("KIOSK_HUB_CREDENTIAL") or hs.credential
    with HubClient(hs.url, credential or None, timeout=hs.timeout_s) as client:
        t0 = time.time()
        try:
            health = client.health()
        except SyncError as e:
            return fail(
                f"the hub does not answer: {e.message}",
                "check the network and [hub] url; the kiosk keeps working offline and sends later",
                url=hs.url,
            )
        local = (t0 + time.time()) / 2
        details: dict[str, Any] = {"url": hs.url}
        skew: float | None = None
        try:
            skew = from_storage(str(health["time"])).timestamp() - local
            details["clock_skew_s"] = round(skew, 1)
        except (KioskError, ValueError, TypeError):
            details["clock_skew_s"] = None
        if not credential:
            return fail(
                "hub answers, but this kiosk has no credential: nothing can be sent",
                "on the hub: kiosk hub enrol-kiosk NAME; put NAME:SECRET in KIOSK_HUB_CREDENTIAL "
                "or [hub] credential",
                **details,
            )
        try:
            client.config(None)
        except HubUnauthorized:
            return fail(
                "hub refuses this kiosk's credential (401)",
                "enrol the kiosk again (on the hub: kiosk hub enrol-kiosk NAME); "
                "update [hub] credential",
                **details,
            )
        except SyncError as e:
            return warning(
                f"hub answers its health check but not an authenticated request: {e.message}",
                "try again; if it persists, check the hub's log",
                **details,
            )
    if skew is None:
        return warning(
            "hub accepts the credential but its clock could not be read",
            "check the hub's version",
            **details,
        )
    if abs(skew) >= skew_fail_s:
        return fail(
            f"this kiosk's clock is {skew:+.0f} s off the hub's",
            "set the time: timedatectl set-ntp true (or date -s); certificates depend on it",
            **details,
        )
    if abs(skew) >= skew_warn_s:
        return warning(
            f"hub accepts the credential; clock {skew:+.0f} s off the hub's",
            "enable time sync: timedatectl set-ntp true",
            **details,
        )
    return ok(f"hub at {hs.url} answers and accepts the credential; clock {skew:+.1f} s", **details)


def check_kmc(settings: Settings) -> Finding:
    """With ``[flows] key_escrow = "hub"``: the hub's key management centre (KMC) answers its
    authenticated status call (``GET /kmc/status``), and its master key opens the escrow."""
    # Imported in the check: a library that fails to load fails this check only.
    from kiosk.sync.client import HubClient, HubRefused, HubUnauthorized

    hs = settings.hub
    credential = os.environ.get("KIOSK_HUB_CREDENTIAL") or hs.credential
    uses = "new keys get no encryption key pair (双证书) and key recovery (密钥恢复) cannot work"
    if not credential:
        return fail(
            f"key escrow is the hub's, but this kiosk has no hub credential to ask it: {uses}",
            "on the hub: kiosk hub enrol-kiosk NAME; put NAME:SECRET in KIOSK_HUB_CREDENTIAL "
            "or [hub] credential",
            url=hs.url,
        )
    with HubClient(hs.url, credential, timeout=hs.timeout_s) as client:
        try:
            st = client.kmc_status()
        except HubUnauthorized:
            return fail(
                "the hub refuses this kiosk's credential (401): the KMC cannot be asked",
                "enrol the kiosk again (on the hub: kiosk hub enrol-kiosk NAME); "
                "update [hub] credential",
                url=hs.url,
            )
        except HubRefused as e:
            return warning(
                f"the hub does not answer the KMC status call ({e.code}: {e.message}); an "
                "older hub?",
                "update the hub; until then a visit's keys step shows whether escrow works",
                url=hs.url,
            )
        except SyncError as e:
            if e.code == "sync.no_kmc":
                return fail(
                    f"the hub at {hs.url} has no key management centre (KMC): {uses}",
                    "start the hub with --kmc-dir DIR (--init-kmc the first time, and keep "
                    'kmc.master backed up), or set [flows] key_escrow = "none" at this counter',
                    url=hs.url,
                )
            return fail(
                f"the KMC could not be asked, the hub does not answer: {e.message}",
                "check the network and [hub] url (see the hub check)",
                url=hs.url,
            )
    details = {
        "url": hs.url,
        "escrowed": st.get("escrowed"),
        "master_key": st.get("master_key"),
        "wrap": st.get("wrap"),
    }
    if st.get("master_key") == "does_not_open":
        return fail(
            "the hub's KMC master key does not open its escrowed keys (restored without its "
            f"kmc.master?): {uses}",
            "on the hub: restore kmc.master from its backup into the --kmc-dir",
            **details,
        )
    held = f"{st.get('escrowed', 0)} encryption keys in escrow"
    return ok(f"the hub's KMC answers: {held}, master key {st.get('master_key')}", **details)


def check_storage(paths: DataPaths, low_mb: int = 1024, critical_mb: int = 200) -> Finding:
    """The data dir is writable; the store passes integrity_check and its migrations are current."""
    # Imported in the check: a library that fails to load fails this check only.
    from data.store import bundled_migrations, connect

    base = paths.base
    details: dict[str, Any] = {"data_dir": str(base), "database": str(paths.database)}
    if not base.is_dir():
        return fail(
            f"data directory {base} does not exist",
            f"create it for the kiosk user: install -d -o kiosk -g kiosk {base}",
            **details,
        )
    try:
        with tempfile.NamedTemporaryFile(dir=base, prefix=".doctor-", delete=True) as fh:
            fh.write(b"x")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as e:
        return fail(
            f"cannot write in {base}: {e.strerror or e}",
            f"give the kiosk user the folder: chown -R kiosk:kiosk {base}",
            **details,
        )
    free_mb = shutil.disk_usage(base).free // (1024 * 1024)
    details["free_mb"] = free_mb
    problems: list[Finding] = []
    if free_mb < critical_mb:
        problems.append(
            fail(f"only {free_mb} MB free on {base}", "free disk space (old logs, exports)")
        )
    elif free_mb < low_mb:
        problems.append(
            warning(f"{free_mb} MB free on {base}", "free disk space before it runs out")
        )
    db = paths.database
    if not db.exists():
        problems.append(
            warning(
                f"no store yet at {db}",
                "start the kiosk once: it creates the store and applies the migrations",
            )
        )
    else:
        try:
            conn = connect(db, read_only=True)
            try:
                integrity = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
                has_table = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
                ).fetchone()
                applied = (
                    {r[0] for r in conn.execute("SELECT number FROM schema_migrations")}
                    if has_table
                    else set()
                )
            finally:
                conn.close()
        except sqlite3.DatabaseError as e:
            return fail(
                f"the store {db} cannot be read: {e}",
                "stop the kiosk, keep a copy of the file and call support",
                **details,
            )
        if integrity != ["ok"]:
            return fail(
                f"the store {db} is damaged: {'; '.join(integrity[:3])}",
                "stop the kiosk, keep a copy of the file and call support (do not delete it)",
                **details,
            )
        known = {m.number for m in bundled_migrations()}
        pending = sorted(known - applied)
        unknown = sorted(applied - known)
        details.update(applied=len(applied), pending=pending)
        if unknown:
            problems.append(
                fail(
                    f"the store has migrations this kiosk does not know: {unknown}",
                    "this software is older than the store: install the newer kiosk version",
                )
            )
        elif pending:
            problems.append(
                warning(
                    f"{len(pending)} migration(s) not yet applied: {pending}",
                    "start the kiosk once (it applies them); stop it first if one is running",
                )
            )
    if problems:
        top = Level.FAIL if any(p.level is Level.FAIL for p in problems) else Level.WARNING
        return Finding(
            top,
            "; ".join(p.message for p in problems),
            "; ".join(p.next_step for p in problems),
            details,
        )
    return ok(f"{base} writable, store intact, migrations current, {free_mb} MB free", **details)


def build_checks(
    settings: Settings, paths: DataPaths, *, timeout_s: float | None = None
) -> list[Check]:
    """The checks for this counter's configuration, in report order.

    Args:
        settings: the loaded kiosk.toml.
        paths: the data directory layout.
        timeout_s: one deadline for every check (default: each check's own).
    """

    def t(default: float) -> float:
        return timeout_s if timeout_s is not None else default

    camera_wait = max(min(t(6.0) - 1.0, 4.0), 0.5)
    return [
        Check("config", lambda: check_config(settings), t(2.0)),
        Check("reader", lambda: check_reader(settings), t(8.0)),
        Check("token", lambda: check_token(settings), t(10.0)),
        Check("camera", lambda: check_camera(settings, camera_wait), t(6.0)),
        Check("printer", lambda: check_printer(settings), t(8.0)),
        Check("hub", lambda: check_hub(settings), t(settings.hub.timeout_s * 2 + 2.0)),
        *(
            [Check("kmc", lambda: check_kmc(settings), t(settings.hub.timeout_s * 2 + 2.0))]
            if settings.flows.key_escrow == "hub"
            else []
        ),
        Check("storage", lambda: check_storage(paths), t(15.0)),
        Check("calendar", lambda: check_calendar(settings), t(2.0)),
    ]


def now_utc(at: Clock = SYSTEM_CLOCK) -> str:
    """The report's time stamp."""
    return at.now().strftime("%Y-%m-%dT%H:%M:%SZ")
