"""Image → faces → emotions: the path every caller shares (predict, evaluate --detect, live).

Keeping detection, cropping and classification in one place is what guarantees that a
face is prepared for the model exactly the same way in evaluation and in the product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recognizer.calibration import Calibrator
from recognizer.classes import EMOTIONS
from recognizer.crop import CropGeometry, crop_face
from recognizer.detection import Face, FaceDetector
from recognizer.inference import EmotionClassifier


@dataclass(frozen=True)
class FaceEmotion:
    face: Face
    probabilities: np.ndarray  # (7,) in EMOTIONS order

    @property
    def emotion(self) -> str:
        return EMOTIONS[int(self.probabilities.argmax())]

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max())

    def to_dict(self) -> dict:
        return {
            "box": {"x": self.face.x, "y": self.face.y, "width": self.face.width, "height": self.face.height},
            "face_score": round(self.face.score, 4),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "probabilities": {name: round(float(p), 4) for name, p in zip(EMOTIONS, self.probabilities, strict=True)},
        }


class EmotionPipeline:
    def __init__(self, detector: FaceDetector, classifier: EmotionClassifier, geometry: CropGeometry,
                 tta: bool = False, calibration: Calibrator | None = None) -> None:
        """``calibration`` corrects the classifier's output for one person (see `recognizer.calibration`)."""
        self.detector, self.classifier, self.geometry, self.tta = detector, classifier, geometry, tta
        self.calibration = calibration

    def analyze(self, image: np.ndarray, largest_only: bool = False) -> list[FaceEmotion]:
        """Every face in a BGR image with its probabilities (one batched model call), largest first."""
        faces = sorted(self.detector.detect(image), key=lambda f: f.area, reverse=True)
        if largest_only:
            faces = faces[:1]
        if not faces:
            return []
        views = self.geometry.views(self.tta)
        crops = [crop_face(image, face, view) for view in views for face in faces]
        probabilities = self.classifier.predict(crops, tta=self.tta).reshape(len(views), len(faces), -1).mean(axis=0)
        if self.calibration is not None:
            probabilities = self.calibration(probabilities)
        return [FaceEmotion(face, p) for face, p in zip(faces, probabilities, strict=True)]

    def close(self) -> None:
        """Let go of the detector's graphs (mediapipe holds native resources until closed)."""
        self.detector.close()
