"""ID card: time from card placed to validated record, on each stand-in, beside raw transfers.

PC/SC: a private pcscd + vpcd with the virtual card; the figure runs from the card's connection
to vpcd (the card "placed") to a validated record, so it includes pcscd noticing the card (its
reader polling). Two baselines from the same run: the raw pyscard transmit loop of the same APDUs
(``SCardConnect`` + ``SCardTransmit`` x N, no parsing) and the kiosk's read+validate on a card
already present. SAM: the simulated module on a pty; baseline is the raw frame exchange of the
same three commands over pyserial without decoding.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time

ROUNDS = 12
RAW_ROUNDS = 50
TODAY = dt.date(2026, 11, 21)


def _ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 3)


def _pcsc_rows() -> list[dict[str, object]]:
    from hardware.sim.pcscd import PcscdProcess

    daemon = PcscdProcess().start()
    os.environ.update(daemon.env)  # libpcsclite reads it at the first PC/SC call
    try:
        return _pcsc_measure(daemon)
    finally:
        daemon.stop()


def _pcsc_measure(daemon: object) -> list[dict[str, object]]:
    from smartcard import scard

    from hardware.idcard.pcsc import PcscReader
    from hardware.idcard.validation import validate_record
    from hardware.sim.person import load_card
    from hardware.sim.vicc import VirtualCard

    port = daemon.port  # type: ignore[attr-defined]
    image = load_card("zhang_wei")
    reader = PcscReader("^Virtual PCD 00 00$")
    reader.open()
    placed: list[float] = []
    present: list[float] = []
    rng = random.Random(7)
    for _ in range(ROUNDS):
        card = VirtualCard(image, port=port)
        # pcscd polls vpcd every 400 ms; removal is seen at a poll, so inserting right after it
        # would always land at the worst phase. An untimed random pause spreads the phases.
        time.sleep(rng.uniform(0, 0.4))
        t0 = time.perf_counter()
        card.insert()
        reader.wait_for_card(5)
        validate_record(reader.read(), TODAY)
        placed.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        validate_record(reader.read(), TODAY)
        present.append(time.perf_counter() - t1)
        card.remove()
        reader.wait_for_removal(5)
    apdus = reader.apdu_count

    # The raw loop: the same APDUs the profile sends, straight through pyscard's scard layer.
    p = reader.profile
    script = [p.select_aid(), p.select_file(p.text_file), p.read_binary(0, 256)]
    script += [p.select_file(p.photo_file)] + [p.read_binary(o, 256) for o in range(0, 1024, 256)]
    raw: list[float] = []
    card = VirtualCard(image, port=port)
    card.insert()
    reader.wait_for_card(5)
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    for _ in range(RAW_ROUNDS):
        t0 = time.perf_counter()
        hr, hcard, proto = scard.SCardConnect(
            ctx, reader.reader_name, scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )  # fmt: skip
        for apdu in script:
            hr, resp = scard.SCardTransmit(hcard, proto, apdu)
            if hr != scard.SCARD_S_SUCCESS or resp[-2:] != [0x90, 0x00]:
                raise RuntimeError(f"raw transmit failed: {hr:#x} {resp[-2:]}")
        scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
        raw.append(time.perf_counter() - t0)
    scard.SCardReleaseContext(ctx)
    card.remove()
    reader.close()
    raw_ms = _ms(raw)
    return [
        {
            "name": "pcsc: card placed -> validated record",
            "value": _ms(placed),
            "unit": "ms",
            "baseline_name": f"raw pyscard loop, same {len(script)} APDUs",
            "baseline_value": raw_ms,
            "note": (
                f"median of {ROUNDS}; includes pcscd noticing the card (it polls vpcd readers "
                f"every 400 ms), range {min(placed) * 1000:.0f}-{max(placed) * 1000:.0f} ms; "
                f"the read sent {apdus} APDUs"
            ),
        },
        {
            "name": "pcsc: read + validate, card present",
            "value": _ms(present),
            "unit": "ms",
            "baseline_name": f"raw pyscard loop, same {len(script)} APDUs",
            "baseline_value": raw_ms,
            "note": f"median of {ROUNDS}; raw loop median of {RAW_ROUNDS}",
        },
    ]


def _sam_rows() -> list[dict[str, object]]:
    import serial

    from hardware.idcard.sam import CMD_FIND, CMD_READ, CMD_SELECT, SamReader, build_command
    from hardware.idcard.sam import read_frame as _read_frame
    from hardware.idcard.validation import validate_record
    from hardware.sim.person import load_card
    from hardware.sim.sam import SimulatedSam

    image = load_card("zhang_wei")
    placed: list[float] = []
    raw: list[float] = []
    with SimulatedSam() as sam:
        reader = SamReader(sam.path, poll=0.01)
        reader.open()
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            sam.place(image)
            reader.wait_for_card(2)
            validate_record(reader.read(), TODAY)
            placed.append(time.perf_counter() - t0)
            sam.take_away()
        reader.close()
        sam.place(image)
        port = serial.Serial(sam.path, 115200, timeout=1)
        frames = [build_command(*c) for c in (CMD_FIND, CMD_SELECT, CMD_READ)]
        for _ in range(RAW_ROUNDS):
            t0 = time.perf_counter()
            for f in frames:
                port.write(f)
                _read_frame(port, 1.0)
            raw.append(time.perf_counter() - t0)
        port.close()
    return [
        {
            "name": "sam: card placed -> validated record",
            "value": _ms(placed),
            "unit": "ms",
            "baseline_name": "raw find+select+read frames over pyserial",
            "baseline_value": _ms(raw),
            "note": f"simulated SAM on a pty; median of {ROUNDS} (raw: {RAW_ROUNDS}); "
            "find-card polled every 10 ms",
        }
    ]


def run() -> list[dict[str, object]]:
    """Measure both transports (needs pcscd and vsmartcard-vpcd installed)."""
    return _pcsc_rows() + _sam_rows()


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
