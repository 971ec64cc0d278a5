"""A large synthetic session for `assistant bench report`, written through the recorder.

It goes through `SessionRecorder` like a live session, so the file has the same indexes,
page layout and flush pattern as a real one: 30 fps, moods held for 20 s at a time, the
face gone one stretch in seven, and a round of suggestions at every fifth mood change.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from assistant.storage.recorder import SessionRecorder, SuggestionRecord
from recognizer.classes import EMOTIONS

FPS = 30.0
STRETCH_FRAMES = 600


def _probabilities(mood: str, rng: np.random.Generator) -> list[float]:
    p = rng.dirichlet(np.ones(len(EMOTIONS))) * 0.4
    p[EMOTIONS.index(mood)] += 0.6
    return p.tolist()


def build(path: Path, samples: int, seed: int = 0) -> int:
    """Record one session of ``samples`` frames into ``path``; returns its id."""
    rng = np.random.default_rng(seed)
    # A few dozen distinct frames per mood, reused: generating a million is not what is measured.
    frames = {mood: [_probabilities(mood, rng) for _ in range(32)] for mood in EMOTIONS}
    start = time.time() - samples / FPS
    with SessionRecorder.start(path, "bench", '{"bench": "report"}') as recorder:
        mood: str | None = None
        for k in range(samples):
            t = k / FPS
            stretch = k // STRETCH_FRAMES
            face = stretch % 7 != 6
            if k % STRETCH_FRAMES == 0:
                mood = EMOTIONS[stretch % len(EMOTIONS)] if face else None
                recorder.add_mood_change(t, mood)
                if stretch % 5 == 0 and mood is not None:
                    recorder.add_suggestions(t, [SuggestionRecord("music", f"Song {stretch}", "offline", artist=f"Artist {stretch}"),
                                                 SuggestionRecord("movie", f"Movie {stretch}", "offline", year=2000 + stretch % 25)],
                                             mood, "match")
            probabilities = frames[mood][k % 32] if mood is not None else None
            recorder.add_sample(t, start + t, probabilities, mood)
            recorder.maybe_flush()
        recorder.close("bench finished")
        return recorder.session_id
