"""Calibration in the product: a person's baseline measured from a source, and the correction a command applies.

The maths is `recognizer.calibration`'s; this module connects it to sources, settings and
the profiles stored in the session database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from assistant.session.sources import Source
from assistant.storage.database import database
from assistant.storage.profiles import DEFAULT_PROFILE, Profile, check_name, find_profile
from config.settings import Settings
from recognizer.calibration import (
    Baseline,
    Calibration,
    CalibrationError,
    Calibrator,
    RunningCalibration,
    neutral_reference,
    refusal,
)
from recognizer.pipeline import EmotionPipeline


@dataclass(frozen=True)
class Watched:
    """What `watch` saw: every frame counted, and the largest face's probabilities where there was one."""

    frames: int
    probabilities: np.ndarray  # (faces, 7)


def watch(pipeline: EmotionPipeline, source: Source, seconds: float, stop: threading.Event) -> Watched:
    """The largest face of each frame for ``seconds`` of the source's time (or until it ends)."""
    frames, found = 0, []
    first_t: float | None = None
    for t, image in source.frames(stop):
        first_t = t if first_t is None else first_t
        if t - first_t >= seconds:
            break
        frames += 1
        faces = pipeline.analyze(image, largest_only=True)
        if faces:
            found.append(faces[0].probabilities)
    return Watched(frames, np.stack(found) if found else np.zeros((0, 7), np.float32))


def measure(pipeline: EmotionPipeline, source: Source, seconds: float, name: str) -> Profile:
    """A profile from what the source shows, or a one-line CalibrationError saying why it cannot be one.

    The pipeline must be uncorrected: a baseline is the model's own view of the face.
    """
    check_name(name)
    neutral_reference(pipeline.classifier.manifest)  # weights that cannot be calibrated are refused before watching
    try:
        watched = watch(pipeline, source, seconds, threading.Event())
    except (cv2.error, OSError) as error:
        raise CalibrationError(f"the source failed: {str(error).strip().splitlines()[0]}") from None
    baseline = Baseline.measure(watched.probabilities) if len(watched.probabilities) else None
    reason = refusal(baseline, watched.frames)
    if baseline is None or reason is not None:
        raise CalibrationError(f"nothing stored: {reason}")
    return Profile.new(name, pipeline.classifier.manifest["sha256"], baseline.log_probabilities,
                       baseline.frames, baseline.spread)


def stale_note(profile: Profile) -> str:
    return (f"profile {profile.name!r} was calibrated with other weights and is ignored; "
            f"calibrate again: `assistant calibrate --profile {profile.name}`")


def profile_calibration(db: Path, name: str, manifest: dict[str, Any], *,
                        required: bool) -> tuple[Calibrator | None, str | None]:
    """The correction of profile ``name`` for the weights of ``manifest``, and a note when it cannot be applied.

    A ``required`` profile (named on the command line) must exist; the default one is used
    when there is one. A profile made with other weights is ignored, with the note.
    """
    if not required and not db.exists():
        return None, None
    with database(db) as engine:
        profile = find_profile(engine, name)
    if profile is None:
        if required:
            raise CalibrationError(f"no profile {name!r} in {db}; make it with `assistant calibrate --profile {name}`")
        return None, None
    if profile.weights_sha256 != manifest.get("sha256"):
        return None, stale_note(profile)
    return Calibration.of(profile.baseline, neutral_reference(manifest)), None


def session_calibration(settings: Settings, db: Path, manifest: dict[str, Any],
                        profile: str | None) -> tuple[Calibrator | None, str | None]:
    """What the live session applies: the --profile given, else what recognizer.calibration says.

    Only the weights' manifest is needed, so a missing profile is refused before anything loads.
    """
    if profile is not None:
        return profile_calibration(db, profile, manifest, required=True)
    mode = settings.recognizer.calibration
    if mode == "auto":
        return RunningCalibration(neutral_reference(manifest)), None
    if mode == "profile":
        return profile_calibration(db, DEFAULT_PROFILE, manifest, required=False)
    return None, None
