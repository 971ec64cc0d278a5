"""From noisy per-frame emotion probabilities to one steady mood.

A classifier's answer flickers from frame to frame; a person's mood does not. The tracker
smooths in time (not in frames, so a 10 fps webcam and a 60 fps video react alike), ignores
frames the classifier is unsure about, and only lets a new mood take over once it has led
for a while, so suggestions are not re-fetched every time someone blinks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from config.settings import TrackerSettings
from recognizer.classes import EMOTIONS


@dataclass(frozen=True, slots=True)
class MoodState:
    """The tracker's answer after one frame."""

    #: The current mood, or None while none is established (session start, face gone too long).
    mood: str | None
    #: The smoothed probability of ``mood``; None when the mood is unknown.
    confidence: float | None
    #: Smoothed probabilities in EMOTIONS order; None before the first frame that counted.
    probabilities: np.ndarray | None
    #: True on the frame where ``mood`` took a new value (including becoming unknown).
    changed: bool


class MoodTracker:
    """Exponential moving average in time, a confidence floor, and hysteresis on the leader."""

    def __init__(self, settings: TrackerSettings) -> None:
        self._settings = settings
        self._smoothed: np.ndarray | None = None
        self._mood: str | None = None
        self._candidate: str | None = None
        self._candidate_since = 0.0
        self._last_t: float | None = None
        self._last_face_t: float | None = None

    def update(self, t: float, probabilities: np.ndarray | None) -> MoodState:
        """Take one frame at time ``t`` (seconds on the source's timeline); None means no face.

        The time since the previous frame of any kind is what weighs a frame, so frames that
        do not count (no face, below the floor) freeze the average instead of letting the next
        good frame stand for the whole gap.
        """
        dt = 0.0 if self._last_t is None else max(t - self._last_t, 0.0)  # a clock step back counts as no time
        self._last_t = t
        if self._last_face_t is None:
            self._last_face_t = t  # "no face" is timed from the session's first frame
        if probabilities is not None:
            self._last_face_t = t
            self._observe(np.asarray(probabilities, dtype=np.float64), dt)
        elif t - self._last_face_t > self._settings.no_face_timeout_s:
            return self._forget()
        return self._settle(t)

    def _observe(self, probabilities: np.ndarray, dt: float) -> None:
        if probabilities.shape != (len(EMOTIONS),):
            raise ValueError(f"expected {len(EMOTIONS)} probabilities in EMOTIONS order, "
                             f"got shape {probabilities.shape}")
        if probabilities.max() < self._settings.confidence_floor:
            return
        if self._smoothed is None:
            self._smoothed = probabilities.copy()
        else:
            alpha = 1.0 - math.exp(-dt / self._settings.time_constant_s)
            self._smoothed += alpha * (probabilities - self._smoothed)

    def _settle(self, t: float) -> MoodState:
        """Hysteresis: the leader of the average must lead for min_dwell_s before it becomes the mood."""
        changed = False
        if self._smoothed is not None:
            leader = EMOTIONS[int(np.argmax(self._smoothed))]
            if leader == self._mood:
                self._candidate = None
            else:
                if leader != self._candidate:
                    self._candidate, self._candidate_since = leader, t
                # The tolerance keeps t = k/fps from missing the dwell by a rounding error.
                if t - self._candidate_since >= self._settings.min_dwell_s - 1e-9:
                    self._mood, self._candidate, changed = leader, None, True
        return self._state(changed)

    def _forget(self) -> MoodState:
        """The face has been gone too long: whoever comes back starts from scratch."""
        changed = self._mood is not None
        self._mood, self._smoothed, self._candidate = None, None, None
        return self._state(changed)

    def _state(self, changed: bool) -> MoodState:
        smoothed = None if self._smoothed is None else self._smoothed.copy()
        # A mood exists only once some frame counted, and forgetting clears both together.
        confidence = None if self._mood is None else float(smoothed[EMOTIONS.index(self._mood)])
        return MoodState(mood=self._mood, confidence=confidence, probabilities=smoothed, changed=changed)
