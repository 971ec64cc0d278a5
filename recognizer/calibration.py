"""Person-specific normalisation: a resting face that the model misreads is read as resting.

A model trained on other people's faces reads some people's relaxed face as a little sad
or stern, all session long. As in OpenFace 2.0 (Baltrušaitis et al., "Cross-dataset
learning and person-specific normalisation", 2015), the person's own typical output is
measured (their *baseline*) and the model's output is corrected against it. Everything
here works on log-probabilities, which are the logits up to a per-face constant that the
softmax ignores, so it applies the same to the plain and the mirrored-average (TTA) output.

This module holds the maths only: measuring a baseline from frames, deciding whether it
can be one, and correcting probabilities with it, from a stored baseline (`Calibration`)
or from a running estimate over the session (`RunningCalibration`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from config.errors import UserError
from recognizer.classes import EMOTIONS

NEUTRAL = EMOTIONS.index("neutral")
#: What a resting face gets misread as ("a little sad, a little stern"): the only classes corrected.
CORRECTED = tuple(EMOTIONS.index(name) for name in ("angry", "disgust", "fear", "sad"))
#: Expressions a resting face does not show; a baseline that leans to them is a smile or a gasp, not a baseline.
EXPRESSIVE = tuple(EMOTIONS.index(name) for name in ("happy", "surprise"))
#: Probabilities are floored before the log: below it, differences are the model's noise, not the face.
FLOOR = 1e-4
#: Most a baseline's frames may differ from their mean (mean total-variation distance). Steady stretches
#: of the sample clips measure 0.07-0.10, the same clips across a change of expression 0.30-0.34.
MAX_SPREAD = 0.2
#: The most a class's log-odds are raised (tenfold odds; see `correction`).
MAX_RAISE = float(np.log(10.0))
#: Share of the watched frames that must have a face.
MIN_FACE_SHARE = 0.5
#: The running estimate (recognizer.calibration = "auto"): the face frames it keeps (5 minutes at
#: 30 fps, so a few minutes of one mood do not become the person's "usual" face), how many it
#: needs before it corrects anything (10 s at 30 fps), and how often it recomputes the median.
AUTO_WINDOW = 9000
AUTO_MIN_FRAMES = 300
AUTO_REFRESH_FRAMES = 30


class CalibrationError(UserError):
    """Frames that cannot serve as a baseline, or weights that cannot be calibrated."""


def log_probabilities(probabilities: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(probabilities, dtype=np.float64), FLOOR, 1.0))


def neutral_reference(manifest: dict[str, Any]) -> np.ndarray:
    """The model's mean log-probabilities on typical neutral faces, as its weights' manifest records them."""
    reference = manifest.get("neutral_reference", {}).get("log_probabilities")
    if not isinstance(reference, list) or len(reference) != len(EMOTIONS):
        raise CalibrationError("these weights carry no neutral reference to calibrate against; record one with "
                               "`assistant evaluate --data FERPLUS --split PublicTest --weights W --record-reference`")
    return np.asarray(reference, dtype=np.float64)


@dataclass(frozen=True)
class Baseline:
    """A person's resting face as the model sees it: mean log-probabilities over the frames with a face."""

    log_probabilities: np.ndarray  # (7,) in EMOTIONS order
    frames: int  # frames with a face it was measured on
    spread: float  # mean total-variation distance of those frames' probabilities from their mean

    @classmethod
    def measure(cls, probabilities: np.ndarray) -> Baseline:
        probabilities = np.asarray(probabilities, dtype=np.float64)
        mean = probabilities.mean(axis=0)
        spread = float(0.5 * np.abs(probabilities - mean).sum(axis=1).mean())
        return cls(log_probabilities(probabilities).mean(axis=0), len(probabilities), spread)


def refusal(baseline: Baseline | None, frames: int) -> str | None:
    """Why these frames cannot be a baseline (one line, for the person), or None when they can.

    ``baseline`` is None when no frame had a face; ``frames`` counts every frame watched.
    """
    if baseline is None or baseline.frames < MIN_FACE_SHARE * frames:
        found = 0 if baseline is None else baseline.frames
        return (f"a face was found in {found} of {frames} frames; face the camera in good light and calibrate again"
                if frames else "the source gave no frame")
    if baseline.spread > MAX_SPREAD:
        return (f"the face changed too much to be a baseline (spread {baseline.spread:.2f}, at most {MAX_SPREAD:g}); "
                "keep a relaxed face for the whole time")
    if expressive_lead(baseline.log_probabilities) is not None:
        # Named by what it reads as most: a frown that leaves neutral at 2 % is refused too (a 2 %
        # surprise outscores it), and "reads as surprise" would send the person looking for a gasp.
        read_as = EMOTIONS[int(np.argmax(baseline.log_probabilities))]
        return f"the face reads as {read_as}, not at rest; calibrate with a relaxed face"
    return None


def expressive_lead(log_probabilities: np.ndarray) -> str | None:
    """The expression (happy, surprise) that outscores neutral on a would-be baseline, if any."""
    for index in EXPRESSIVE:
        if log_probabilities[index] > log_probabilities[NEUTRAL]:
            return EMOTIONS[index]
    return None


