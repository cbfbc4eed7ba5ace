"""The seal camera: frames from cv2.VideoCapture, always the newest one.

Sources (``devices.camera.source`` in kiosk.toml): a device index (``"0"``), a stream URL
(``rtsp://…``, ``http://…``), or a file: a video (``.avi`` MJPG, ``.mp4`` mp4v) or a still
image. Files are the stand-in for tests and training mode: a video replays at its own frame rate
(looping), a still image is served as a steady stream.

A grabber thread owned by :class:`OpenCVCamera` reads continuously, so :meth:`latest` is never a
stale buffered frame; it reports its state (``live``, ``no_camera``, ``lost``, ``ended``)
through a callback and reconnects a lost device or stream by itself.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from kiosk.errors import CameraError, ConfigError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class CameraState(enum.StrEnum):
    """Where the camera is; screens pick their words by this value."""

    CLOSED = "closed"
    OPENING = "opening"
    LIVE = "live"
    NO_CAMERA = "no_camera"  # never opened: no device, wrong index, missing file
    LOST = "lost"  # was live, stopped giving frames; reconnecting
    ENDED = "ended"  # a file source that does not loop reached its end


@dataclass(frozen=True)
class Frame:
    """One picture from the camera."""

    image: np.ndarray  # BGR uint8
    seq: int  # 1, 2, 3 … since open
    timestamp: float  # time.monotonic() when grabbed


@dataclass(frozen=True)
class CameraConfig:
    """How to open the camera (from kiosk.toml's ``[devices.camera]``).

    Attributes:
        source: device index, stream URL or file path.
        width, height: requested resolution (devices and streams; files keep theirs).
        exposure: ``"auto"`` or the driver's exposure value.
        loop: replay a video file from the start when it ends.
        realtime: pace a video file at its frame rate (else as fast as it decodes).
        lost_after_s: a live device giving no frame for this long is ``lost``.
        reconnect_s: wait between attempts to reopen a lost device or stream.
    """

    source: str = "0"
    width: int = 1280
    height: int = 720
    exposure: str = "auto"
    loop: bool = True
    realtime: bool = True
    lost_after_s: float = 2.0
    reconnect_s: float = 1.0


StateCallback = Callable[[CameraState, str], None]


class Camera(Protocol):
    """What the kiosk needs of a seal camera."""

    state: CameraState

    def open(self) -> None:
        """Start grabbing (returns at once; watch ``state`` or the callback)."""

    def close(self) -> None:
        """Stop grabbing and release the device."""

    def latest(self) -> Frame | None:
        """The newest frame, or None before the first."""

    def wait_frame(self, after_seq: int = 0, timeout: float = 2.0) -> Frame:
        """The first frame newer than ``after_seq``; CameraError when none comes in time."""


class VideoSource(Protocol):
    """What the grabber uses of a capture: ``cv2.VideoCapture``, or a test's unplugged device."""

    def isOpened(self) -> bool:  # cv2's name
        """Whether the source opened."""

    def set(self, prop: int, value: float) -> bool:
        """Set a capture property (cv2.CAP_PROP_*); False when the driver refuses."""

    def get(self, prop: int) -> float:
        """A capture property (cv2.CAP_PROP_*)."""

    def read(self) -> tuple[bool, cv2.typing.MatLike | None]:
        """The next frame: (ok, image)."""

    def release(self) -> None:
        """Close the source."""


def open_video(target: int | str) -> VideoSource:
    """Open a device index, stream URL or video file with OpenCV."""
    # One call per branch: cv2's stubs type the index and the file-name constructors apart.
    if isinstance(target, int):
        return cv2.VideoCapture(target)
    return cv2.VideoCapture(target)


def parse_source(source: str) -> tuple[str, int | str]:
    """Classify a source string: ("device", index), ("stream", url), ("image"|"video", path)."""
    s = source.strip()
    if s.isdigit():
        return "device", int(s)
    if "://" in s:
        return "stream", s
    kind = "image" if Path(s).suffix.lower() in IMAGE_SUFFIXES else "video"
    return kind, s


class OpenCVCamera:
    """A camera through cv2.VideoCapture with a grabber thread that keeps the newest frame.

    Args:
        config: source and capture settings.
        on_state: called from the grabber thread with (state, message) on every change.
        capture_factory: makes the capture for a source (cv2.VideoCapture; a seam for tests of
            a device that is unplugged while live, which no file can do).
    """

    backend = "opencv"
    can_set_resolution = True
    can_set_exposure = True

    def __init__(
        self,
        config: CameraConfig,
        on_state: StateCallback | None = None,
        *,
        capture_factory: Callable[[int | str], VideoSource] = open_video,
    ):
        self.config = config
        self._capture_factory = capture_factory
        self.kind, self.target = parse_source(config.source)
        self.state = CameraState.CLOSED
        self.message = ""
        self.fps: float = 0.0
        self._on_state = on_state
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._seq = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # -- public -------------------------------------------------------------------------------
    def open(self) -> None:
        """Start the grabber thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_state(CameraState.OPENING, f"opening {self.config.source}")
        self._thread = threading.Thread(target=self._run, name="camera-grabber", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and release the capture."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._set_state(CameraState.CLOSED, "closed")

    def __enter__(self) -> OpenCVCamera:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def latest(self) -> Frame | None:
        """The newest frame grabbed, or None."""
        with self._cond:
            return self._frame

    def wait_frame(self, after_seq: int = 0, timeout: float = 2.0) -> Frame:
        """Block until a frame newer than ``after_seq`` arrives.

        Raises:
            CameraError: ``camera.no_camera``, ``camera.lost``, ``camera.ended`` or
                ``camera.timeout``, with what to do next.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._frame is not None and self._frame.seq > after_seq:
                    return self._frame
                if self.state in (CameraState.NO_CAMERA, CameraState.ENDED, CameraState.CLOSED):
                    raise self._state_error()
                left = deadline - time.monotonic()
                if left <= 0:
                    if self.state == CameraState.LOST:
                        raise self._state_error()
                    raise CameraError(
                        f"no picture from the camera within {timeout:.1f} s",
                        code="camera.timeout",
                    )
                self._cond.wait(left)

    # -- thread -------------------------------------------------------------------------------
    def _state_error(self) -> CameraError:
        words = {
            CameraState.NO_CAMERA: "no camera: check the cable and devices.camera.source",
            CameraState.LOST: "the camera stopped sending pictures; reconnecting",
            CameraState.ENDED: "the video file has ended",
            CameraState.CLOSED: "the camera is closed",
        }
        msg = words.get(self.state, "camera not ready")
        if self.message:
            msg = f"{msg} ({self.message})"
        return CameraError(msg, code=f"camera.{self.state.value}")

    def _set_state(self, state: CameraState, message: str) -> None:
        with self._cond:
            changed = state != self.state
            self.state, self.message = state, message
            self._cond.notify_all()
        if changed and self._on_state is not None:
            self._on_state(state, message)

    def _publish(self, image: np.ndarray) -> None:
        with self._cond:
            self._seq += 1
            self._frame = Frame(image, self._seq, time.monotonic())
            self._cond.notify_all()
        if self.state != CameraState.LIVE:
            self._set_state(CameraState.LIVE, f"{image.shape[1]}×{image.shape[0]}")

    def _open_capture(self) -> VideoSource | None:
        if self.kind == "video" and not Path(str(self.target)).is_file():
            self._set_state(CameraState.NO_CAMERA, f"file not found: {self.target}")
            return None
        cap = self._capture_factory(self.target)
        if not cap.isOpened():
            cap.release()
            return None
        if self.kind in ("device", "stream"):
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if self.config.exposure != "auto":
                try:
                    cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 1)  # V4L2: 1 = manual
                    cap.set(cv2.CAP_PROP_EXPOSURE, float(self.config.exposure))
                except ValueError:
                    pass  # validated in kiosk.toml; a driver that refuses keeps its own
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 1.0 <= fps <= 240.0 else 25.0
        return cap

    def _run(self) -> None:
        try:
            if self.kind == "image":
                self._run_image()
            else:
                self._run_capture()
        except Exception as e:  # report, never swallow: the state says what happened
            self.error = e
            self._set_state(CameraState.LOST, f"grabber failed: {e}")

    def _run_image(self) -> None:
        from hardware.seal.image import load_image

        try:
            image = load_image(str(self.target))
        except Exception as e:
            self._set_state(CameraState.NO_CAMERA, str(e))
            return
        self.fps = 10.0
        while not self._stop.is_set():
            self._publish(image)
            self._stop.wait(1.0 / self.fps)

    def _run_capture(self) -> None:
        cap: VideoSource | None = None
        was_live = False
        last_ok = time.monotonic()
        next_due = time.monotonic()
        try:
            while not self._stop.is_set():
                if cap is None:
                    cap = self._open_capture()
                    if cap is None:
                        if self.state == CameraState.NO_CAMERA and self.kind == "video":
                            return
                        state = CameraState.LOST if was_live else CameraState.NO_CAMERA
                        self._set_state(state, f"cannot open {self.config.source}")
                        if self.kind == "video":
                            return
                        self._stop.wait(self.config.reconnect_s)
                        continue
                    last_ok = next_due = time.monotonic()
                ok, image = cap.read()
                if ok and image is not None:
                    was_live = True
                    last_ok = time.monotonic()
                    self._publish(image)
                    if self.kind == "video" and self.config.realtime:
                        next_due += 1.0 / self.fps
                        self._stop.wait(max(0.0, next_due - time.monotonic()))
                    continue
                if self.kind == "video":
                    if self.config.loop and was_live:
                        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        ok2, image = cap.read()
                        if ok2 and image is not None:
                            self._publish(image)
                            continue
                    self._set_state(CameraState.ENDED, f"end of {self.config.source}")
                    return
                if time.monotonic() - last_ok > self.config.lost_after_s:
                    self._set_state(CameraState.LOST, f"no frame for {self.config.lost_after_s} s")
                    cap.release()
                    cap = None
                    self._stop.wait(self.config.reconnect_s)
                else:
                    self._stop.wait(0.01)
        finally:
            if cap is not None:
                cap.release()


BACKENDS: dict[str, type[OpenCVCamera]] = {"opencv": OpenCVCamera}


def make_camera(
    backend: str, config: CameraConfig, on_state: StateCallback | None = None
) -> OpenCVCamera:
    """Build the camera named in kiosk.toml.

    Raises:
        ConfigError: unknown backend; the message lists the known ones.
    """
    try:
        cls = BACKENDS[backend]
    except KeyError:
        raise ConfigError(
            f"devices.camera.backend: unknown camera backend {backend!r}; known: "
            f"{', '.join(sorted(BACKENDS))}",
            code="config.camera_backend",
        ) from None
    return cls(config, on_state)


def config_from_settings(settings: object, *, source: str | None = None) -> CameraConfig:
    """A CameraConfig from kiosk.config's ``CameraSettings`` (``source`` overrides)."""
    return CameraConfig(
        source=source if source is not None else str(getattr(settings, "source", "0")),
        width=int(getattr(settings, "width", 1280)),
        height=int(getattr(settings, "height", 720)),
        exposure=str(getattr(settings, "exposure", "auto")),
    )
