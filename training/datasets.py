"""FER-2013 and FER+ in each of their public layouts, behind one interface.

- folders: ``ROOT/train/<class>/*.jpg`` and ``ROOT/test/<class>/*.jpg``, the test split
  divided by the ``PublicTest_``/``PrivateTest_`` file prefixes; or any single
  folder-per-class set of face photos (``ROOT/<class>/*``);
- the original CSV (``fer2013.csv`` or Kaggle's ``icml_face_data.csv``): emotion, pixels,
  Usage;
- FER+ (Barsoum et al. 2016), the same faces with ten taggers' votes each: the folders
  Microsoft's ``generate_training_data.py`` writes (``ROOT/FER2013Train|Valid|Test/``
  with ``label.csv`` and PNGs), or ``fer2013new.csv`` read beside ``fer2013.csv``.

Every set yields a vote distribution per face (one-hot where a set has one label), so
training learns FER+'s distributions and FER-2013's labels through the same loss.

Decoding 35k JPEGs takes longer than a training epoch's data time, so a decoded split is
cached as one uint8 array on disk (keyed on the files' names, sizes and mtimes) and
reused by every later run.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import platformdirs

from config.errors import UserError
from recognizer.classes import EMOTIONS
from recognizer.preprocess import IMAGE_SUFFIXES, INPUT_SIZE, PREPROCESSING_VERSION, to_gray48

SPLITS = ("train", "test", "PublicTest", "PrivateTest", "held-out")
#: The fraction of a folder-per-class set that `assistant train` holds out by person or film.
#: A larger fraction holds out these groups and more (groups are taken in a fixed order), so
#: ``held-out`` stays unseen by any run that held out at least this much.
HELD_OUT_FRACTION = 0.2
# The original CSV numbers the classes in this order; EMOTIONS is alphabetical.
CSV_CLASS_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
CSV_USAGE = {"train": {"Training"}, "test": {"PublicTest", "PrivateTest"},
             "PublicTest": {"PublicTest"}, "PrivateTest": {"PrivateTest"}}
# FER+ vote columns, in label.csv / fer2013new.csv order, and where each lands in EMOTIONS.
FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                   "contempt", "unknown", "NF")
FERPLUS_TO_EMOTION = {"neutral": "neutral", "happiness": "happy", "surprise": "surprise", "sadness": "sad",
                      "anger": "angry", "disgust": "disgust", "fear": "fear"}
#: The FER+ columns of the seven product classes, in EMOTIONS order.
FERPLUS_EMOTION_COLUMNS = [FERPLUS_COLUMNS.index(name) for name in
                           sorted(FERPLUS_TO_EMOTION, key=lambda name: EMOTIONS.index(FERPLUS_TO_EMOTION[name]))]
FERPLUS_FOLDERS = {"train": ("FER2013Train",), "PublicTest": ("FER2013Valid",), "PrivateTest": ("FER2013Test",),
                   "test": ("FER2013Valid", "FER2013Test")}
FERPLUS_CSV = "fer2013new.csv"
EXPECTED_LAYOUT = (
    "expected ROOT/train/<class>/*.jpg and ROOT/test/<class>/*.jpg, a folder per class "
    f"({', '.join(EMOTIONS)}), fer2013.csv / icml_face_data.csv, FER+ folders "
    "(FER2013Train|Valid|Test/label.csv) or fer2013new.csv beside fer2013.csv"
)


class DatasetError(UserError):
    pass


@dataclass
class FaceSet:
    """Decoded faces and what they are labelled.

    ``images`` (N, 48, 48) uint8; ``labels`` (N,) indices into EMOTIONS (FER+: the
    majority); ``votes`` (N, 7) float32 distributions over EMOTIONS summing to 1 (one-hot
    for single-label sets); ``skipped`` files that could not be read; ``left_out`` FER+
    faces with no clear emotion (see `ferplus_targets`).
    """

    images: np.ndarray
    labels: np.ndarray
    votes: np.ndarray
    skipped: int = 0
    left_out: int = 0

    def __len__(self) -> int:
        return len(self.labels)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=len(EMOTIONS))


def one_hot(labels: np.ndarray) -> np.ndarray:
    return np.eye(len(EMOTIONS), dtype=np.float32)[labels]


def labelled_set(images: list[np.ndarray], labels: list[int], skipped: int) -> FaceSet:
    labels_array = np.asarray(labels, dtype=np.int64)
    stacked = np.stack(images) if images else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
    return FaceSet(stacked, labels_array, one_hot(labels_array), skipped)


def ferplus_targets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ten taggers' vote counts (N, 10), FER+ column order → (keep mask, majority labels, distributions).

    As in Barsoum et al., a single vote is treated as one tagger's noise and dropped. A
    face is left out when its leading column is unknown, not-a-face or contempt (the
    product has no contempt class), or when two columns tie for the lead: such a face
    teaches no one emotion. Contempt votes on a kept face are dropped, so its
    distribution is spread over the seven product classes only.
    """
    counts = np.where(counts > 1, counts, 0).astype(np.float32)
    emotion_votes = counts[:, FERPLUS_EMOTION_COLUMNS]
    top = counts.max(axis=1)
    unique_lead = (counts == top[:, None]).sum(axis=1) == 1
    # contempt, unknown and NF are the last three columns
    keep = (top > 0) & unique_lead & (counts.argmax(axis=1) < FERPLUS_COLUMNS.index("contempt"))
    labels = emotion_votes.argmax(axis=1)
    totals = emotion_votes.sum(axis=1, keepdims=True)
    distributions = np.divide(emotion_votes, totals, out=np.zeros_like(emotion_votes), where=totals > 0)
    return keep, labels[keep], distributions[keep]


