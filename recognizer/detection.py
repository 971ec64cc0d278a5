"""Face detection: boxes with scores from BlazeFace (default) or OpenCV's Haar cascade.

BlazeFace comes with mediapipe 0.10.21's solutions API, which bundles its models and so
works offline; it is both faster and far more accurate than the Haar cascade, which stays
as a fallback that needs nothing but OpenCV. BlazeFace has two models: "short" for faces
within ~2 m of a webcam (the live session) and "full" for people further away (group
photos); "both" runs the two and merges their boxes, for still photos where speed does
not matter and a missed face does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np

from config.errors import UserError

Reach = Literal["short", "full", "both"]


Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    """A detected face in pixel coordinates of the image it was found in.

    ``eyes`` (the person's right eye, then left, as (x, y)) come with BlazeFace, not with
    the Haar cascade; the crop uses them to level the eyes.
    """

    x: int
    y: int
    width: int
    height: int
    score: float
    eyes: tuple[Point, Point] | None = None

    @property
    def area(self) -> int:
        return self.width * self.height

    def moved(self, dx: int, dy: int) -> Face:
        """The same face with every coordinate shifted by (dx, dy), eyes included."""
        eyes = None
        if self.eyes is not None:
            (rx, ry), (lx, ly) = self.eyes
            eyes = ((rx + dx, ry + dy), (lx + dx, ly + dy))
        return dataclasses.replace(self, x=self.x + dx, y=self.y + dy, eyes=eyes)


class FaceDetector(Protocol):
    def detect(self, image: np.ndarray) -> list[Face]:
        """All faces in a BGR image, best score first."""
        ...

    def close(self) -> None:
        ...


class DetectorError(UserError):
    pass


def _iou(a: Face, b: Face) -> float:
    x1, y1 = max(a.x, b.x), max(a.y, b.y)
    x2, y2 = min(a.x + a.width, b.x + b.width), min(a.y + a.height, b.y + b.height)
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / float(a.area + b.area - inter) if inter else 0.0


def merge_overlapping(faces: list[Face], threshold: float = 0.3) -> list[Face]:
    """Greedy non-maximum suppression: keep the best-scoring box of each overlapping group."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if all(_iou(face, other) < threshold for other in kept):
            kept.append(face)
    return kept


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Mute C++ log lines (TFLite's "Created XNNPACK delegate", absl warnings) written to fd 2.

    mediapipe prints them on its first inference whatever GLOG/TF variables say; they
    would land in the middle of a user's output.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class MediaPipeDetector:
    """BlazeFace through ``mp.solutions.face_detection``."""

    def __init__(self, min_confidence: float = 0.5, reach: Reach = "short") -> None:
        try:
            from mediapipe.python.solutions import face_detection
        except ImportError as error:  # mediapipe ≥0.10.30 has no solutions API and no bundled model
            raise DetectorError(
                f"mediapipe's face detector is unavailable ({error}); install mediapipe==0.10.21 "
                "or set detector.backend = \"haar\""
            ) from None
        selections = {"short": [0], "full": [1], "both": [0, 1]}[reach]
        with _native_stderr_silenced():
            self._models = [face_detection.FaceDetection(model_selection=s, min_detection_confidence=min_confidence)
                            for s in selections]
            self.detect(np.zeros((64, 64, 3), np.uint8))

    def detect(self, image: np.ndarray) -> list[Face]:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        height, width = rgb.shape[:2]
        faces = []
        for model in self._models:
            for detection in model.process(rgb).detections or ():
                box = detection.location_data.relative_bounding_box
                x, y = int(round(box.xmin * width)), int(round(box.ymin * height))
                w, h = int(round(box.width * width)), int(round(box.height * height))
                keypoints = detection.location_data.relative_keypoints  # right eye, left eye, nose, mouth, ears
                eyes = ((keypoints[0].x * width, keypoints[0].y * height),
                        (keypoints[1].x * width, keypoints[1].y * height)) if len(keypoints) >= 2 else None
                if w > 0 and h > 0:
                    faces.append(Face(x, y, w, h, float(detection.score[0]), eyes))
        return merge_overlapping(faces)

    def close(self) -> None:
        for model in self._models:
            model.close()


class HaarDetector:
    """OpenCV's frontal-face Haar cascade; its level weights are squashed into (0, 1) scores."""

    CASCADE = "haarcascade_frontalface_default.xml"

    def __init__(self, min_confidence: float = 0.5) -> None:
        directory = getattr(getattr(cv2, "data", None), "haarcascades", None)
        if directory is None:  # opencv-python 5.0 wheels ship no cascades
            raise DetectorError("this OpenCV build ships no Haar cascades; install opencv-contrib-python<5 "
                                "or use detector.backend = \"mediapipe\"")
        self._cascade = cv2.CascadeClassifier(directory + self.CASCADE)
        if self._cascade.empty():
            raise DetectorError(f"could not load {directory + self.CASCADE}")
        self.min_confidence = min_confidence

    def detect(self, image: np.ndarray) -> list[Face]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        gray = cv2.equalizeHist(gray)
        min_side = max(24, min(gray.shape[:2]) // 12)
        boxes, _, weights = self._cascade.detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side), outputRejectLevels=True)
        faces = [Face(int(x), int(y), int(w), int(h), 1.0 / (1.0 + math.exp(-float(weight))))
                 for (x, y, w, h), weight in zip(boxes, np.ravel(weights), strict=True)]
        return sorted((f for f in faces if f.score >= self.min_confidence), key=lambda f: f.score, reverse=True)

    def close(self) -> None:
        pass


class BorderedRetry:
    """Searches a photo once more inside a black border when no face was found in it.

    BlazeFace (and the Haar cascade) miss a face that fills the whole picture: a photo cut
    inside the outline of the head, as the small film stills of the real-photo set are,
    leaves no edge of the head to see. A border of ``border`` times the photo's longer side
    on every side gives them one; boxes and eyes come back in the photo's own coordinates
    (a box may reach past its edges), so the crop is taken from the photo, its edge repeated
    beyond it, and the border never reaches the model. Still photos only: a webcam frame is
    never a face alone, and the second search would cost every frame with nobody in it.
    """

    def __init__(self, detector: FaceDetector, border: float = 0.5) -> None:
        self.detector, self.border = detector, border

    def detect(self, image: np.ndarray) -> list[Face]:
        faces = self.detector.detect(image)
        if faces:
            return faces
        pad = int(round(self.border * max(image.shape[:2])))
        framed = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        return [face.moved(-pad, -pad) for face in self.detector.detect(framed)]

    def close(self) -> None:
        self.detector.close()


def create_detector(backend: str = "mediapipe", min_confidence: float = 0.5,
                    reach: Reach = "short") -> MediaPipeDetector | HaarDetector:
    if backend == "mediapipe":
        return MediaPipeDetector(min_confidence, reach)
    if backend == "haar":
        return HaarDetector(min_confidence)
    raise DetectorError(f"unknown detector backend {backend!r}: choose mediapipe or haar")
