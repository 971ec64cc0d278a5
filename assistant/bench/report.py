"""`bench report`: how long `assistant report` takes on a large synthetic session.

The session is written through the recorder before the clock starts.

It goes through `SessionRecorder` like a live session, so the file has the same indexes,
page layout and flush pattern as a real one: 30 fps, moods held for 20 s at a time, the
face gone one stretch in seven, and a round of suggestions at every fifth mood change.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from assistant.reports import queries
from assistant.storage.database import database
from assistant.storage.recorder import SessionRecorder, SuggestionRecord
from assistant.ui.report import render_report
from recognizer.classes import EMOTIONS

FPS = 30.0
#: The width the report is drawn at while it is timed (into memory, not the terminal).
WIDTH = 100
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
                    recorder.add_suggestions(t, [SuggestionRecord("music", f"Song {stretch}", "offline",
                                                                  artist=f"Artist {stretch}"),
                                                 SuggestionRecord("movie", f"Movie {stretch}", "offline",
                                                                  year=2000 + stretch % 25)],
                                             mood, "match")
            probabilities = frames[mood][k % 32] if mood is not None else None
            recorder.add_sample(t, start + t, probabilities, mood)
            recorder.maybe_flush()
        recorder.close("bench finished")
        return recorder.session_id


def run(samples: int) -> dict[str, Any]:
    """Seconds to build a session of ``samples`` frames, and to query and draw its report as `assistant report` does."""
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        build(path, samples)
        built = time.perf_counter() - started
        started = time.perf_counter()
        with database(path) as engine:
            report = queries.session_report(engine, queries.last_session_id(engine))
        Console(file=io.StringIO(), width=WIDTH).print(render_report(report))
        seconds = time.perf_counter() - started
    return {"samples": samples, "build_seconds": round(built, 3), "seconds": round(seconds, 3)}
