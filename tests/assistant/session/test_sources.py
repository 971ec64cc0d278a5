"""Sources: the source's own timestamps, pacing, latest-frame-wins, and how they fail."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from assistant.session import sources
from assistant.session.sources import IMAGE_FOLDER_FPS, SourceError, open_source
from tests.support import needs_shared
from tests.support.clips import clip_frames, truncated_copy, write_video

CLIP = ("videos", "neutral_to_smile.mp4")  # 72 frames at 30 fps


def timestamps(source: sources.Source, stop: threading.Event | None = None) -> list[float]:
    return [t for t, _ in source.frames(stop or threading.Event())]


def test_a_video_is_timed_by_its_own_timestamps() -> None:
    video = open_source(str(needs_shared(*CLIP)))
    ts = timestamps(video)
    assert len(ts) == 72
    assert ts == pytest.approx([k / 30 for k in range(72)], abs=1e-3)
    assert video.end_reason == "end of the video" and video.dropped == 0


def test_a_looped_video_keeps_time_running_across_passes() -> None:
    video = open_source(str(needs_shared(*CLIP)), loop=True)
    stop = threading.Event()
    ts = []
    for t, _ in video.frames(stop):
        ts.append(t)
        if len(ts) == 150:
            stop.set()
    assert ts == pytest.approx([k / 30 for k in range(150)], abs=1e-3)


def test_realtime_plays_at_the_files_pace_with_the_same_timestamps() -> None:
    video = open_source(str(needs_shared(*CLIP)), realtime=True)
    stop = threading.Event()
    seen, started = [], time.monotonic()
    for t, _ in video.frames(stop):
        seen.append(t)
        if t >= 0.5:
            stop.set()
    elapsed = time.monotonic() - started
    assert seen == pytest.approx([k / 30 for k in range(len(seen))], abs=1e-3)  # none dropped at this pace
    assert 0.45 <= elapsed < 1.5


def test_realtime_drops_stale_frames_when_the_consumer_falls_behind() -> None:
    video = open_source(str(needs_shared(*CLIP)), realtime=True)
    stop = threading.Event()
    seen = []
    for t, _ in video.frames(stop):
        seen.append(t)
        time.sleep(0.1)  # a consumer at 10 fps reading a 30 fps file
        if t >= 0.6:
            stop.set()
    assert video.dropped >= 8
    assert len(seen) < 0.6 * 30 / 2
    assert seen == sorted(seen) and seen[-1] >= 0.6


def test_a_truncated_video_ends_early_and_says_so(tmp_path: Path) -> None:
    whole = write_video(tmp_path / "whole.avi", clip_frames(CLIP[1]))
    cut = truncated_copy(whole, tmp_path / "cut.avi", 0.5)
    video = open_source(str(cut))
    ts = timestamps(video)
    assert 10 < len(ts) < 72
    assert video.end_reason == f"the video stopped after {len(ts)} of 72 frames (truncated or damaged file)"


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100, None], ids=["empty", "garbage", "mp4-cut-short"])
def test_an_unreadable_file_is_refused_with_one_line(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "clip.mp4"
    if content is None:
        truncated_copy(needs_shared(*CLIP), path, 0.5)  # its index (moov) is at the end, so nothing is left
    else:
        path.write_bytes(content)
    with pytest.raises(SourceError, match="is not a video OpenCV can read") as error:
        open_source(str(path))
    assert "\n" not in str(error.value)


def test_a_missing_path_names_what_source_takes(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist; --source takes a camera index"):
        open_source(str(tmp_path / "nope.mp4"))


def test_a_missing_camera_suggests_a_file() -> None:
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a camera at index 7")
    with pytest.raises(SourceError, match=r"cannot open camera 7 .*pass --source FILE"):
        open_source("7")


def test_realtime_is_refused_for_a_camera() -> None:
    with pytest.raises(SourceError, match="--realtime"):
        open_source("0", realtime=True)


def test_an_image_folder_is_read_in_name_order_at_a_fixed_rate(tmp_path: Path) -> None:
    frame = clip_frames(CLIP[1])[0]
    for name in ("b.png", "a.jpg", "c.jpg"):
        assert cv2.imwrite(str(tmp_path / name), frame)
    (tmp_path / "b2.jpg").write_bytes(b"broken")  # skipped and counted
    (tmp_path / "notes.txt").write_text("not an image")  # not an image name: ignored
    folder = open_source(str(tmp_path))
    ts = timestamps(folder)
    assert ts == pytest.approx([0.0, 1 / IMAGE_FOLDER_FPS, 3 / IMAGE_FOLDER_FPS])  # a.jpg, b.png, c.jpg
    assert folder.dropped == 1 and folder.end_reason == "end of the image folder"


def test_a_folder_without_images_is_refused(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(SourceError, match="holds no images"):
        open_source(str(tmp_path))


class FakeCapture:
    """A camera delivering numbered frames every ``interval`` s; after ``count`` of them it fails,
    or with ``hang`` it goes silent (as an unplugged camera can: a read that does not return)."""

    def __init__(self, index: int, *, interval: float = 0.005, count: int = 40, hang: bool = False) -> None:
        self.interval, self.count, self.hang, self.delivered = interval, count, hang, 0

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def read(self, image: np.ndarray | None = None) -> tuple[bool, np.ndarray | None]:
        time.sleep(self.interval)
        if self.delivered == self.count:
            if self.hang:
                time.sleep(2.0)
            return False, None
        self.delivered += 1
        if image is None:
            image = np.empty((4, 4, 3), np.uint8)
        image.fill(self.delivered)
        return True, image

    def release(self) -> None:
        pass


def test_a_camera_hands_over_the_latest_frame_and_counts_the_ones_it_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources.cv2, "VideoCapture", FakeCapture)
    camera = open_source("0")
    numbers, times = [], []
    for t, image in camera.frames(threading.Event()):
        value = int(image[0, 0, 0])
        time.sleep(0.03)  # slower than the camera: frames pile up behind this one
        assert (image == value).all(), "the capture thread wrote into the frame being analysed"
        numbers.append(value)
        times.append(t)
    camera.close()
    assert numbers == sorted(numbers) and len(numbers) < 40
    assert camera.dropped == numbers[-1] - len(numbers)  # every frame is either analysed or counted as dropped
    assert times == sorted(times)
    assert camera.end_reason == "the camera stopped delivering frames"


def test_a_stop_request_ends_a_waiting_camera(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: FakeCapture(index, interval=0.05, count=10**6))
    camera = open_source("0")
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    frames = sum(1 for _ in camera.frames(stop))
    camera.close()
    assert time.monotonic() - started < 1.5
    assert 1 <= frames <= 8 and camera.end_reason is None


def test_a_camera_that_goes_silent_ends_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "CAMERA_STALL_S", 0.3)
    monkeypatch.setattr(sources.cv2, "VideoCapture",
                        lambda index: FakeCapture(index, interval=0.01, count=5, hang=True))
    camera = open_source("0")
    frames = sum(1 for _ in camera.frames(threading.Event()))
    camera.close()
    assert 1 <= frames <= 5
    assert camera.end_reason == "the camera delivered no frame for 0.3 s"