def ferplus_set(images: np.ndarray, counts: np.ndarray, skipped: int = 0) -> FaceSet:
    keep, labels, distributions = ferplus_targets(counts)
    return FaceSet(np.ascontiguousarray(images[keep]), labels.astype(np.int64), distributions.astype(np.float32),
                   skipped, int((~keep).sum()))


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
        if split == "held-out":
            raise DatasetError(f"{data} has splits of its own: use PublicTest or PrivateTest, not held-out")
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
    return group_part(items, "held_out", HELD_OUT_FRACTION) if split == "held-out" else items


def group_part(items: list[tuple[Path, int]], part: str, fraction: float) -> list[tuple[Path, int]]:
    """The faces of the people or films trained on (``part="train"``) or held out (``"held_out"``)."""
    if part not in ("train", "held_out"):
        raise ValueError(part)
    held = held_out_groups(items, fraction)
    return [(path, label) for path, label in items if (group_of(path) in held) == (part == "held_out")]


def _file_key(path: Path, label: int | str = "") -> str:
    try:
        stat = path.stat()
    except FileNotFoundError:  # listed but absent: decoding counts it as skipped
        return f"{path}:missing:{label}"
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{label}"


def _cache_path(key_parts: list[str]) -> Path:
    # The preprocessing version is part of the key: a change to `to_gray48` must not
    # train or evaluate on faces decoded the old way.
    digest = hashlib.sha256("\n".join([PREPROCESSING_VERSION, *key_parts]).encode()).hexdigest()[:24]
    return Path(platformdirs.user_cache_dir("assistant")) / "datasets" / f"{digest}.npz"


def _load_cached(path: Path) -> FaceSet | None:
    if not path.exists():
        return None
    try:
        with np.load(path) as cached:
            return FaceSet(cached["images"], cached["labels"], cached["votes"], int(cached["skipped"]),
                           int(cached["left_out"]))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        print(f"note: the cached dataset {path} is damaged ({type(error).__name__}); decoding again", file=sys.stderr)
        return None


