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


def ferplus_votes(label: int, kind: str) -> list[int]:
    """Ten taggers' votes in FER+ column order for a face of class ``label``.

    ``clear``: 7 for the class, 3 for another; the other kinds are faces FER+ users leave out.
    """
    from training.datasets import FERPLUS_COLUMNS, FERPLUS_TO_EMOTION

    columns = {emotion: FERPLUS_COLUMNS.index(name) for name, emotion in FERPLUS_TO_EMOTION.items()}
    votes = [0] * len(FERPLUS_COLUMNS)
    own = columns[EMOTIONS[label]]
    if kind == "clear":
        votes[own], votes[columns[EMOTIONS[(label + 1) % len(EMOTIONS)]]] = 7, 3
    elif kind == "tie":
        votes[own], votes[columns[EMOTIONS[(label + 1) % len(EMOTIONS)]]] = 5, 5
    else:  # "unknown", "NF" or "contempt" leads
        votes[own], votes[FERPLUS_COLUMNS.index(kind)] = 4, 6
    return votes


FERPLUS_EXTRA_KINDS = ("tie", "unknown", "NF", "contempt")


def write_ferplus_dataset(root: Path, train_per_class: int = 40, test_per_class: int = 10, seed: int = 0) -> Path:
    """FER2013Train|Valid|Test/label.csv + PNGs as Microsoft's script writes them, plus one
    face per class of each left-out kind (tie, unknown, NF, contempt) in every folder."""
    for offset, (folder, per_class) in enumerate((("FER2013Train", train_per_class), ("FER2013Valid", test_per_class),
                                                  ("FER2013Test", test_per_class))):
        (root / folder).mkdir(parents=True)
        samples = [(image, label, "clear") for image, label in make_samples(per_class, seed + offset)]
        samples += [(image, label, kind) for kind in FERPLUS_EXTRA_KINDS
                    for image, label in make_samples(1, seed + 10 + offset)]
        with (root / folder / "label.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            for index, (image, label, kind) in enumerate(samples):
                name = f"fer{offset * 100000 + index:07d}.png"
                cv2.imwrite(str(root / folder / name), image)
                writer.writerow([name, "(0, 0, 48, 48)", *ferplus_votes(label, kind)])
    return root


def write_ferplus_csv(folder: Path, train_per_class: int = 40, test_per_class: int = 10, seed: int = 0) -> Path:
    """fer2013.csv (pixels, original labels) with fer2013new.csv (FER+ votes) beside it, row for row."""
    from training.datasets import FERPLUS_COLUMNS

    rows = []
    for usage, per_class, offset in (("Training", train_per_class, 0), ("PublicTest", test_per_class, 1),
                                     ("PrivateTest", test_per_class, 2)):
        rows += [(usage, image, label, "clear") for image, label in make_samples(per_class, seed + offset)]
        rows += [(usage, image, label, kind) for kind in FERPLUS_EXTRA_KINDS
                 for image, label in make_samples(1, seed + 10 + offset)]
    with (
        (folder / "fer2013.csv").open("w", newline="") as pixels,
        (folder / "fer2013new.csv").open("w", newline="") as votes,
    ):
        pixel_writer, vote_writer = csv.writer(pixels), csv.writer(votes)
        pixel_writer.writerow(["emotion", "pixels", "Usage"])
        vote_writer.writerow(["Usage", "Image name", *FERPLUS_COLUMNS])
        for index, (usage, image, label, kind) in enumerate(rows):
            pixel_writer.writerow([CSV_CLASS_NAMES.index(EMOTIONS[label]), " ".join(map(str, image.ravel())), usage])
            vote_writer.writerow([usage, f"fer{index:07d}.png", *ferplus_votes(label, kind)])
    return folder / "fer2013new.csv"
