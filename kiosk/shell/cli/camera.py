"""``kiosk camera``: calibrate the seal camera's scale on the capture mat."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.errors import CameraError


@click.group("camera")
def camera() -> None:
    """The seal camera."""


@camera.command("calibrate")
@click.option("--source", help="Camera source (index, URL or file); default kiosk.toml's.")
@click.option(
    "--mat-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the capture mat as a 300 dpi PNG to print (A5 landscape, 100% scale).",
)
@click.option("--frames", default=15, show_default=True, type=click.IntRange(1, 500))
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(0.1, 60))
@click.pass_context
def calibrate(
    ctx: click.Context, source: str | None, mat_out: Path | None, frames: int, timeout: float
) -> None:
    """Measure pixels per millimetre from the capture mat's markers, for kiosk.toml."""
    import statistics

    import cv2

    # Imported here: OpenCV and numpy load only to calibrate.
    from hardware.camera import OpenCVCamera, config_from_settings
    from hardware.seal.mat import MatSpec, measure_scale, render_mat

    spec = MatSpec()
    click.echo(
        f"capture mat: {spec.width_mm:.0f} × {spec.height_mm:.0f} mm, four ArUco 4x4_50 markers "
        f"(ids {', '.join(map(str, spec.ids))}) of {spec.marker_mm:.0f} mm, "
        f"{spec.margin_mm:.0f} mm in from each corner; print at 100% scale"
    )
    if mat_out is not None:
        if not cv2.imwrite(str(mat_out), render_mat(spec)):
            raise CameraError(f"cannot write {mat_out}", code="camera.write_failed")
        click.echo(f"wrote the mat to print: {mat_out} (300 dpi)")
    obj = ctx.find_root().obj
    cam_settings = obj.settings().devices.camera if obj is not None else None
    cfg = config_from_settings(cam_settings, source=source)
    found = []
    with OpenCVCamera(cfg) as cam:
        seq = 0
        for _ in range(frames):
            frame = cam.wait_frame(seq, timeout=timeout)
            seq = frame.seq
            scale = measure_scale(frame.image, spec)
            if scale is not None:
                found.append(scale)
    if not found:
        click.echo(
            f"error: the mat's four markers were not seen in {frames} frames from "
            f"{cfg.source}: lay the mat flat under the camera, all four corners in view",
            err=True,
        )
        ctx.exit(1)
    ppm = statistics.median(s.px_per_mm for s in found)
    tilt = statistics.median(s.tilt for s in found)
    click.echo(
        f"measured: {ppm:.3f} px/mm on the mat ({len(found)}/{frames} frames), tilt {tilt:.3f}"
    )
    if tilt > 1.03:
        click.echo(
            "warning: the camera is not square to the mat (tilt over 3%); a fixed scale will "
            "misjudge sizes: keep the markers in view instead (px_per_mm = 0)",
            err=True,
        )
    click.echo("set in kiosk.toml:\n  [devices.camera]\n  px_per_mm = " + f"{ppm:.3f}")
