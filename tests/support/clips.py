"""Test streams made from the real clips in ../shared/videos: looped copies and damaged ones."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.support import needs_shared


def clip_frames(name: str) -> list[np.ndarray]:
    """Every frame of a shared clip (skips the test when ../shared is absent)."""
    capture = cv2.VideoCapture(str(needs_shared("videos", name)))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert frames, name
    return frames


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """mp4v in .mp4, or Motion JPEG in .avi (whose frames stay readable when the file is cut short)."""
    codec = "MJPG" if path.suffix == ".avi" else "mp4v"
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
    assert writer.isOpened(), path
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def truncated_copy(source: Path, target: Path, fraction: float) -> Path:
    """The first ``fraction`` of a file's bytes, as a download or a disk cut short would leave it."""
    data = source.read_bytes()
    target.write_bytes(data[:int(len(data) * fraction)])
    return target
