"""``kiosk serve-web``: the kiosk in a supervisor's browser (textual-serve), token-protected.

Each browser session runs its own kiosk process with this command's ``--config``,
``--data-dir`` and ``--training``: a second screen on the same data, not a mirror of the counter's.
Bound to loopback by default; reach it from another machine through an SSH tunnel
(``ssh -L 8765:127.0.0.1:8765 kiosk@counter``) rather than binding it to the network.
"""

from __future__ import annotations

import shlex
import sys

import click

from kiosk.cli import CliContext


def kiosk_command(obj: CliContext) -> str:
    """The shell command each browser session runs: this kiosk, with the same global options."""
    args = [sys.executable, "-m", "kiosk"]
    if obj.config_path is not None:
        args += ["--config", str(obj.config_path.resolve())]
    args += ["--data-dir", str(obj.paths().root.resolve())]
    if obj.training:
        args.append("--training")
    return shlex.join(args)


@click.command("serve-web")
@click.option(
    "--bind",
    default="127.0.0.1:8765",
    show_default=True,
    help="HOST:PORT to listen on (keep it on loopback; tunnel to reach it).",
)
@click.option(
    "--public-url",
    default=None,
    help="The address the browser uses, when it differs from --bind (a tunnel's local port).",
)
@click.option("--show-token", is_flag=True, help="Print the supervisor token and exit.")
@click.pass_obj
def serve_web(obj: CliContext, bind: str, public_url: str | None, show_token: bool) -> None:
    """Serve the kiosk screen to a supervisor's browser (supervisor token required)."""
    from kiosk.web import load_or_create_token, make_server, parse_bind, token_check

    host, port = parse_bind(bind)
    token, path, created = load_or_create_token(obj.paths().base)
    if show_token:
        click.echo(token)
        return
    if created:
        click.echo(f"A new supervisor token was written to {path} (mode 0600).")
    url = public_url or f"http://{host}:{port}"
    click.echo(
        f"Supervisor view on {url}/ : open {url}/?token=<token from {path}> once, "
        "or sign in with any user name and the token as password."
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}, not loopback; plain HTTP.", err=True)
    server = make_server(kiosk_command(obj), host, port, token_check(token), public_url=url)
    server.serve()
