"""Frames from a camera, a video file or a folder of images, each stamped with the source's own time.

The mood tracker runs on the source's clock, not the wall clock, so a file gives the same
moods whether it is processed flat out or played at its own pace (``realtime``). A camera
is read by a thread of its own on "latest frame wins" terms: when the session falls
behind, old frames are dropped (and counted) rather than queued, so what is analysed is
never seconds late. A realtime file drops the same way.

Frames come out of `Source.frames` in buffers that are reused for later frames: a frame
is valid until the next one is asked for, which keeps the hot path free of a fresh
640x360 array per frame.
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, Protocol

import cv2
import numpy as np

from config.errors import UserError
from recognizer.preprocess import IMAGE_SUFFIXES

#: Frames per second given to a folder of images, whose files carry no timestamps.
IMAGE_FOLDER_FPS = 10.0
#: Used for a video whose container states no frame rate.
FALLBACK_FPS = 30.0
#: A camera that delivers nothing for this long has stopped (unplugged, taken by another program).
CAMERA_STALL_S = 5.0
# How often a wait for the camera looks at the stop request.
_POLL_S = 0.1


class SourceError(UserError):
    """The source cannot be opened or read; the message says what to pass instead."""


class Frame(NamedTuple):
    t: float  # seconds on the source's timeline
    image: np.ndarray  # BGR; reused by the source once the next frame is asked for


class Source(Protocol):
    #: What the session row records as its source: "camera 0" or the file's path.
    label: str
    #: Frames skipped without analysis: dropped to keep up, or images that could not be read.
    dropped: int
    #: Why `frames` stopped, once it has; None while frames are coming.
    end_reason: str | None

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        """Frames until the source ends or ``stop`` is set; can be iterated once."""
        ...

    def close(self) -> None:
        ...


def open_source(spec: str, *, realtime: bool = False, loop: bool = False) -> Source:
    """``--source``: digits are a camera index, anything else a video file or a folder of images.

    ``loop`` restarts a video at its end with time running on (benchmarks and `make run` use
    it to make a long stream out of a short clip).
    """
    if spec.strip().isdigit():
        if realtime:
            raise SourceError("--realtime paces a video file or image folder; a camera is always live")
        if loop:
            raise SourceError("--loop plays a video file again; a camera is always live")
        return CameraSource(int(spec))
    path = Path(spec).expanduser()
    if not path.exists():
        raise SourceError(f"{spec} does not exist; --source takes a camera index (0, 1, ...), a video file "
                          "or a folder of images")
    if path.is_dir():
        if loop:
            raise SourceError("--loop plays a video file again; a folder of images is played once")
        return ImageFolderSource(path, realtime=realtime)
    return VideoSource(path, realtime=realtime, loop=loop)


@contextmanager
def _opencv_quiet() -> Iterator[None]:
    """Silence OpenCV's own log lines ("can't open camera by index") while probing a device:
    the person gets our one-line error instead of three lines of backend chatter."""
    previous = cv2.setLogLevel(0)
    try:
        yield
    finally:
        cv2.setLogLevel(previous)


def _quiet_ffmpeg() -> None:
    """FFmpeg reads its log level once, on OpenCV's first use of it; a damaged file is then
    reported by the end reason rather than by decoder messages in the middle of the dashboard.
    A level the person set themselves (to debug a file) wins."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET


class CameraSource:
    """A webcam read by a background thread into three rotating buffers (capture, latest, in use)."""

    def __init__(self, index: int) -> None:
        with _opencv_quiet():
            capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"cannot open camera {index} (there is none at that index, or another program "
                              "is using it); to analyse a recording, pass --source FILE")
        self.label = f"camera {index}"
        self.dropped = 0
        self.end_reason: str | None = None
        self._capture = capture
        self._ready = threading.Condition()
        self._latest: np.ndarray | None = None
        self._latest_t = 0.0
        self._fresh = False
        self._failed: str | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._capture_loop, name="camera", daemon=True)

    def _capture_loop(self) -> None:
        writing: np.ndarray | None = None
        start: float | None = None
        while not self._closing:
            try:
                ok, image = self._capture.read(writing)
            except cv2.error as error:
                ok, failure = False, f"the camera failed: {str(error).strip().splitlines()[-1]}"
            else:
                failure = "the camera stopped delivering frames"
            now = time.monotonic()
            with self._ready:
                if not ok:
                    self._failed = failure
                    self._ready.notify()
                    return
                start = now if start is None else start
                if self._fresh:
                    self.dropped += 1
                writing, self._latest = self._latest, image
                self._latest_t, self._fresh = now - start, True
                self._ready.notify()

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        self._thread.start()
        in_use: np.ndarray | None = None
        last_frame = time.monotonic()
        while not stop.is_set():
            with self._ready:
                self._ready.wait_for(lambda: self._fresh or self._failed is not None, timeout=_POLL_S)
                if self._fresh and self._latest is not None:
                    # The buffer handed out last time goes back to the capture thread.
                    in_use, self._latest = self._latest, in_use
                    frame, self._fresh = Frame(self._latest_t, in_use), False
                elif self._failed is not None:
                    self.end_reason = self._failed
                    return
                elif time.monotonic() - last_frame > CAMERA_STALL_S:
                    self.end_reason = f"the camera delivered no frame for {CAMERA_STALL_S:g} s"
                    return
                else:
                    continue
            last_frame = time.monotonic()
            yield frame

    def close(self) -> None:
        self._closing = True
        if self._thread.is_alive():
            self._thread.join(timeout=1.0)  # a read blocks at most a frame interval on a working camera
        if not self._thread.is_alive():  # releasing under a read still blocked in the driver could crash it
            self._capture.release()