def correction(baseline: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The shift added to every later face's log-probabilities: z' = z + d.

    With b the person's baseline and r the reference (mean log-probabilities of the
    model on typical neutral faces, from its validation split; see `neutral_reference`),
    the *excess* of class k is how much more the person's resting face leans to k over
    neutral than a typical neutral face does:

        e_k = (b_k - b_neutral) - (r_k - r_neutral)

    For the classes a resting face gets misread as (angry, disgust, fear, sad) the shift
    takes the person's own resting face as the zero point, as OpenFace's person-specific
    normalisation does:

        d_k = min(-e_k, ln 10)          when the baseline reads as one of those classes
        d_k = min(max(0, -e_k), ln 10)  when it already reads neutral
        d_k = 0                         for neutral, happy and surprise

    An over-read class (e_k > 0) is lowered by its excess, so a resting face the model
    reads as sad reads neutral. An under-read class (e_k < 0: the model reads this
    person's relaxed face as more purely neutral than a typical one) is raised by its
    deficit, so their frown, which the model scores weakly, counts as much as a typical
    person's does: on real photos most errors are expressions read as neutral
    (docs/calibration.md), and this is what lets calibration help on average. Limits:

    - An excess is not lowered when the baseline already reads neutral: the model is
      right about this person's resting face, and lowering a class there hid real
      expressions (angry recall 0.74 → 0.53 on real photos, docs/calibration.md).
    - A class is raised at most tenfold (ln 10): a baseline of a few frames on which the
      model gives a class almost nothing would otherwise multiply its odds up to 400-fold
      (the `FLOOR`). On real photos no raise came near it (the largest was 2.2).
    - Happy and surprise are never moved: calibration may not make a smile or a gasp
      read as neutral, nor a relaxed person look happier. A baseline that leans to them
      is refused when it is measured (`refusal`).
    - The shift is per class and constant, so a face that changes (a frown deepening)
      still changes the output as much as before; only the starting point moves.
    """
    excess = (baseline - baseline[NEUTRAL]) - (reference - reference[NEUTRAL])
    reads_neutral = int(baseline.argmax()) == NEUTRAL
    shift = np.zeros(len(EMOTIONS))
    for index in CORRECTED:
        lowered = 0.0 if reads_neutral else max(0.0, excess[index])
        shift[index] = min(max(0.0, -excess[index]), MAX_RAISE) - lowered
    return shift


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities of log-probabilities (or logits) along the last axis, as float32 like the classifier's."""
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def shifted(probabilities: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """(N, 7) probabilities with ``shift`` added to their log-probabilities, renormalised."""
    return softmax(log_probabilities(probabilities) + shift)


class Calibrator(Protocol):
    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        """(N, 7) probabilities → the same faces' corrected probabilities."""
        ...


@dataclass(frozen=True)
class Calibration:
    """A stored baseline applied to every face (recognizer.calibration = "profile", or --profile)."""

    shift: np.ndarray

    @classmethod
    def of(cls, baseline: np.ndarray, reference: np.ndarray) -> Calibration:
        return cls(correction(baseline, reference))

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        return shifted(probabilities, self.shift) if self.shift.any() else probabilities


class RunningCalibration:
    """recognizer.calibration = "auto": the baseline is the person's most frequent state, learned as they go.

    As OpenFace does for a video, the per-class median of the log-probabilities of the
    last `AUTO_WINDOW` faces stands for the person's typical face (a median, so the
    minutes they laugh or frown do not move it as long as they are at rest more often
    than not); it corrects nothing until `AUTO_MIN_FRAMES` faces are seen. The correction
    is `correction`'s, so a typical state that is happy or surprised, or already neutral,
    changes nothing. One person
    at a time: the live session feeds it the largest face of each frame.
    """

    def __init__(self, reference: np.ndarray) -> None:
        self.reference = reference
        self._recent = np.empty((AUTO_WINDOW, len(EMOTIONS)))  # a ring: frame k goes to row k % AUTO_WINDOW
        self._seen = 0
        self._shift: np.ndarray | None = None
        self._shift_at = 0  # frames seen when the shift was computed

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        for row in log_probabilities(probabilities):
            self._recent[self._seen % AUTO_WINDOW] = row
            self._seen += 1
        if self._seen < AUTO_MIN_FRAMES:
            return probabilities
        # The median of minutes of frames moves slowly: recomputing it every frame would only cost time.
        if self._shift is None or self._seen - self._shift_at >= AUTO_REFRESH_FRAMES:
            self._shift = typical_state_correction(self._recent[:min(self._seen, AUTO_WINDOW)], self.reference)
            self._shift_at = self._seen
        return shifted(probabilities, self._shift) if self._shift.any() else probabilities


def typical_state_correction(log_probabilities: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`correction` for the most frequent state of (N, 7) faces of one person: their per-class
    median; none when that state is happy or surprised (a cheerful person is not misread)."""
    typical = np.median(log_probabilities, axis=0)
    if expressive_lead(typical) is not None:
        return np.zeros(len(EMOTIONS))
    return correction(typical, reference)
