"""The supervisor console in a browser, through textual-serve, for supervisors only.

textual-serve runs one process per browser session and relays its terminal over a websocket.
The process is the **supervisor console** (``kiosk supervise``: read-only, opens no device), not
the kiosk: a second kiosk would open the counter's ID card reader, USB key reader, camera and
printer and let a browser act as the counter. On top of textual-serve this module adds:

* **The supervisor token, before anything else.** Every request (page, static files, websocket)
  needs it: as the password of HTTP basic auth (any user name), or once as ``/?token=…``, which
  sets an HttpOnly, SameSite=Strict cookie and redirects to ``/`` so the token leaves the address
  bar. A websocket whose ``Origin`` is another site is refused. The token lives in
  ``<data>/web/supervisor.token`` (0600), made on first start. It stays although the console has
  its own sign-in (a supervisor's staff number and PIN against the roster, audited): without it,
  anyone who reaches the port could start console processes at will and try PINs until the
  counter's supervisors are locked out. Defence in depth: the token keeps the surface closed, the
  roster says which person is looking.
* **A cap on sessions** (``max_sessions``): each websocket is a process; more are refused (503).
* **No internet.** textual-serve's page loads "Roboto Mono" from fonts.googleapis.com; the page
  served here drops that link and declares the same face from the copy textual-serve ships in
  its own static folder, so an offline counter renders the same. CJK glyphs come from the
  browser machine's fonts (fonts-noto-cjk / fonts-wqy-zenhei through fontconfig).
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kiosk.errors import UsageError

log = logging.getLogger(__name__)

COOKIE = "netca_kiosk_web"
REALM = "NETCA kiosk supervisor"
TOKEN_FILE = Path("web") / "supervisor.token"

_GOOGLE_FONT_LINK = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>", re.S)
_LOCAL_FONT = """<style>
      /* Served from this kiosk: an offline counter cannot reach a web font host. */
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf")
          format("truetype");
        font-weight: 100 700;
      }
    </style>"""


_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s\"]*")


class RedactToken(logging.Filter):
    """Blanks ``token=…`` in log lines: the access log writes every request line, secrets too."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record (aiohttp's access log passes the finished line as ``msg``)."""
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = _TOKEN_IN_URL.sub(r"\1<redacted>", str(record.msg))
        return True


def load_or_create_token(data_base: Path) -> tuple[str, Path, bool]:
    """The supervisor token: read ``<data>/web/supervisor.token``, or make one (0600).

    Returns:
        (token, path, created).
    """
    path = data_base / TOKEN_FILE
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) < 16:
            raise UsageError(
                f"{path} holds a token shorter than 16 characters; delete it to get a new one",
                code="web.weak_token",
            )
        return token, path, False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token, path, True


def token_check(token: str) -> Callable[[str], bool]:
    """A constant-time check of a presented secret against ``token``."""
    expected = token.encode()

    def check(presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), expected)

    return check


def page_template(original: str) -> str:
    """textual-serve's page without the internet font link, with the local face declared."""
    page, n = _GOOGLE_FONT_LINK.subn(_LOCAL_FONT, original, count=1)
    if n == 0 and "fonts.googleapis.com" in original:  # the page changed shape upstream
        raise RuntimeError("textual-serve's page loads a web font this module cannot strip")
    return page


def parse_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` into its parts (UsageError when malformed)."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--bind {bind!r}: expected HOST:PORT, e.g. 127.0.0.1:8765")
    return host.strip("[]"), int(port)


def presented_secret(headers: Any, cookies: Any) -> str | None:
    """The secret a request carries: the cookie, else the basic-auth password."""
    cookie = cookies.get(COOKIE)
    if cookie:
        return str(cookie)
    auth = headers.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            _user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return password
    return None


def make_server(
    command: str,
    host: str,
    port: int,
    check: Callable[[str], bool],
    *,
    title: str = "NETCA supervisor console",
    public_url: str | None = None,
    max_sessions: int = 4,
) -> Any:
    """A textual-serve server for ``command`` that admits only requests passing ``check``.

    Args:
        command: the shell command each browser session runs (the supervisor console).
        host: address to listen on.
        port: port to listen on.
        check: ``check(secret) -> bool`` for the token the request carries.
        title: the page's title.
        public_url: the address the browser uses (the websocket's expected ``Origin``).
        max_sessions: websocket sessions at once; more are answered 503.
    """
    import aiohttp_jinja2
    import jinja2
    from aiohttp import web
    from textual_serve.server import Server

    class KioskWebServer(Server):
        _sessions = 0  # websockets open now (one event loop: no lock needed)

        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            original = (Path(self.templates_path) / "app_index.html").read_text(encoding="utf-8")
            aiohttp_jinja2.setup(
                app, loader=jinja2.DictLoader({"app_index.html": page_template(original)})
            )
            app.middlewares.append(self._guard)
            return app

        @web.middleware
        async def _guard(
            self,
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            peer = request.remote
            token = request.query.get("token")
            if token is not None and request.path == "/":
                if not check(token):
                    log.warning("web: wrong token from %s", peer)
                    return _refuse()
                response = web.HTTPFound("/")
                response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
                return response
            secret = presented_secret(request.headers, request.cookies)
            if secret is None or not check(secret):
                return _refuse()
            if request.path == "/ws":
                origin = request.headers.get("Origin")
                if origin is not None and origin.rstrip("/") != self.public_url.rstrip("/"):
                    log.warning("web: websocket from foreign origin %s refused", origin)
                    return web.Response(status=403, text="foreign origin\n")
                if self._sessions >= max_sessions:
                    log.warning("web: session from %s refused: %d open", peer, self._sessions)
                    return web.Response(
                        status=503, text=f"{max_sessions} console sessions are open already\n"
                    )
                self._sessions += 1
                log.info("web: supervisor session opened from %s", peer)
                try:
                    return await handler(request)
                finally:
                    self._sessions -= 1
                    log.info("web: supervisor session closed from %s", peer)
            return await handler(request)

    def _refuse() -> web.Response:
        return web.Response(
            status=401,
            text="Supervisors only: sign in with the supervisor token.\n",
            headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
        )

    logging.getLogger("aiohttp.access").addFilter(RedactToken())
    return KioskWebServer(command, host=host, port=port, title=title, public_url=public_url)