def _save_cache(path: Path, faces: FaceSet) -> None:
    """Write to a private temporary file, then rename: several torchrun processes may
    decode the same split at once, and each rename is atomic, so a reader only ever
    sees a whole file (whichever writer renamed last)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.stem, suffix=".tmp.npz", delete=False) as handle:
            np.savez(handle, images=faces.images, labels=faces.labels, votes=faces.votes,
                     skipped=faces.skipped, left_out=faces.left_out)
        os.replace(handle.name, path)
    except OSError as error:  # a read-only cache only costs time
        print(f"note: could not cache the decoded dataset: {error}", file=sys.stderr)


def _read_gray(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return None if image is None or image.size == 0 else to_gray48(image)


def _decode_folder(items: list[tuple[Path, int]]) -> FaceSet:
    images, labels, skipped = [], [], 0
    for path, label in items:
        image = _read_gray(path)
        if image is None:
            skipped += 1
            continue
        images.append(image)
        labels.append(label)
    return labelled_set(images, labels, skipped)


def _csv_rows(path: Path, required: set[str]) -> Iterator[dict[str, str]]:
    """Rows of a CSV with stripped keys; a missing file or column is a one-line error."""
    try:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle, skipinitialspace=True)
            fields = {name.strip() for name in reader.fieldnames or ()}
            if not required <= fields:
                raise DatasetError(f"{path} lacks the columns {', '.join(sorted(required - fields))}: "
                                   f"{EXPECTED_LAYOUT}")
            for row in reader:
                yield {key.strip(): (value or "") for key, value in row.items() if key}
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"cannot read {path}: {error}") from None


def _csv_pixels(row: dict[str, str]) -> np.ndarray:
    return np.asarray(row["pixels"].split(), dtype=np.uint8).reshape(INPUT_SIZE, INPUT_SIZE)


def _read_csv(path: Path, split: str) -> FaceSet:
    images, labels, skipped = [], [], 0
    for row in _csv_rows(path, {"emotion", "pixels", "Usage"}):
        if row["Usage"].strip() not in CSV_USAGE[split]:
            continue
        try:
            label = EMOTIONS.index(CSV_CLASS_NAMES[int(row["emotion"])])
            images.append(to_gray48(_csv_pixels(row)))
            labels.append(label)
        except (ValueError, IndexError):
            skipped += 1
    if not images:
        raise DatasetError(f"{path} has no usable rows for the {split} split")
    return labelled_set(images, labels, skipped)


def _vote_counts(row: dict[str, str], path: Path) -> np.ndarray:
    try:
        return np.asarray([float(row[name]) for name in FERPLUS_COLUMNS], dtype=np.float32)
    except (KeyError, ValueError):
        raise DatasetError(f"{path}: a row lacks the ten FER+ vote counts ({', '.join(FERPLUS_COLUMNS)})") from None


def _read_ferplus_csv(path: Path, split: str) -> FaceSet:
    """fer2013new.csv holds only votes; its rows line up with fer2013.csv's pixels beside it."""
    pixels_path = path.with_name("fer2013.csv")
    if not pixels_path.is_file():
        raise DatasetError(f"{path.name} holds FER+ votes only: fer2013.csv must be beside it in {path.parent}")
    votes_rows = _csv_rows(path, {"Usage", *FERPLUS_COLUMNS})
    images, counts, skipped = [], [], 0
    for pixel_row in _csv_rows(pixels_path, {"emotion", "pixels", "Usage"}):
        vote_row = next(votes_rows, None)
        if vote_row is None:
            raise DatasetError(f"{path} has fewer rows than {pixels_path}: they must line up row by row")
        if pixel_row["Usage"].strip() not in CSV_USAGE[split]:
            continue
        try:
            images.append(to_gray48(_csv_pixels(pixel_row)))
        except ValueError:
            skipped += 1
            continue
        counts.append(_vote_counts(vote_row, path))
    if not images:
        raise DatasetError(f"{path} has no usable rows for the {split} split")
    return ferplus_set(np.stack(images), np.stack(counts), skipped)


def _ferplus_items(data: Path, split: str) -> list[tuple[Path, np.ndarray]]:
    items = []
    for folder in FERPLUS_FOLDERS[split]:
        labels = data / folder / "label.csv"
        if not labels.is_file():
            raise DatasetError(f"{labels} is missing: the {split} split of FER+ needs {folder}/label.csv")
        try:
            with labels.open(newline="") as handle:
                for row in csv.reader(handle):
                    if len(row) != 2 + len(FERPLUS_COLUMNS):
                        raise ValueError(f"a row has {len(row)} fields, not {2 + len(FERPLUS_COLUMNS)}")
                    items.append((data / folder / row[0], np.asarray(row[2:], dtype=np.float32)))
        except (OSError, UnicodeDecodeError, csv.Error, ValueError) as error:
            raise DatasetError(f"cannot read {labels}: {error}") from None
    return items


def _decode_ferplus(items: list[tuple[Path, np.ndarray]]) -> FaceSet:
    images, counts, skipped = [], [], 0
    for path, votes in items:
        image = _read_gray(path) if path.is_file() else None
        if image is None:
            skipped += 1
            continue
        images.append(image)
        counts.append(votes)
    if not images:
        return labelled_set([], [], skipped)
    return ferplus_set(np.stack(images), np.stack(counts), skipped)


def is_ferplus(data: Path) -> bool:
    return any((data / folder).is_dir() for folder in ("FER2013Train", "FER2013Valid", "FER2013Test"))


def load_split(data: Path, split: str, use_cache: bool = True) -> FaceSet:
    """Decode one split to 48x48 gray with its labels and vote distributions, from any supported layout."""
    check_split(split)
    data = Path(data).expanduser()
    if not data.exists():
        raise DatasetError(f"{data} does not exist: {EXPECTED_LAYOUT}")
    if split == "held-out" and (data.is_file() or is_ferplus(data)):
        raise DatasetError(f"{data} has splits of its own: use PublicTest or PrivateTest, not held-out")
    if data.is_file():
        if data.suffix.lower() != ".csv":
            raise DatasetError(f"{data} is not a CSV file: {EXPECTED_LAYOUT}")
        key = [split, _file_key(data)]
        if data.name.lower() == FERPLUS_CSV:
            key.append(_file_key(data.with_name("fer2013.csv")))
            reader = partial(_read_ferplus_csv, data, split)
        else:
            reader = partial(_read_csv, data, split)
    elif is_ferplus(data):
        ferplus_items = _ferplus_items(data, split)
        key = [split, "ferplus"] + [_file_key(data / folder / "label.csv") for folder in FERPLUS_FOLDERS[split]] \
            + [_file_key(path) for path, _ in ferplus_items]
        reader = partial(_decode_ferplus, ferplus_items)
    else:
        items = list_images(data, split)
        key = [split] + [_file_key(path, label) for path, label in items]
        reader = partial(_decode_folder, items)
    return _decoded(key, reader, use_cache, f"{data} ({split})")


