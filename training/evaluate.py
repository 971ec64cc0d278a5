"""Evaluate weights on a labelled face set, on aligned crops or through the detector.

With detection every photo goes through the same detector, crop and classifier as the
product (`EmotionPipeline`: the largest face, `crop_face`, `to_gray48`, one batched
call), so the figure says how the product does on real photographs; a photo in which no
face is found counts as wrong and is reported under ``no_face``. Each photo is detected
once and can be cropped several ways, which is how `assistant bench crop` compares crop
geometries without running the detector once per geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from config.errors import UserError
from recognizer.calibration import NEUTRAL, Calibrator, log_probabilities
from recognizer.crop import CropGeometry, crop_face
from recognizer.detection import FaceDetector
from recognizer.inference import EmotionClassifier
from recognizer.pipeline import EmotionPipeline
from recognizer.preprocess import INPUT_SIZE, to_gray48
from training.datasets import list_images, load_split
from training.metrics import classification_report


def evaluate_aligned(classifier: EmotionClassifier, data: Path, split: str, tta: bool) -> dict[str, Any]:
    faces = load_split(data, split)
    report = classification_report(faces.labels, classifier.predict_gray48(faces.images, tta=tta))
    return {**report, "no_face": 0, "unreadable": faces.skipped, "left_out": faces.left_out}


def measure_neutral_reference(classifier: EmotionClassifier, data: Path, split: str, tta: bool) -> dict[str, Any]:
    """The model's mean log-probabilities on the faces labelled neutral: the typical neutral face
    that calibration aims for (`recognizer.calibration.correction`), as a manifest entry."""
    faces = load_split(data, split)
    neutral = faces.images[faces.labels == NEUTRAL]
    if not len(neutral):
        raise UserError(f"{data} ({split}) has no faces labelled neutral to take a reference from")
    reference = log_probabilities(classifier.predict_gray48(neutral, tta=tta)).mean(axis=0)
    return {"log_probabilities": [round(float(value), 6) for value in reference], "faces": int(len(neutral)),
            "data": f"{data.name}/{split}", "tta": tta}


@dataclass
class DetectedPhotos:
    """Per readable photo: its file, label, whether a face was found, and its largest face cropped each way
    asked for."""

    paths: list[Path]
    labels: np.ndarray
    found: np.ndarray
    crops: dict[CropGeometry, np.ndarray]
    unreadable: int

    def probabilities(self, classifier: EmotionClassifier, geometry: CropGeometry, tta: bool) -> np.ndarray:
        """(N, 7): each photo's face read as the product reads it, from every view ``tta`` asks for
        (cropped by `detect_and_crop` with ``geometry.views(tta)``)."""
        return np.mean([classifier.predict_gray48(self.crops[view], tta=tta) for view in geometry.views(tta)], axis=0)


def detect_and_crop(detector: FaceDetector, data: Path, split: str,
                    geometries: Sequence[CropGeometry]) -> DetectedPhotos:
    paths, labels, found, unreadable = [], [], [], 0
    crops: dict[CropGeometry, list[np.ndarray]] = {geometry: [] for geometry in geometries}
    blank = np.zeros((INPUT_SIZE, INPUT_SIZE), np.uint8)
    for path, label in list_images(data, split):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            unreadable += 1
            continue
        faces = sorted(detector.detect(image), key=lambda f: f.area, reverse=True)
        paths.append(path)
        labels.append(label)
        found.append(bool(faces))
        for geometry in geometries:
            crops[geometry].append(to_gray48(crop_face(image, faces[0], geometry)) if faces else blank)
    stacked = {geometry: np.stack(faces) if faces else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
               for geometry, faces in crops.items()}
    return DetectedPhotos(paths, np.asarray(labels, dtype=np.int64), np.asarray(found, dtype=bool), stacked, unreadable)


def report_detected(classifier: EmotionClassifier, photos: DetectedPhotos, geometry: CropGeometry, tta: bool,
                    calibration: Calibrator | None = None) -> dict[str, Any]:
    probabilities = photos.probabilities(classifier, geometry, tta)
    if calibration is not None:
        probabilities = calibration(probabilities)
    report = classification_report(photos.labels, probabilities, valid=photos.found)
    return {**report, "no_face": int((~photos.found).sum()), "unreadable": photos.unreadable}


def evaluate_detected(pipeline: EmotionPipeline, data: Path, split: str) -> dict[str, Any]:
    photos = detect_and_crop(pipeline.detector, data, split, pipeline.geometry.views(pipeline.tta))
    return report_detected(pipeline.classifier, photos, pipeline.geometry, pipeline.tta, pipeline.calibration)
