"""The tables, as SQLModel classes for code that wants rows as objects.

The schema itself is created by the numbered functions in `migrations`, never by
`create_all`, so that a database written by an older release can be upgraded in place;
a test checks that the two agree. Times are unix seconds (REAL): durations are then plain
subtraction in SQL, and local days and hours are computed at read time in the reader's
time zone. `t` is seconds on the source's own timeline (capture time or position in the
video file), the clock the mood tracker runs on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel, func, select


def among(column: Any, ids: Iterable[int]) -> Any:
    """``column IN ids`` with the ids sent as one JSON parameter: SQLite refuses more than
    32,766 bound variables, and `forget --all` or a long period may name more sessions."""
    return column.in_(select(func.json_each(json.dumps(list(ids))).table_valued("value").c.value))


class SessionRow(SQLModel, table=True):
    """One run of `assistant start`; ended_at stays NULL if the process was killed."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_started_at", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    started_at: float
    ended_at: float | None = None
    source: str
    settings: str  # the settings the session ran with, as JSON
    end_reason: str | None = None


class SessionPart(SQLModel):
    """The first columns of every row a session writes as it runs: its own id, its session, and
    ``t``. A table model lists the fields of its bases from the last base to the first, so a table
    that has other bases names this one last to keep these columns first, as the migrations have them."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", ondelete="CASCADE")
    t: float


class SampleRow(SessionPart, table=True):
    """One processed frame: no image, only whether a face was seen and what it looked like."""

    __tablename__ = "mood_samples"
    # Covering index of every report query: per session, the time per (face, mood) is a
    # SUM(dt) read from the index alone, which is what keeps a million samples under 2 s.
    __table_args__ = (Index("ix_mood_samples_report", "session_id", "face", "mood", "dt", "t", "wall_time"),)

    # Seconds since the session's previous sample (0 for the first): the stretch of time
    # this sample stands for, so time shares are sums instead of window functions.
    dt: float
    wall_time: float
    face: bool
    # The classifier's probabilities for this frame (NULL without a face), one column per
    # name of recognizer.classes.EMOTIONS.
    angry: float | None = None
    disgust: float | None = None
    fear: float | None = None
    happy: float | None = None
    neutral: float | None = None
    sad: float | None = None
    surprise: float | None = None
    mood: str | None = None  # the tracked mood after this frame; NULL while unknown


class MoodChangeRow(SessionPart, table=True):
    """A change of the tracked mood; mood NULL means it became unknown (face gone too long)."""

    __tablename__ = "mood_changes"
    __table_args__ = (Index("ix_mood_changes_session_t", "session_id", "t"),)

    mood: str | None = None


class SuggestionBase(SQLModel):
    """A suggested song or movie: the fields the recorder is given, the table keeps and exports show.

    ``kind`` is "music" or "movie"; ``source`` is "online" (Spotify, TMDB) or "offline" (the
    bundled catalog). Songs carry ``artist`` and, when Spotify knows them, ``uri``; movies
    carry ``year`` and ``tmdb_id``.
    """

    kind: str
    title: str
    artist: str | None = None
    year: int | None = None
    genre: str | None = None
    uri: str | None = None
    tmdb_id: int | None = None
    source: str


class SuggestionChoice(SuggestionBase):
    """A suggestion with the mood and the strategy it was chosen for."""

    mood: str | None = None
    strategy: str


class SuggestionRow(SuggestionChoice, SessionPart, table=True):
    """One suggested song or movie, with the mood and strategy it was chosen for."""

    __tablename__ = "suggestions"
    __table_args__ = (
        Index("ix_suggestions_session_t", "session_id", "t"),
        CheckConstraint("kind IN ('music', 'movie')", name="ck_suggestions_kind"),
        CheckConstraint("source IN ('online', 'offline')", name="ck_suggestions_source"),
    )


class RatingRow(SQLModel, table=True):
    """A like or a dismissal of one suggestion; at most one per suggestion (a new verdict replaces it).

    Everything else a rating is about (kind, genre, title, the mood and strategy it was
    suggested under) is on its suggestion row, so the two can never disagree; the rating
    goes when its session or suggestion does.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        Index("ux_ratings_suggestion", "suggestion_id", unique=True),
        Index("ix_ratings_session", "session_id"),
        CheckConstraint("verdict IN ('like', 'dismiss')", name="ck_ratings_verdict"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", ondelete="CASCADE")
    suggestion_id: int = Field(foreign_key="suggestions.id", ondelete="CASCADE")
    verdict: str
    rated_at: float


class TasteGenreRow(SQLModel, table=True):
    """What the ratings taught about one genre in one context: the counts of `recommenders.taste`.

    Kept apart from the ratings so that forgetting a session keeps the taste it taught
    (`forget --all` removes both). Movie genres are TMDB's English names.
    """

    __tablename__ = "taste_genres"
    __table_args__ = (
        Index("ux_taste_genres", "mood", "strategy", "kind", "genre", unique=True),
        CheckConstraint("kind IN ('music', 'movie')", name="ck_taste_genres_kind"),
        CheckConstraint("likes >= 0 AND dismissals >= 0", name="ck_taste_genres_counts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mood: str
    strategy: str
    kind: str
    genre: str
    likes: int = 0
    dismissals: int = 0


class TasteItemRow(SQLModel, table=True):
    """The latest verdict on one item, by `recommenders.base` key: dismissed ones are never suggested again."""

    __tablename__ = "taste_items"
    __table_args__ = (
        Index("ux_taste_items_key", "item_key", unique=True),
        CheckConstraint("verdict IN ('like', 'dismiss')", name="ck_taste_items_verdict"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_key: str
    verdict: str
    rated_at: float


class ProfileRow(SQLModel, table=True):
    """A person's calibration: their resting face as the model saw it, never an image of it.

    ``baseline`` is the mean log-probability of each emotion over the frames (JSON, keyed by
    emotion); it only means something for the weights whose sha256 it records.
    """

    __tablename__ = "profiles"
    __table_args__ = (Index("ix_profiles_name", "name", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    created_at: float
    weights_sha256: str
    baseline: str
    frames: int
    spread: float
