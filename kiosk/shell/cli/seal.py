"""``kiosk seal``: check a seal imprint photo, extract the electronic seal.

Exit status of ``check``: 0 the imprint passes, 1 it fails (reasons named), 2 the input is
unusable (not an image, truncated, too large, black, no scale) or an option is wrong.
The group is shared: the keys area adds ``kiosk seal verify`` (SESeal ASN.1) to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.errors import KioskError, SealError

if TYPE_CHECKING:
    from hardware.seal import RuleTable


def _rules() -> RuleTable:
    from hardware.seal import RuleTable

    return RuleTable.load()


def _default_px_per_mm(ctx: click.Context) -> float | None:
    """kiosk.toml's ``devices.camera.px_per_mm`` (0 there means: use the mat's markers)."""
    obj = ctx.find_root().obj
    settings = getattr(obj, "settings", None)
    if settings is None:
        return None
    value = settings().devices.camera.px_per_mm
    return value if value > 0 else None


def _fail_input(ctx: click.Context, e: KioskError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"verdict": "unusable", "error": e.code, "message": e.message}))
    click.echo(f"error: {e.message}", err=True)
    ctx.exit(2)


@click.group("seal")
def seal() -> None:
    """Seal imprints (印模): check a photo against the rules, extract the electronic seal."""


@seal.command("check")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--unit-type",
    default="enterprise",
    show_default=True,
    help="单位性质: enterprise, institution, social_org, people_org, state_organ_*, other.",
)
@click.option("--seal-type", default="official", show_default=True, help="official, contract, …")
@click.option("--px-per-mm", type=click.FloatRange(0.5, 200), help="Scale (else kiosk.toml/mat).")
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
@click.pass_context
def check(
    ctx: click.Context,
    image: Path,
    unit_type: str,
    seal_type: str,
    px_per_mm: float | None,
    as_json: bool,
) -> None:
    """Measure the seal imprint in IMAGE and judge it (exit 0 pass, 1 fail, 2 unusable)."""
    import time

    from hardware.seal import check_frame, load_image

    table = _rules()
    if unit_type not in table.unit_types:
        raise click.BadParameter(
            f"{unit_type!r}; choose from: {', '.join(table.unit_types)}", param_hint="--unit-type"
        )
    try:
        rule = table.find(unit_type, seal_type)
    except KioskError as e:
        raise click.BadParameter(e.message, param_hint="--seal-type") from e
    t0 = time.perf_counter()
    try:
        frame = load_image(image)
        scale = px_per_mm if px_per_mm is not None else _default_px_per_mm(ctx)
        res, _ = check_frame(frame, scale, rule)
    except SealError as e:
        _fail_input(ctx, e, as_json)
        return
    total_ms = round((time.perf_counter() - t0) * 1000, 1)
    if as_json:
        out = res.to_json()
        out["total_ms"] = total_ms
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(f"verdict: {res.verdict}" + (" (borderline)" if res.borderline else ""))
        if res.reasons:
            click.echo(f"reasons: {', '.join(res.reasons)}")
        if res.borderline_metrics:
            click.echo(f"borderline: {', '.join(res.borderline_metrics)}")
        for label, value in (
            ("seals found", res.count),
            ("shape", res.shape),
            ("diameter", f"{res.diameter_mm} mm" if res.diameter_mm else None),
            ("axes", f"{res.axes_mm[0]} × {res.axes_mm[1]} mm" if res.axes_mm else None),
            ("deformation (axis ratio)", res.deformation),
            ("border edge width", f"{res.edge_width_mm} mm" if res.edge_width_mm else None),
            ("completeness", res.completeness),
            ("longest gap", f"{res.max_gap_deg}°" if res.max_gap_deg is not None else None),
            ("ink strength", res.ink),
            ("central star", res.star),
            ("rotation", f"{res.rotation_deg}°" if res.rotation_deg is not None else None),
            ("scale", f"{res.px_per_mm:.3f} px/mm ({res.scale_source})"),
            ("rule", res.rule),
            ("analysis", f"{res.elapsed_ms} ms"),
        ):
            if value is not None:
                click.echo(f"  {label}: {value}")
        for note in res.notes:
            click.echo(f"  note: {note}")
    ctx.exit(0 if res.verdict == "pass" else 1)


@seal.command("extract")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PNG to write (its size in mm goes to the .json beside it).",
)
@click.option("--px-per-mm", type=click.FloatRange(0.5, 200), help="Scale (else kiosk.toml/mat).")
@click.pass_context
def extract(ctx: click.Context, image: Path, output: Path, px_per_mm: float | None) -> None:
    """Cut the seal out of IMAGE: red on transparent, upright, 300 dpi, size in mm beside it."""
    from hardware.seal import check_frame, load_image
    from hardware.seal.extract import extract_seal

    try:
        frame = load_image(image)
        scale = px_per_mm if px_per_mm is not None else _default_px_per_mm(ctx)
        res, measured = check_frame(frame, scale, None)
    except SealError as e:
        _fail_input(ctx, e, False)
        return
    try:
        seal_img = extract_seal(measured, res)
        meta_path = seal_img.save(output)
    except SealError as e:
        click.echo(f"error: {e.message}", err=True)
        ctx.exit(1)
    click.echo(
        f"wrote {output} ({seal_img.rgba.shape[1]}×{seal_img.rgba.shape[0]} px, "
        f"{seal_img.dpi} dpi, {seal_img.picture_width_mm} × {seal_img.picture_height_mm} mm) and "
        f"{meta_path}: {seal_img.shape}, seal {seal_img.width_mm} × {seal_img.height_mm} mm, "
        f"turned {seal_img.rotation_corrected_deg}° upright"
    )
    if res.verdict != "pass":
        click.echo(
            f"warning: the imprint does not pass the check ({', '.join(res.reasons)})", err=True
        )


@seal.command("preview")
@click.option("--source", help="Camera source (index, URL or file); default kiosk.toml's.")
@click.option("--px-per-mm", type=click.FloatRange(0.5, 200), help="Scale (else kiosk.toml/mat).")
@click.option("--unit-type", default="enterprise", show_default=True)
@click.option("--seal-type", default="official", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the accepted seal here (PNG, and its size in mm as .json beside it).",
)
@click.pass_context
def preview(
    ctx: click.Context,
    source: str | None,
    px_per_mm: float | None,
    unit_type: str,
    seal_type: str,
    output: Path | None,
) -> None:
    """Open the seal screen on the camera: live check, capture, retake, accept.

    For staff setting up the camera and light. In training mode (--training) without --source
    the sample camera video plays. Exit 0 when an imprint was accepted, 1 when closed without.
    """
    from textual.app import App

    from kiosk.seal.station import SealStation
    from kiosk.seal.view import SealAcceptance
    from screens.seal import SealScreen

    obj = ctx.find_root().obj
    try:
        if source is None and obj is not None and obj.training:
            station = SealStation.for_training(unit_type, seal_type)
        else:
            cam_settings = obj.settings().devices.camera if obj is not None else None
            station = SealStation.from_settings(cam_settings, unit_type, seal_type, source=source)
    except KioskError as e:
        raise click.BadParameter(e.message) from e
    if px_per_mm is not None:
        station.px_per_mm = px_per_mm

    class PreviewApp(App[SealAcceptance | None]):
        TITLE = "印模检查 Seal check"
        BINDINGS = [("ctrl+q", "quit", "退出 Quit")]  # noqa: RUF012

        def on_mount(self) -> None:
            self.push_screen(SealScreen(station), self.exit)

    acceptance = PreviewApp().run()
    if acceptance is None:
        click.echo("closed without accepting an imprint")
        ctx.exit(1)
    a = acceptance.check.analysis
    click.echo(json.dumps(a.to_json(), ensure_ascii=False))
    if output is not None and acceptance.seal is not None:
        meta = acceptance.seal.save(output)
        click.echo(f"wrote {output} and {meta}")


def _attach_verify() -> None:
    """``kiosk seal verify`` (the keys area's SESeal check) lives in its own module."""
    from kiosk.shell.cli.sealverify import verify

    seal.add_command(verify)


_attach_verify()
