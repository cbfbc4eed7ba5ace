"""A virtual staff card for ``vsmartcard-vpcd``: a real PC/SC peer, not a canned answer.

It connects to vpcd's TCP port as the card (connect = card placed, close = card removed) and
answers APDUs the way a contactless staff card behind a PC/SC reader does: ``FF CA 00 00 00``
(GET DATA, UID) returns the card's UID and ``90 00``; anything else ``6D 00``. The vpcd protocol is
a 2-byte big-endian length then the payload; 1-byte payloads are controls (0x00 power off,
0x01 power on, 0x02 reset, 0x04 ATR request).

Run one from the command line for training mode: ``python -m hardware.sim.staffcard 04A1B2C3``.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading

#: vpcd's first two virtual readers ("Virtual PCD 00 00" and "Virtual PCD 00 01").
VPCD_PORTS = (35963, 35964)
#: A contactless storage card as PC/SC part 3 reports it (MIFARE Classic 1K).
ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
GET_UID = bytes.fromhex("FFCA000000")


class VirtualStaffCard:
    """A staff card placed on a vpcd virtual reader until :meth:`remove`.

    Args:
        uid: the card's UID (4, 7 or 10 bytes).
        port: vpcd's port (35963 for reader 00 00, 35964 for 00 01).
        host: where vpcd listens.
    """

    def __init__(self, uid: bytes | str, port: int = VPCD_PORTS[1], host: str = "127.0.0.1"):
        self.uid = bytes.fromhex(uid) if isinstance(uid, str) else bytes(uid)
        self.port = port
        self.host = host
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def answer(self, apdu: bytes) -> bytes:
        """The card's response to one APDU."""
        if apdu[:4] == GET_UID[:4]:
            le = apdu[4] if len(apdu) > 4 else 0
            data = self.uid if le in (0, len(self.uid)) else self.uid[:le]
            return data + b"\x90\x00"
        return b"\x6d\x00"

    def place(self, timeout: float = 5.0) -> VirtualStaffCard:
        """Connect to vpcd (the card is now on the reader) and answer in a thread."""
        self._sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self._sock.settimeout(None)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._thread = threading.Thread(target=self._serve, name="vpcd-staffcard", daemon=True)
        self._thread.start()
        return self

    def _recv_exact(self, n: int) -> bytes | None:
        assert self._sock is not None
        buf = b""
        while len(buf) < n:
            chunk = self._sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        # Without QUICKACK each APDU waits ~40 ms for the delayed ACK (STACK.md).
        if hasattr(socket, "TCP_QUICKACK"):
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return buf

    def _send(self, payload: bytes) -> None:
        assert self._sock is not None
        self._sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self) -> None:
        try:
            while True:
                head = self._recv_exact(2)
                if head is None:
                    return
                (length,) = struct.unpack(">H", head)
                payload = self._recv_exact(length)
                if payload is None:
                    return
                if length == 1:
                    if payload[0] == 0x04:
                        self._send(ATR)
                    continue  # power on/off/reset need no answer
                self.apdus.append(payload)
                self._send(self.answer(payload))
        except OSError as e:
            if self._sock is not None:  # not a deliberate removal
                self.error = e

    def remove(self) -> None:
        """Take the card off the reader (close the connection)."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> VirtualStaffCard:
        return self.place()

    def __exit__(self, *exc: object) -> None:
        self.remove()


def main(argv: list[str]) -> int:  # pragma: no cover - manual training aid
    """``python -m hardware.sim.staffcard UID [PORT]``: place a card until Ctrl-C."""
    uid = argv[0] if argv else "04A1B2C3D4E5F6"
    port = int(argv[1]) if len(argv) > 1 else VPCD_PORTS[1]
    card = VirtualStaffCard(uid, port).place()
    print(f"staff card {uid} placed on vpcd port {port}; Ctrl-C removes it")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        card.remove()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
