"""`assistant bench calibration`: does a person's calibration help on their other photos?

For every person named in the file names (LFW style, ``George_W_Bush_0012.jpg``) with at
least one neutral photo and one other, the neutral photos are the calibration, as a folder
of them would be for `assistant calibrate`, and every other photo of that person is
classified with and without it. A neutral photo is tested too when the person has
another one to calibrate with, and is then left out of its own calibration, so that
calibrating can never be rewarded for recognising the very face it was measured on.
Faces are found, cropped and classified as `evaluate --detect` does them, so the
uncalibrated figures are that command's on these photos.
"""

from __future__ import annotations

import re
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

from config.errors import UserError
from config.settings import Settings
from recognizer.calibration import (
    NEUTRAL,
    Baseline,
    Calibration,
    log_probabilities,
    neutral_reference,
    refusal,
    shifted,
    typical_state_correction,
)
from recognizer.classes import EMOTIONS
from recognizer.from_settings import build_pipeline
from recognizer.pipeline import EmotionPipeline
from training.evaluate import detect_and_crop
from training.metrics import classification_report

_PERSON = re.compile(r"(?P<person>.+)_\d+")
#: "auto" on photos: the most frequent state is the median of a person's other photos, from this many.
AUTO_MIN_PHOTOS = 3
WATCHED = ("happy", "surprise", "neutral")


def person_of(path: Path) -> str | None:
    """The person a photo shows, from its file name (``Name_Surname_0012.jpg``), or None when it names nobody."""
    match = _PERSON.fullmatch(path.stem)
    return match["person"] if match else None


def run(settings: Settings, data: Path, weights: Path | None = None) -> dict[str, Any]:
    """The photos of ``data`` found, cropped and classified as `evaluate --detect` does, and measured."""
    if not data.is_dir():
        raise UserError(f"--data {data} is not a folder of photos")
    with closing(build_pipeline(settings, video=False, weights=weights, tta=True)) as pipeline:
        return measure(pipeline, data)


def measure(pipeline: EmotionPipeline, data: Path) -> dict[str, Any]:
    """Accuracy, macro-F1 and the recall of happy, surprise and neutral, uncalibrated ("off"),
    with the person's neutral photos as profile ("profile") and with the median of their other
    photos ("auto"), on the same test photos."""
    photos = detect_and_crop(pipeline.detector, data, "test", pipeline.geometry.views(pipeline.tta))
    probabilities = photos.probabilities(pipeline.classifier, pipeline.geometry, pipeline.tta)
    logs = log_probabilities(probabilities)
    reference = neutral_reference(pipeline.classifier.manifest)
    by_person: dict[str, list[int]] = defaultdict(list)
    for index, path in enumerate(photos.paths):
        if (person := person_of(path)) is not None:
            by_person[person].append(index)

    tested: list[int] = []
    profile_rows: list[np.ndarray] = []
    auto_rows: list[np.ndarray] = []
    people, refused = set(), 0
    for person, indices in sorted(by_person.items()):
        neutral = [i for i in indices if photos.labels[i] == NEUTRAL]
        if not neutral or len(neutral) == len(indices):
            continue
        for i in indices:
            calibration_photos = [j for j in neutral if j != i]
            if not calibration_photos:
                continue  # a person's only neutral photo calibrates and is not tested
            people.add(person)
            tested.append(i)
            with_face = [j for j in calibration_photos if photos.found[j]]
            baseline = Baseline.measure(probabilities[with_face]) if with_face else None
            if baseline is None or refusal(baseline, len(calibration_photos)) is not None:
                refused += 1  # `assistant calibrate` would have stored nothing: the photo stays uncorrected
                profile_rows.append(probabilities[i])
            else:
                profile_rows.append(Calibration.of(baseline.log_probabilities, reference)(probabilities[i][None])[0])
            others = [j for j in indices if j != i and photos.found[j]]
            shift = (typical_state_correction(logs[others], reference) if len(others) >= AUTO_MIN_PHOTOS
                     else np.zeros(len(EMOTIONS)))
            auto_rows.append(shifted(probabilities[i][None], shift)[0])

    labels, found = photos.labels[tested], photos.found[tested]
    modes = {"off": probabilities[tested], "profile": np.array(profile_rows), "auto": np.array(auto_rows)}
    return {
        "data": str(data), "people": len(people), "photos": len(tested),
        "no_face": int((~found).sum()), "refused_calibrations": refused,
        "support": {name: int((labels == index).sum()) for index, name in enumerate(EMOTIONS)},
        "modes": {mode: _figures(labels, rows.reshape(len(tested), len(EMOTIONS)), found)
                  for mode, rows in modes.items()},
    }


def _figures(labels: np.ndarray, probabilities: np.ndarray, found: np.ndarray) -> dict[str, Any]:
    report = classification_report(labels, probabilities, valid=found)
    predicted = np.where(found, probabilities.argmax(axis=1), -1)
    expressive = np.isin(labels, [EMOTIONS.index("happy"), EMOTIONS.index("surprise")])
    return {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
            "recall": {name: report["per_class"][name]["recall"] for name in WATCHED},
            "happy_or_surprise_read_as_neutral": int((expressive & (predicted == NEUTRAL)).sum())}
