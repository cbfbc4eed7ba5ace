"""A TCP proxy on loopback that misbehaves on command, between the kiosk and the hub.

Modes (``proxy.mode = …``, effective for new connections; ``flap`` also cuts live ones):

- ``pass``: forward bytes both ways.
- ``refuse``: accept and reset at once (connection refused / reset by peer).
- ``html``: answer ``502 Bad Gateway`` with an HTML page, as a misconfigured proxy would.
- ``garbage``: answer random bytes and close.
- ``slow``: hold each connection ``slow_seconds`` before forwarding (the client times out).
- ``lose_answer``: forward the request, let the hub answer (it has committed by then), and cut
  the connection before the kiosk sees a byte of it.
- ``flap``: ``pass`` and ``refuse`` alternating every ``flap_period`` seconds; going down
  resets every live connection mid-request.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time

HTML = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 58\r\n"
    b"Connection: close\r\n\r\n<html><body><h1>502 Bad Gateway</h1>nginx</body></html>\n"
)


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int, mode: str = "pass"):
        self.upstream = ("127.0.0.1", upstream_port)
        self.mode = mode
        self.slow_seconds = 3.0
        self.flap_period = 0.5
        self.stats = {"connections": 0, "cut": 0}
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._live: set[tuple[socket.socket, socket.socket | None]] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._t0 = time.monotonic()
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._flapper, daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self.cut_all()

    def cut_all(self) -> None:
        with self._lock:
            live, self._live = self._live, set()
        for client, upstream in live:
            _reset(client)
            if upstream is not None:
                _reset(upstream)
        self.stats["cut"] += len(live)

    def _down(self) -> bool:
        if self.mode == "refuse":
            return True
        if self.mode == "flap":
            return int((time.monotonic() - self._t0) / self.flap_period) % 2 == 1
        return False

    def _flapper(self) -> None:
        was_down = False
        while not self._closed.wait(0.02):
            down = self.mode == "flap" and self._down()
            if down and not was_down:
                self.cut_all()
            was_down = down

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.stats["connections"] += 1
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        mode = self.mode
        if self._down():
            _reset(client)
            return
        if mode in ("html", "garbage"):
            client.settimeout(2)
            with contextlib.suppress(OSError):
                client.recv(65536)
                client.sendall(HTML if mode == "html" else os.urandom(512))
            with contextlib.suppress(OSError):
                client.close()
            return
        if mode == "slow" and self._closed.wait(self.slow_seconds):
            _reset(client)
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=2)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        pair = (client, upstream)
        with self._lock:
            self._live.add(pair)
        threading.Thread(
            target=self._pump, args=(client, upstream, False, pair), daemon=True
        ).start()
        self._pump(upstream, client, mode == "lose_answer", pair)

    def _pump(self, src: socket.socket, dst: socket.socket, drop: bool, pair) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if drop:
                    break  # the hub answered: throw the answer away and cut the kiosk off
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._live.discard(pair)
        _reset(pair[0])
        _reset(pair[1])
