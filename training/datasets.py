"""FER-2013 in either of its two public layouts, behind one interface.

- folders: ``ROOT/train/<class>/*.jpg`` and ``ROOT/test/<class>/*.jpg``, the test split
  divided by the ``PublicTest_``/``PrivateTest_`` file prefixes; or any single
  folder-per-class set of face photos (``ROOT/<class>/*``);
- the original CSV (``fer2013.csv`` or Kaggle's ``icml_face_data.csv``): emotion, pixels,
  Usage.

Decoding 35k JPEGs takes longer than a training epoch's data time, so a decoded split is
cached as one uint8 array on disk (keyed on the files' names, sizes and mtimes) and
reused by every later run.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import platformdirs

from config.errors import UserError
from recognizer.classes import EMOTIONS
from recognizer.preprocess import IMAGE_SUFFIXES, INPUT_SIZE, to_gray48

SPLITS = ("train", "test", "PublicTest", "PrivateTest")
# The original CSV numbers the classes in this order; EMOTIONS is alphabetical.
CSV_CLASS_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
CSV_USAGE = {"train": {"Training"}, "test": {"PublicTest", "PrivateTest"},
             "PublicTest": {"PublicTest"}, "PrivateTest": {"PrivateTest"}}
EXPECTED_LAYOUT = (
    "expected ROOT/train/<class>/*.jpg and ROOT/test/<class>/*.jpg, a folder per class "
    f"({', '.join(EMOTIONS)}), or fer2013.csv / icml_face_data.csv"
)


class DatasetError(UserError):
    pass


@dataclass
class FaceSet:
    """Decoded faces: ``images`` (N, 48, 48) uint8 and ``labels`` (N,) indices into EMOTIONS."""

    images: np.ndarray
    labels: np.ndarray
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.labels)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=len(EMOTIONS))


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")


def _class_folders(root: Path) -> dict[int, Path]:
    folders = {}
    if root.is_dir():
        for child in root.iterdir():
            if child.is_dir() and child.name.lower() in EMOTIONS:
                folders[EMOTIONS.index(child.name.lower())] = child
    return folders


def list_images(data: Path, split: str) -> list[tuple[Path, int]]:
    """The (path, label) pairs of one split of a folder dataset, sorted for determinism."""
    check_split(split)
    if not data.is_dir():
        raise DatasetError(f"{data} is not a folder: {EXPECTED_LAYOUT}")
    if (data / "train").is_dir() or (data / "test").is_dir():
        sub = "train" if split == "train" else "test"
        folders = _class_folders(data / sub)
        if not folders:
            raise DatasetError(f"{data / sub} has no class folders: {EXPECTED_LAYOUT}")
    else:
        folders = _class_folders(data)
        if not folders:
            raise DatasetError(f"{data} has no class folders: {EXPECTED_LAYOUT}")
    items = [
        (path, label)
        for label, folder in sorted(folders.items())
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in IMAGE_SUFFIXES
    ]
    if split in ("PublicTest", "PrivateTest"):
        items = [(p, label) for p, label in items if p.name.startswith(split + "_")]
        if not items:
            raise DatasetError(f"no {split}_* files in {data}: the {split} split needs FER-2013's file names")
    if not items:
        raise DatasetError(f"no images found in {data}: {EXPECTED_LAYOUT}")
    return items


def _file_key(path: Path, label: int) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{label}"


def _cache_path(key_parts: list[str]) -> Path:
    digest = hashlib.sha256("\n".join(key_parts).encode()).hexdigest()[:24]
    return Path(platformdirs.user_cache_dir("assistant")) / "datasets" / f"{digest}.npz"


def _load_cached(path: Path) -> FaceSet | None:
    try:
        with np.load(path) as cached:
            return FaceSet(cached["images"], cached["labels"], int(cached["skipped"]))
    except (OSError, KeyError, ValueError):
        return None  # absent or damaged: decode again


def _save_cache(path: Path, faces: FaceSet) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, images=faces.images, labels=faces.labels, skipped=faces.skipped)
        tmp.replace(path)
    except OSError as error:  # a read-only cache only costs time
        print(f"note: could not cache the decoded dataset: {error}", file=sys.stderr)


def _decode_folder(items: list[tuple[Path, int]]) -> FaceSet:
    images, labels, skipped = [], [], 0
    for path, label in items:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None or image.size == 0:
            skipped += 1
            continue
        images.append(to_gray48(image))
        labels.append(label)
    if not images:
        return FaceSet(np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8), np.zeros(0, np.int64), skipped)
    return FaceSet(np.stack(images), np.asarray(labels, dtype=np.int64), skipped)


def _read_csv(path: Path, split: str) -> FaceSet:
    images, labels, skipped = [], [], 0
    try:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle, skipinitialspace=True)
            fields = {name.strip() for name in reader.fieldnames or ()}
            if not {"emotion", "pixels", "Usage"} <= fields:
                raise DatasetError(f"{path} lacks the columns emotion, pixels, Usage: {EXPECTED_LAYOUT}")
            for row in reader:
                row = {key.strip(): value for key, value in row.items() if key}
                if row["Usage"].strip() not in CSV_USAGE[split]:
                    continue
                try:
                    pixels = np.asarray(row["pixels"].split(), dtype=np.uint8)
                    label = EMOTIONS.index(CSV_CLASS_NAMES[int(row["emotion"])])
                    images.append(pixels.reshape(INPUT_SIZE, INPUT_SIZE))
                    labels.append(label)
                except (ValueError, IndexError, AttributeError):
                    skipped += 1
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"cannot read {path}: {error}") from None
    if not images:
        raise DatasetError(f"{path} has no usable rows for the {split} split")
    return FaceSet(np.stack(images), np.asarray(labels, dtype=np.int64), skipped)


def load_split(data: Path, split: str, use_cache: bool = True) -> FaceSet:
    """Decode one split to 48x48 gray, from a CSV file or a folder dataset."""
    check_split(split)
    data = Path(data).expanduser()
    if not data.exists():
        raise DatasetError(f"{data} does not exist: {EXPECTED_LAYOUT}")
    if data.is_file():
        if data.suffix.lower() != ".csv":
            raise DatasetError(f"{data} is not a CSV file: {EXPECTED_LAYOUT}")
        stat = data.stat()
        key = [str(data.resolve()), split, str(stat.st_size), str(stat.st_mtime_ns)]
        reader = partial(_read_csv, data, split)
    else:
        items = list_images(data, split)
        key = [split] + [_file_key(path, label) for path, label in items]
        reader = partial(_decode_folder, items)
    cache = _cache_path(key)
    faces = _load_cached(cache) if use_cache else None
    if faces is None:
        faces = reader()
        if use_cache and len(faces):
            _save_cache(cache, faces)
    if not len(faces):
        raise DatasetError(f"none of the images in {data} ({split}) could be read")
    return faces
