"""The seal camera against its real stand-in: video and image files through cv2.VideoCapture."""

from __future__ import annotations

import threading

import cv2
import pytest
from click.testing import CliRunner

from hardware.camera import CameraConfig, CameraState, OpenCVCamera, make_camera, parse_source
from hardware.seal.mat import render_mat
from hardware.sim.seal_samples import sample, training_video
from kiosk.errors import CameraError, ConfigError
from kiosk.shell.cli import cli


def test_sources_are_classified():
    assert parse_source("0") == ("device", 0)
    assert parse_source("rtsp://127.0.0.1/cam") == ("stream", "rtsp://127.0.0.1/cam")
    assert parse_source("a/b.jpg")[0] == "image"
    assert parse_source("a/b.mp4")[0] == "video"


def test_video_file_gives_newest_frames_and_loops():
    states = []
    cfg = CameraConfig(source=str(training_video()), realtime=False, loop=True)
    with OpenCVCamera(cfg, on_state=lambda s, m: states.append(s)) as cam:
        f = cam.wait_frame(0, timeout=5)
        assert f.image.shape == (540, 960, 3)
        # more frames than the file has: it loops
        seq = f.seq
        while seq < 45:
            seq = cam.wait_frame(seq, timeout=5).seq
        assert cam.state == CameraState.LIVE
        assert cam.latest().seq >= 45
    assert states[:2] == [CameraState.OPENING, CameraState.LIVE]
    assert states[-1] == CameraState.CLOSED


def test_video_that_does_not_loop_ends_with_a_named_state():
    ended = threading.Event()
    cfg = CameraConfig(source=str(training_video()), realtime=False, loop=False)
    cam = OpenCVCamera(cfg, on_state=lambda s, m: s == CameraState.ENDED and ended.set())
    cam.open()
    try:
        assert ended.wait(10)
        with pytest.raises(CameraError) as e:
            cam.wait_frame(10_000, timeout=1)
        assert e.value.code == "camera.ended"
    finally:
        cam.close()


def test_image_file_is_a_steady_stream():
    with OpenCVCamera(CameraConfig(source=str(sample("good.jpg")))) as cam:
        a = cam.wait_frame(0, timeout=5)
        b = cam.wait_frame(a.seq, timeout=5)
        assert b.seq > a.seq and b.image.shape == (720, 1280, 3)


def test_missing_file_is_no_camera(tmp_path):
    with OpenCVCamera(CameraConfig(source=str(tmp_path / "none.mp4"))) as cam:
        with pytest.raises(CameraError) as e:
            cam.wait_frame(0, timeout=5)
        assert e.value.code == "camera.no_camera"
        assert "file not found" in e.value.message


def test_absent_device_is_no_camera_and_keeps_trying():
    cfg = CameraConfig(source="97", reconnect_s=0.05)
    with OpenCVCamera(cfg) as cam:
        with pytest.raises(CameraError) as e:
            cam.wait_frame(0, timeout=3)
        assert e.value.code in ("camera.no_camera", "camera.timeout")
        assert cam.state == CameraState.NO_CAMERA


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ConfigError, match="opencv"):
        make_camera("gstreamer", CameraConfig())


def test_calibrate_measures_the_mat(tmp_path):
    # The mat photographed square-on at 6 px/mm (a file as the camera).
    mat = render_mat(px_per_mm=6.0)
    frame = cv2.copyMakeBorder(mat, 40, 40, 60, 60, cv2.BORDER_CONSTANT, value=(90, 100, 110))
    src = tmp_path / "mat.png"
    cv2.imwrite(str(src), frame)
    printable = tmp_path / "print.png"
    r = CliRunner().invoke(
        cli,
        ["camera", "calibrate", "--source", str(src), "--frames", "3", "--mat-out", str(printable)],
    )
    assert r.exit_code == 0, r.output
    assert "capture mat: 160 × 100 mm" in r.output
    line = next(x for x in r.output.splitlines() if x.startswith("measured:"))
    assert abs(float(line.split()[1]) - 6.0) < 0.03
    assert "px_per_mm = 6.0" in r.output
    assert cv2.imread(str(printable)).shape[1] == round(160 * 300 / 25.4)


def test_calibrate_without_the_mat_fails_with_one_line(tmp_path):
    r = CliRunner().invoke(
        cli, ["camera", "calibrate", "--source", str(sample("good.jpg")), "--frames", "2"]
    )
    assert r.exit_code == 1
    assert "markers were not seen" in r.output


class FlakyDevice:
    """A device that gives frames, then nothing (unplugged), as cv2.VideoCapture would."""

    plugged = True

    def __init__(self, _target):
        self.opened = FlakyDevice.plugged

    def isOpened(self):
        return self.opened

    def set(self, *_a):
        return True

    def get(self, _prop):
        return 0.0

    def read(self):
        if FlakyDevice.plugged and self.opened:
            return True, cv2.imread(str(sample("good.jpg")))
        return False, None

    def release(self):
        self.opened = False


def test_unplugged_device_is_lost_then_back_when_replugged():
    changes: list[CameraState] = []
    lost, back = threading.Event(), threading.Event()

    def on_state(state, _msg):
        changes.append(state)
        if state == CameraState.LOST:
            lost.set()
        if state == CameraState.LIVE and lost.is_set():
            back.set()

    FlakyDevice.plugged = True
    cfg = CameraConfig(source="0", lost_after_s=0.2, reconnect_s=0.05)
    with OpenCVCamera(cfg, on_state, capture_factory=FlakyDevice) as cam:
        first = cam.wait_frame(0, timeout=5)
        FlakyDevice.plugged = False
        assert lost.wait(5)
        with pytest.raises(CameraError) as e:
            cam.wait_frame(cam.latest().seq, timeout=0.3)
        assert e.value.code == "camera.lost"
        FlakyDevice.plugged = True
        assert back.wait(5)
        assert cam.wait_frame(first.seq, timeout=5).seq > first.seq
    assert changes[:2] == [CameraState.OPENING, CameraState.LIVE]
    assert CameraState.LOST in changes