def _decoded(key: list[str], reader: Callable[[], FaceSet], use_cache: bool, what: str) -> FaceSet:
    """The faces ``reader`` decodes, from the disk cache when ``key`` was decoded before."""
    cache = _cache_path(key)
    faces = _load_cached(cache) if use_cache else None
    if faces is None:
        faces = reader()
        if use_cache and len(faces):
            _save_cache(cache, faces)
    if not len(faces):
        raise DatasetError(f"none of the images in {what} could be read")
    return faces


def check_class_folders(data: Path) -> None:
    """Refuse a folder-per-class set with a class the product has no output for (such as
    contempt): its faces would silently be left out, and its share of batches be smaller than asked."""
    unknown = sorted(child.name for child in Path(data).iterdir()
                     if child.is_dir() and child.name.lower() not in EMOTIONS
                     and any(path.suffix.lower() in IMAGE_SUFFIXES for path in child.iterdir()))
    if unknown:
        raise DatasetError(f"{data} has faces of {', '.join(unknown)}: "
                           f"the recognizer knows only {', '.join(EMOTIONS)}; "
                           "move or rename those folders")


def has_given_splits(data: Path) -> bool:
    """Whether a dataset names its own held-out faces (FER-2013's test folder or CSV, FER+'s Valid/Test)."""
    data = Path(data).expanduser()
    return data.is_file() or is_ferplus(data) or (data / "test").is_dir()


#: A file name that says whose face it is: the person or film, then two numbers.
GROUPED_NAME = re.compile(r"(?P<group>.+?)[_-]+\d+[_-]+\d+")


def group_of(path: Path) -> str | None:
    """Who a face belongs to, from file names that say it: ``S010_004_00000017`` (CK+: subject S010,
    sequence 004, frame 17) and ``AlexEmma_000225840_00000024`` (SFEW: film, timestamp, frame; a
    few SFEW names use a hyphen) both end in two numbers after the person or film. None otherwise."""
    match = GROUPED_NAME.fullmatch(path.stem)
    return match["group"] if match else None


def held_out_groups(items: list[tuple[Path, int]], fraction: float) -> set[str]:
    """The people (or films) whose faces are held out: about ``fraction`` of the faces, whole groups only.

    Frames of one sequence or one scene are nearly the same picture, so a random split would
    leak them into both halves. Groups are taken in the order of a hash of their name, so
    the split does not depend on the order files are listed in, nor change when a group is added.
    """
    sizes: dict[str, int] = {}
    for path, _ in items:
        group = group_of(path)
        if group is None:
            raise DatasetError(f"cannot hold out part of {path.parent.parent}: "
                               f"{path.name} does not say whose face it is "
                               "(expected PERSON_NUMBER_NUMBER, as CK+ and SFEW name their files)")
        sizes[group] = sizes.get(group, 0) + 1
    if len(sizes) < 2:
        raise DatasetError(f"cannot hold out part of {items[0][0].parent.parent}: "
                           "all its faces are of one person or film")
    order = sorted(sizes, key=lambda group: hashlib.sha256(group.encode()).hexdigest())
    held, count, wanted = set(), 0, fraction * len(items)
    for group in order[:-1]:  # at least one group is left to train on
        if count >= wanted:
            break
        held.add(group)
        count += sizes[group]
    return held


def load_group_part(data: Path, part: str, fraction: float, use_cache: bool = True) -> FaceSet:
    """The training (``part="train"``) or held-out (``"held_out"``) faces of a folder-per-class set,
    divided by person or film (`held_out_groups`)."""
    data = Path(data).expanduser()
    if not data.exists():
        raise DatasetError(f"{data} does not exist: {EXPECTED_LAYOUT}")
    items = list_images(data, "train")
    check_class_folders(data)
    chosen = group_part(items, part, fraction)
    key = [part, f"{fraction:g}"] + [_file_key(path, label) for path, label in chosen]
    return _decoded(key, partial(_decode_folder, chosen), use_cache, f"{data} ({part.replace('_', '-')})")
