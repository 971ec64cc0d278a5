"""Small generated FER-style datasets that a CNN can learn in seconds.

Class k is drawn as k + 1 horizontal stripes: the count survives the flips, shifts and
zooms of training augmentation, so a test can assert that training actually learns.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from recognizer.classes import EMOTIONS
from training.datasets import CSV_CLASS_NAMES


def striped_face(label: int, rng: np.random.Generator) -> np.ndarray:
    rows = np.arange(48)
    period = 48 / (label + 1)
    stripes = ((rows % period) < period / 2).astype(np.float32)
    image = np.tile(stripes[:, None], (1, 48)) * rng.uniform(120, 200) + rng.uniform(20, 60)
    image += rng.normal(0, 12, size=(48, 48))
    return np.clip(image, 0, 255).astype(np.uint8)


def make_samples(per_class: int, seed: int) -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(seed)
    return [(striped_face(label, rng), label) for label in range(len(EMOTIONS)) for _ in range(per_class)]


def write_folder_dataset(root: Path, train_per_class: int = 40, test_per_class: int = 10, seed: int = 0) -> Path:
    """ROOT/train/<class>/Training_N.jpg and ROOT/test/<class>/{PublicTest,PrivateTest}_N.jpg."""
    counter = 0
    for split, prefixes, per_class in (("train", ["Training"], train_per_class),
                                       ("test", ["PublicTest", "PrivateTest"], test_per_class)):
        for prefix in prefixes:
            for image, label in make_samples(per_class, seed + counter):
                counter += 1
                folder = root / split / EMOTIONS[label]
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / f"{prefix}_{counter}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return root


def write_csv_dataset(path: Path, train_per_class: int = 40, test_per_class: int = 10, seed: int = 0) -> Path:
    """The original fer2013.csv layout: emotion (CSV numbering), pixels, Usage."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        for usage, per_class, offset in (("Training", train_per_class, 0), ("PublicTest", test_per_class, 1),
                                         ("PrivateTest", test_per_class, 2)):
            for image, label in make_samples(per_class, seed + offset):
                writer.writerow([CSV_CLASS_NAMES.index(EMOTIONS[label]), " ".join(map(str, image.ravel())), usage])
    return path
