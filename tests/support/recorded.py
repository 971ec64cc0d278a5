"""A database with known contents, written through the recorder the live session uses.

Session 1 (samples every 0.5 s from t=0 to t=30, wall clock starting 23:59:50 on
2025-03-10 in UTC+05:30, so it crosses local midnight at t=10):
  t 0-1.5   face, no mood yet                    1.5 s   (the first sample stands for 0 s)
  t 2-11.5  face, happy (change at 2.0)         10.0 s
  t 12-14.5 no face, happy held                  3.0 s
  t 15-15.5 no face, unknown (change at 15.0)    1.0 s
  t 16-17.5 face, no mood yet                    2.0 s
  t 18-30   face, sad (change at 18.0)          12.5 s
  -> 30 s observed, 26 s with a face, 4 s without; happy 10/26, sad 12.5/26 of the face time;
     timeline None|happy 2-15|None|sad 18-30: 2 changes, longest steady 13 s.
  Suggestions: at 2.0 for happy Song A (Spotify URI) and Film A; at 18.0 for sad Song B
  (offline, no URI), Song A again and Film B.
Session 2 (t 0-4 every second, wall clock 08:00 on 2025-03-11): neutral throughout, no
suggestions -> 4 s, face share 1, no changes, longest steady 4 s.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from assistant.storage.recorder import SessionRecorder, SuggestionRecord

TZ = "IST-5:30"  # POSIX spelling of UTC+05:30: a half-hour offset, so hour buckets are tested properly
_LOCAL = timezone(timedelta(hours=5, minutes=30))
SESSION1_WALL = datetime(2025, 3, 10, 23, 59, 50, tzinfo=_LOCAL).timestamp()
SESSION2_WALL = datetime(2025, 3, 11, 8, 0, 0, tzinfo=_LOCAL).timestamp()
FACE = [0.05, 0.05, 0.05, 0.6, 0.1, 0.1, 0.05]

SONG_A = SuggestionRecord("music", "Song A", "online", artist="Band A", genre="pop", uri="spotify:track:aaa")
FILM_A = SuggestionRecord("movie", "Film A", "online", year=1999, genre="Comedy", tmdb_id=11)
SONG_B = SuggestionRecord("music", "Song B", "offline", artist="Band B", genre="blues")
FILM_B = SuggestionRecord("movie", "Film B", "offline", year=2005, genre="Drama")


def _session1_frame(t: float) -> tuple[bool, str | None]:
    if t < 2:
        return True, None
    if t < 12:
        return True, "happy"
    if t < 15:
        return False, "happy"
    if t < 16:
        return False, None
    if t < 18:
        return True, None
    return True, "sad"


def build(path: Path) -> None:
    with SessionRecorder.start(path, "0", '{"tracker": {"min_dwell_s": 2.0}}') as rec:
        for k in range(61):
            t = k / 2
            face, mood = _session1_frame(t)
            rec.add_sample(t, SESSION1_WALL + t, FACE if face else None, mood)
            if t == 2.0:
                rec.add_mood_change(t, "happy")
                rec.add_suggestions(t, [SONG_A, FILM_A], "happy", "match")
            elif t == 15.0:
                rec.add_mood_change(t, None)
            elif t == 18.0:
                rec.add_mood_change(t, "sad")
                rec.add_suggestions(t, [SONG_B, SONG_A, FILM_B], "sad", "uplift")
        rec.close("interrupted")
    with SessionRecorder.start(path, "clip.mp4", "{}") as rec:
        rec.add_mood_change(0.0, "neutral")
        for t in range(5):
            rec.add_sample(float(t), SESSION2_WALL + t, FACE, "neutral")
        rec.close("source ended")
