"""Evaluate weights on a labelled face set, on aligned crops or through the live detector.

With ``detect`` every photo goes through the same detector, crop and classifier as the
live session, so the figure says how the product does on real photographs; a photo in
which no face is found counts as wrong and is reported under ``no_face``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from recognizer.classes import EMOTIONS
from recognizer.inference import EmotionClassifier
from recognizer.pipeline import EmotionPipeline
from training.datasets import list_images, load_split
from training.metrics import classification_report


def evaluate_aligned(classifier: EmotionClassifier, data: Path, split: str, tta: bool) -> dict[str, Any]:
    faces = load_split(data, split)
    report = classification_report(faces.labels, classifier.predict_gray48(faces.images, tta=tta))
    return {**report, "no_face": 0, "unreadable": faces.skipped}


def evaluate_detected(pipeline: EmotionPipeline, data: Path, split: str) -> dict[str, Any]:
    labels, probabilities, found, unreadable = [], [], [], 0
    for path, label in list_images(data, split):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            unreadable += 1
            continue
        results = pipeline.analyze(image, largest_only=True)
        labels.append(label)
        found.append(bool(results))
        probabilities.append(results[0].probabilities if results else np.zeros(len(EMOTIONS), np.float32))
    labels_array = np.asarray(labels, dtype=np.int64)
    found_array = np.asarray(found, dtype=bool)
    report = classification_report(labels_array, np.asarray(probabilities).reshape(-1, len(EMOTIONS)), valid=found_array)
    return {**report, "no_face": int((~found_array).sum()), "unreadable": unreadable}
