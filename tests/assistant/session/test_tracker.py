"""The mood tracker on synthetic sequences: steadiness, reaction time, frame-rate independence, no face."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from assistant.session.tracker import MoodTracker
from config.settings import TrackerSettings
from recognizer.classes import EMOTIONS

SETTINGS = TrackerSettings(time_constant_s=1.0, confidence_floor=0.35, min_dwell_s=2.0, no_face_timeout_s=3.0)


def peaked(mood: str, strength: float = 0.7) -> np.ndarray:
    """A clean classifier answer: ``strength`` on ``mood``, the rest shared evenly."""
    p = np.full(len(EMOTIONS), (1.0 - strength) / (len(EMOTIONS) - 1))
    p[EMOTIONS.index(mood)] = strength
    return p


def noisy(mood: str, rng: np.random.Generator, strength: float = 0.45, spread: float = 0.25) -> np.ndarray:
    p = np.clip(peaked(mood, strength) + rng.uniform(-spread, spread, len(EMOTIONS)), 0.0, None)
    return p / p.sum()


def run(signal: Callable[[float], np.ndarray | None], seconds: float, fps: float) -> list[tuple[float, str | None]]:
    """Feed ``signal(t)`` at ``fps`` and return the (t, mood) of every change event."""
    tracker = MoodTracker(SETTINGS)
    changes = []
    for k in range(int(seconds * fps) + 1):
        t = k / fps
        state = tracker.update(t, signal(t))
        if state.changed:
            changes.append((t, state.mood))
    return changes


def test_steady_noisy_expression_does_not_flicker() -> None:
    rng = np.random.default_rng(1)
    frames = [noisy("happy", rng) for _ in range(30 * 60)]
    frame_leaders = [EMOTIONS[int(np.argmax(p))] for p in frames]
    assert sum(leader != "happy" for leader in frame_leaders) > 0.1 * len(frames), (
        "the noise must make single frames flicker")

    changes = run(lambda t: frames[round(t * 30)], seconds=59.9, fps=30)

    assert changes == [(pytest.approx(SETTINGS.min_dwell_s, abs=1 / 30), "happy")]


def test_first_mood_is_established_after_the_dwell_time() -> None:
    tracker = MoodTracker(SETTINGS)
    states = [tracker.update(k / 10, peaked("neutral")) for k in range(31)]
    assert [s.mood for s in states[:20]] == [None] * 20
    assert states[20].changed and states[20].mood == "neutral"
    assert states[20].confidence == pytest.approx(0.7)
    assert not any(s.changed for s in states[21:])


def test_real_change_is_followed_within_dwell_plus_a_few_time_constants() -> None:
    rng = np.random.default_rng(2)
    switch = 10.0
    changes = run(lambda t: noisy("happy" if t < switch else "sad", rng), seconds=25, fps=30)

    assert [mood for _, mood in changes] == ["happy", "sad"]
    reaction = changes[1][0] - switch
    assert SETTINGS.min_dwell_s <= reaction <= SETTINGS.min_dwell_s + 3 * SETTINGS.time_constant_s


@pytest.mark.parametrize("offset", [0.0, 0.013, 0.05, 0.087])
def test_10_and_60_fps_give_the_same_change_times_within_one_frame(offset: float) -> None:
    def signal(t: float) -> np.ndarray | None:
        if t < 4.3 + offset:
            return peaked("happy")
        if t < 11.7 + offset:
            return peaked("surprise", 0.5)
        if t < 13.0 + offset:
            return None  # a short look away: shorter than the timeout, the mood holds
        return peaked("neutral", 0.6)

    slow, fast = run(signal, 25, fps=10), run(signal, 25, fps=60)

    assert [m for _, m in slow] == [m for _, m in fast] == ["happy", "surprise", "neutral"]
    for (t_slow, _), (t_fast, _) in zip(slow, fast, strict=True):
        assert abs(t_slow - t_fast) <= 1 / 10 + 1e-9


def test_no_face_longer_than_the_timeout_makes_the_mood_unknown_then_starts_afresh() -> None:
    def signal(t: float) -> np.ndarray | None:
        if t < 5.0:
            return peaked("happy")
        if t < 10.0:
            return None
        return peaked("sad")

    tracker = MoodTracker(SETTINGS)
    events = []
    for k in range(200):
        t = k / 10
        state = tracker.update(t, signal(t))
        if state.changed:
            events.append((t, state.mood, state.confidence, state.probabilities))

    (t1, m1, _, _), (t2, m2, c2, p2), (t3, m3, c3, _) = events
    assert (t1, m1) == (pytest.approx(2.0), "happy")
    # the last face was at 4.9 s; the first frame more than 3 s later is 8.0 s
    assert (t2, m2, c2, p2) == (pytest.approx(8.0), None, None, None)
    # the old average is gone: sad leads from its first frame and needs only the dwell time
    assert (t3, m3, c3) == (pytest.approx(12.0), "sad", pytest.approx(0.7))


def test_frames_below_the_confidence_floor_do_not_move_the_mood() -> None:
    unsure_sad = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.2])  # top 0.3 < floor 0.35
    tracker = MoodTracker(SETTINGS)
    for k in range(31):
        state = tracker.update(k / 10, peaked("happy"))
    before = state.probabilities
    for k in range(31, 200):
        state = tracker.update(k / 10, unsure_sad)
        assert not state.changed
    assert state.mood == "happy"
    np.testing.assert_array_equal(state.probabilities, before)


def test_probabilities_in_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="7 probabilities"):
        MoodTracker(SETTINGS).update(0.0, np.array([0.5, 0.5]))
