"""``kiosk serve-web``: the supervisor console in a browser (textual-serve): token first, then a
supervisor's sign-in; offline; the console, never a second kiosk.

A real server process on loopback over a store filled by real visits; a websocket client reads
the console's terminal output; one page check in headless Chromium driven over the DevTools
protocol: the sign-in in Chinese, a supervisor signs in by keyboard, today's visits appear.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import pytest

from data.store import Store
from kiosk.console.views import SIGN_IN
from kiosk.shell.web import COOKIE, load_or_create_token
from kiosk.staff import audit
from tests.support.console_store import SUPERVISOR, Visits, add_staff, populate
from tests.support.procs import ROOT, env, free_port, wait_until

SIGN_IN_HEADING = "主管登录"  # screens/i18n.py "console.heading", zh-CN first
WELCOME = "请选择要办理的业务"  # the kiosk's own welcome: never served to a browser
KIOSK = (sys.executable, "-m", "kiosk")
SERVE_ARGS = ("--max-sessions", "2", "--refresh", "2", "--bind")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class WebView:
    url: str
    token: str
    log: Path
    proc: subprocess.Popen[bytes]
    visits: Visits

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebView]:
    base = tmp_path_factory.mktemp("web")
    data = base / "data"
    visits = populate(data / "training")
    add_staff(visits.database)
    token, _, _ = load_or_create_token(data / "training")
    port = free_port()
    bind = f"127.0.0.1:{port}"
    log = base / "serve-web.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*KIOSK, "--training", "--data-dir", str(data), "serve-web", *SERVE_ARGS, bind],
            env={**env(), "COLUMNS": "200"},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return httpx.get(url + "/", timeout=0.5).status_code == 401
        except httpx.HTTPError:
            return False

    wait_until(up, 20, "serve-web to answer")
    try:
        yield WebView(url, token, log, proc, visits)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_everything_is_refused_without_the_token(web: WebView) -> None:
    for path in ("/", "/static/js/textual.js", "/ws"):
        r = httpx.get(web.url + path, timeout=5)
        assert r.status_code == 401, path
        assert r.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert "Supervisors only" in r.text
    assert httpx.get(web.url + "/", headers=_basic("x", "wrong"), timeout=5).status_code == 401
    r = httpx.get(web.url + "/?token=wrong", timeout=5, follow_redirects=False)
    assert r.status_code == 401 and COOKIE not in r.headers.get("set-cookie", "")
    wait_until(lambda: "token=<redacted>" in web.log_text(), 5, "the access log line")
    assert "token=wrong" not in web.log_text()
    r = httpx.get(web.url + "/", cookies={COOKIE: "forged"}, timeout=5)
    assert r.status_code == 401


def test_the_token_opens_the_page_without_internet_fonts(web: WebView) -> None:
    r = httpx.get(web.url + f"/?token={web.token}", timeout=5, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/"
    wait_until(lambda: "302" in web.log_text(), 5, "the access log line")
    assert web.token not in web.log_text(), "the token leaked into the log"
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
    page = httpx.get(web.url + "/", cookies={COOKIE: web.token}, timeout=5)
    assert page.status_code == 200
    assert "googleapis" not in page.text
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', page.text), "no assets?"
    for asset in re.findall(r'(?:src|href|url\()"(https?://[^"]+)"', page.text):
        assert asset.startswith(web.url + "/static/"), asset
    font = httpx.get(
        web.url + "/static/fonts/RobotoMono-VariableFont_wght.ttf",
        headers=_basic("supervisor", web.token),
        timeout=5,
    )
    assert font.status_code == 200 and len(font.content) > 10_000


def test_a_websocket_session_runs_the_console_not_the_kiosk(web: WebView) -> None:
    async def session() -> str:
        seen = b""
        async with (
            aiohttp.ClientSession(headers=_basic("supervisor", web.token)) as http,
            http.ws_connect(web.url.replace("http", "ws") + "/ws?width=120&height=36") as ws,
        ):
            await ws.send_str(json.dumps(["resize", {"width": 120, "height": 36}]))
            end = time.monotonic() + 25
            while SIGN_IN_HEADING.encode() not in seen:
                left = end - time.monotonic()
                assert left > 0, f"no sign-in heading; got {seen[-400:]!r}"
                msg = await ws.receive(timeout=left)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    seen += msg.data
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    raise AssertionError(f"session closed; got {seen[-400:]!r}")
        return seen.decode(errors="replace")

    screen = asyncio.run(session())
    assert SIGN_IN_HEADING in screen and "主管监控台" in screen
    assert WELCOME not in screen, "a browser session must never run the kiosk itself"
    wait_until(lambda: "supervisor session closed" in web.log_text(), 10, "the session to end")
    assert "supervisor session opened from 127.0.0.1" in web.log_text()


def test_a_foreign_origin_websocket_is_refused(web: WebView) -> None:
    r = httpx.get(
        web.url + "/ws",
        headers={
            **_basic("supervisor", web.token),
            "Origin": "http://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        },
        timeout=5,
    )
    assert r.status_code == 403


# -- one page check in headless Chromium ---------------------------------------------------------


class Cdp:
    """The least of the DevTools protocol: one page target, commands by id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: object) -> dict:
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send_str(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads((await self.ws.receive(timeout=10)).data)
            if msg.get("id") == my_id:
                assert "error" not in msg, msg
                return msg["result"]

    async def js(self, expression: str) -> object:
        r = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return r["result"].get("value")


# What the page's websocket receives is what textual.js writes into xterm: recorded here (before
# the page's own script runs) so the test reads the console's text the browser drew.
SCREEN_HOOK = """
(() => {
  window.__screen = "";
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  function Recorded(url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    ws.addEventListener("message", (e) => {
      if (typeof e.data !== "string") {
        window.__screen = (window.__screen + decoder.decode(new Uint8Array(e.data),
          {stream: true})).slice(-400000);
      }
    });
    return ws;
  }
  Recorded.prototype = Native.prototype;
  for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Recorded[k] = Native[k];
  window.WebSocket = Recorded;
})();
"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt install chromium)")
def test_chromium_shows_the_console_sign_in_then_todays_visits(
    web: WebView, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,800",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    browser = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        wait_until(lambda: port_file.exists() and port_file.read_text().strip(), 15, "devtools")
        devtools = int(port_file.read_text().split()[0])

        def page_ws() -> str | None:
            try:
                targets = httpx.get(f"http://127.0.0.1:{devtools}/json/list", timeout=2).json()
            except httpx.HTTPError:
                return None
            pages = [t for t in targets if t["type"] == "page"]
            return pages[0]["webSocketDebuggerUrl"] if pages else None

        target = wait_until(page_ws, 15, "a page in Chromium")

        async def check() -> tuple[str, str, str, list[str], bytes]:
            async with aiohttp.ClientSession() as http, http.ws_connect(target) as ws:
                cdp = Cdp(ws)
                await cdp.call("Page.enable")
                await cdp.call("Page.addScriptToEvaluateOnNewDocument", source=SCREEN_HOOK)
                await cdp.call("Page.navigate", url=f"{web.url}/?token={web.token}")

                async def screen_shows(*texts: str, within: float = 25) -> str:
                    end = time.monotonic() + within
                    while True:
                        seen = str(await cdp.js("window.__screen || ''"))
                        if all(t in seen for t in texts):
                            return seen
                        if time.monotonic() > end:
                            raise AssertionError(f"{texts} not shown; got {seen[-600:]!r}")
                        await asyncio.sleep(0.1)

                async def key(name: str, code: int, text: str, where: str = "") -> None:
                    for kind in ("keyDown", "keyUp"):
                        await cdp.call(
                            "Input.dispatchKeyEvent",
                            type=kind,
                            key=name,
                            code=where or name,
                            windowsVirtualKeyCode=code,
                            nativeVirtualKeyCode=code,
                            **({"text": text} if kind == "keyDown" else {}),
                        )

                await screen_shows(SIGN_IN_HEADING, "工号", "密码")
                signin = str(await cdp.js("document.body.className"))
                await cdp.js("document.querySelector('.xterm-helper-textarea').focus()")
                staff_no, _, pin = SUPERVISOR
                for ch in staff_no:
                    await key(ch, ord(ch), ch, f"Digit{ch}")
                mark = int(await cdp.js("window.__screen.length"))
                await key("Enter", 13, "\r")  # to the PIN field
                # Keys typed before the console moved the focus would land in the number field:
                # wait until it redrew the PIN field, focused.
                end = time.monotonic() + 10
                while "密码" not in str(await cdp.js(f"window.__screen.slice({mark})")):
                    assert time.monotonic() < end, "the focus never moved to the PIN field"
                    await asyncio.sleep(0.05)
                for ch in pin:
                    await key(ch, ord(ch), ch, f"Digit{ch}")
                await key("Enter", 13, "\r")  # sign in
                visits = web.visits
                await screen_shows("今日业务", "李强", visits.done, visits.failed, visits.open)
                await asyncio.sleep(1.0)  # let xterm paint the rest before the picture
                term = str(await cdp.js("document.getElementById('terminal').className"))
                resources = await cdp.js(
                    "performance.getEntriesByType('resource').map(e => e.name)"
                )
                shot = await cdp.call("Page.captureScreenshot", format="png")
                return (
                    signin,
                    str(await cdp.js("document.body.className")),
                    term,
                    list(resources or []),
                    base64.b64decode(shot["data"]),
                )

        signin, body, term, resources, png = asyncio.run(check())
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
    shot_path = tmp_path / "web-view.png"
    shot_path.write_bytes(png)
    assert "-first-byte" in signin, f"the console never drew in the page (body {signin!r})"
    assert "-closed" not in body
    assert "-connected" in term
    assert resources and all(r.startswith(web.url) for r in resources), resources
    assert png.startswith(b"\x89PNG") and len(png) > 20_000, shot_path
    with Store.open(web.visits.database) as store:
        rows = [e for e in audit.entries(store.db) if e.action == SIGN_IN]
    assert rows and rows[-1].staff_no == SUPERVISOR[0] and rows[-1].outcome == "done"
    assert json.loads(rows[-1].after or "{}")["via"] == "web"
    wait_until(lambda: web.log_text().count("supervisor session opened") >= 1, 5, "the log")


def test_sessions_beyond_the_cap_are_refused(web: WebView) -> None:
    async def sessions() -> int:
        url = web.url.replace("http", "ws") + "/ws?width=80&height=24"
        async with (
            aiohttp.ClientSession(headers=_basic("supervisor", web.token)) as http,
            http.ws_connect(url),
            http.ws_connect(url),
        ):
            try:
                async with http.ws_connect(url):
                    return 101
            except aiohttp.WSServerHandshakeError as e:
                return e.status

    # earlier tests' sessions end asynchronously: wait until the server has counted them out
    wait_until(
        lambda: web.log_text().count("session opened") == web.log_text().count("session closed"),
        15,
        "earlier sessions to close",
    )
    assert asyncio.run(sessions()) == 503