class _Recording(ABC):
    """What a video file and an image folder share: flat-out or paced playback of timestamped frames.

    Subclasses split reading into `_grab` (advance, return the frame's time) and `_retrieve`
    (decode), so a paced source that has fallen behind skips frames without decoding them.
    """

    label: str
    fps: float

    def __init__(self, realtime: bool) -> None:
        self.realtime = realtime
        self.dropped = 0
        self.end_reason: str | None = None

    @abstractmethod
    def _grab(self) -> float | None:
        """Move to the next frame and return its time; None when there is none."""

    @abstractmethod
    def _retrieve(self) -> np.ndarray | None:
        """Decode the frame `_grab` moved to; None when it cannot be decoded."""

    @abstractmethod
    def _finished(self) -> str:
        """The end reason once `_grab` has run out."""

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        """Every frame as fast as they decode, or, when realtime, each at its time with stale ones dropped."""
        interval = 1.0 / self.fps
        clock_offset: float | None = None  # wall clock minus source time at the first frame
        while not stop.is_set():
            t = self._grab()
            if t is None:
                self.end_reason = self._finished()
                return
            if self.realtime:
                if clock_offset is None:
                    clock_offset = time.monotonic() - t
                ahead = t - (time.monotonic() - clock_offset)
                if ahead > 0:
                    if stop.wait(ahead):
                        return
                elif -ahead > interval:  # the next frame is already due: this one is stale
                    self.dropped += 1
                    continue
            image = self._retrieve()
            if image is None:
                self.dropped += 1
                continue
            yield Frame(t, image)


class VideoSource(_Recording):
    """A video file decoded by OpenCV's FFmpeg backend; time is each frame's timestamp in the file."""

    def __init__(self, path: Path, *, realtime: bool = False, loop: bool = False) -> None:
        super().__init__(realtime)
        self.path, self.label, self.loop = path, str(path.resolve()), loop
        self._capture = self._open()
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps > 0 else FALLBACK_FPS  # NaN compares False too
        self.expected = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        # One frame is decoded now, so a file that opens but holds no readable frame is
        # refused before a session is recorded for it.
        if not self._capture.grab():
            self._capture.release()
            raise SourceError(f"{path} holds no frame that can be decoded (damaged or not a video?)")
        self._pending = True  # that first frame is grabbed but not yet handed out
        self._index = 0  # frames grabbed so far in the current pass, minus one
        self._passes_t = 0.0  # time already played by earlier passes of a looped video
        self._last_t = 0.0
        self._buffer: np.ndarray | None = None

    def _open(self) -> cv2.VideoCapture:
        _quiet_ffmpeg()
        if not os.access(self.path, os.R_OK):
            raise SourceError(f"cannot read {self.path}: permission denied")
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"{self.path} is not a video OpenCV can read (damaged, truncated or another format)")
        return capture

    def _grab(self) -> float | None:
        if self._pending:
            self._pending = False
        elif self._capture.grab():
            self._index += 1
        elif self.loop and self._index > 0:
            self._capture.release()
            self._capture = self._open()
            self._passes_t = self._last_t + 1.0 / self.fps
            self._index = 0
            if not self._capture.grab():
                return None
        else:
            return None
        position = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        # Some containers report no timestamps (0 throughout): the frame's index then says when it is.
        t = position if position > 0 or self._index == 0 else self._index / self.fps
        self._last_t = self._passes_t + t
        return self._last_t

    def _retrieve(self) -> np.ndarray | None:
        ok, image = self._capture.retrieve(self._buffer)
        if not ok:
            return None
        self._buffer = image
        return image

    def _finished(self) -> str:
        read = self._index + 1
        if self.expected and not self.loop and read < self.expected - 1:  # counts from headers may be off by one
            return f"the video stopped after {read} of {self.expected} frames (truncated or damaged file)"
        return "end of the video"

    def close(self) -> None:
        self._capture.release()


class ImageFolderSource(_Recording):
    """The images of a folder in name order, one every 1/IMAGE_FOLDER_FPS seconds; unreadable ones are skipped."""

    def __init__(self, folder: Path, *, realtime: bool = False) -> None:
        super().__init__(realtime)
        self.label, self.fps = str(folder.resolve()), IMAGE_FOLDER_FPS
        try:
            self._files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        except OSError as error:
            raise SourceError(f"cannot list {folder}: {error.strerror}") from None
        if not self._files:
            raise SourceError(f"{folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        # As with a video, a folder in which no image decodes is refused before a session is
        # recorded for it (decoding stops at the first image that reads).
        if not any(cv2.imread(str(path), cv2.IMREAD_REDUCED_GRAYSCALE_8) is not None for path in self._files):
            raise SourceError(f"none of the {len(self._files)} images in {folder} can be decoded (damaged or "
                              "not images?)")
        self._index = -1

    def _grab(self) -> float | None:
        self._index += 1
        return self._index / self.fps if self._index < len(self._files) else None

    def _retrieve(self) -> np.ndarray | None:
        return cv2.imread(str(self._files[self._index]), cv2.IMREAD_COLOR)

    def _finished(self) -> str:
        return "end of the image folder"

    def close(self) -> None:
        pass
