"""Figures about past sessions: what `history`, `report` and `export` show.

SQLite does the counting. Every sample stores the time it stands for (`dt`), so time per
mood is a SUM over the covering index `ix_mood_samples_report`, and a session of a million
frames is read without a million rows ever reaching Python: those sums, and the mood changes
read with them, stay hand-written SQL (the fast path `assistant bench report` times). Sessions
and suggestions are read as SQLModel rows. Times shown as days and hours are the reader's local time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from pydantic import ConfigDict
from sqlalchemy import Connection, Engine
from sqlmodel import Session, func, select

from assistant.storage.models import SessionRow, SuggestionChoice, SuggestionRow, among
from config.errors import UserError
from recognizer.classes import EMOTIONS

# Buckets for "by day" and "by hour": a quarter of an hour lines up with every UTC offset
# in use (some are :30 or :45), so each bucket falls into exactly one local hour.
_BUCKET_S = 900
_IN = "IN (SELECT value FROM json_each(:ids))"
#: The share of time with no mood: none established yet, or no face in view.
UNKNOWN = "unknown"


class ReportError(UserError):
    """Nothing to report on, or no such session."""


def iso(timestamp: float) -> str:
    """Unix seconds as local ISO 8601 with its offset, as every JSON output shows times."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Totals:
    """Seconds per tracked mood while a face was seen (None: no mood established yet), and without one."""

    mood_seconds: dict[str | None, float] = field(default_factory=dict)
    no_face_s: float = 0.0

    @property
    def face_s(self) -> float:
        return sum(self.mood_seconds.values())

    @property
    def duration_s(self) -> float:
        return self.face_s + self.no_face_s

    @property
    def mood_share(self) -> dict[str, float]:
        """Fraction of the observed time per mood held with a face in view, in EMOTIONS order,
        then "unknown" (no mood established yet, or no face): together they make the whole
        time. Moods never held are left out."""
        total = self.duration_s
        if total <= 0:
            return {}
        shares = {mood: self.mood_seconds[mood] / total for mood in EMOTIONS if self.mood_seconds.get(mood)}
        unknown = self.no_face_s + self.mood_seconds.get(None, 0.0)
        if unknown > 0:
            shares[UNKNOWN] = unknown / total
        return shares

    @property
    def dominant_mood(self) -> str | None:
        known = {mood: seconds for mood, seconds in self.mood_seconds.items() if mood is not None and seconds > 0}
        return max(known, key=lambda mood: (known[mood], -EMOTIONS.index(mood))) if known else None

    def plus(self, other: Totals) -> Totals:
        seconds = dict(self.mood_seconds)
        for mood, value in other.mood_seconds.items():
            seconds[mood] = seconds.get(mood, 0.0) + value
        return Totals(seconds, self.no_face_s + other.no_face_s)


@dataclass(frozen=True)
class Stretch:
    """A stretch of the timeline with one tracked mood (None: unknown)."""

    start: float
    end: float
    mood: str | None

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class HistoryEntry:
    """One line of `history`."""

    id: int
    start: float
    totals: Totals
    mood_changes: int
    suggestions: int

    @property
    def face_share(self) -> float:
        return self.totals.face_s / self.totals.duration_s if self.totals.duration_s else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "start": iso(self.start), "duration_s": _s(self.totals.duration_s),
                "dominant_mood": self.totals.dominant_mood, "face_share": _share(self.face_share),
                "mood_changes": self.mood_changes, "suggestions": self.suggestions}


@dataclass(frozen=True)
class Figures:
    """What a report shows, for one session or a period."""

    totals: Totals
    changes: int
    longest_steady_s: float
    suggestions: list[SuggestionRow]

    def to_json(self) -> dict[str, Any]:
        return {"duration_s": _s(self.totals.duration_s),
                "mood_share": {mood: _share(share) for mood, share in self.totals.mood_share.items()},
                "changes": self.changes, "longest_steady_s": _s(self.longest_steady_s),
                "no_face_s": _s(self.totals.no_face_s)}


@dataclass(frozen=True)
class SessionReport:
    session_id: int
    start: float
    figures: Figures
    timeline: list[Stretch]

    def to_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "start": iso(self.start), **self.figures.to_json(),
                "timeline": [{"t": _s(s.start), "mood": s.mood} for s in self.timeline],
                "suggestions": [_suggestion_json(s) for s in self.figures.suggestions]}


@dataclass(frozen=True)
class Bucket:
    """Face time by mood within one local day or one hour of the day."""

    label: str | int
    totals: Totals

    def to_json(self, key: str) -> dict[str, Any]:
        return {key: self.label, "face_s": _s(self.totals.face_s), "dominant_mood": self.totals.dominant_mood,
                "mood_share": {mood: _share(share) for mood, share in self.totals.mood_share.items()}}


@dataclass(frozen=True)
class PeriodReport:
    since: float
    session_ids: list[int]
    figures: Figures
    by_day: list[Bucket]
    by_hour: list[Bucket]

    def to_json(self) -> dict[str, Any]:
        return {"since": iso(self.since), "sessions": self.session_ids, **self.figures.to_json(),
                "suggestions": [{"session_id": s.session_id, **_suggestion_json(s)} for s in self.figures.suggestions],
                "by_day": [b.to_json("day") for b in self.by_day], "by_hour": [b.to_json("hour") for b in self.by_hour]}


def _s(seconds: float) -> float:
    return round(seconds, 3)


def _share(fraction: float) -> float:
    return round(fraction, 4)


def _suggestion_json(s: SuggestionRow) -> dict[str, Any]:
    detail = {"artist": s.artist} if s.kind == "music" else {"year": s.year}
    return {"kind": s.kind, "title": s.title, **detail, "mood": s.mood, "t": _s(s.t)}


def _ids(ids: Iterable[int]) -> dict[str, str]:
    """Session ids as one JSON parameter, so a period of any length is one query."""
    return {"ids": json.dumps(list(ids))}


def _check_not_empty(db: Session) -> None:
    if db.exec(select(SessionRow.id).limit(1)).first() is None:
        raise ReportError("no sessions recorded in this database yet; `assistant start` records one")


def _session(db: Session, session_id: int) -> SessionRow:
    _check_not_empty(db)
    session = db.get(SessionRow, session_id)
    if session is None:
        raise ReportError(f"no session {session_id}; `assistant history` lists the sessions")
    return session


def _totals(conn: Connection, ids: list[int]) -> dict[int, tuple[Totals, float, float]]:
    """Per session: its Totals and the first and last sample times on its source's timeline."""
    rows = conn.exec_driver_sql(
        f"SELECT session_id, face, mood, SUM(dt), MIN(t), MAX(t) FROM mood_samples WHERE session_id {_IN} "
        "GROUP BY session_id, face, mood", _ids(ids))
    seconds: dict[int, dict[str | None, float]] = defaultdict(dict)
    no_face: dict[int, float] = defaultdict(float)
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for session_id, face, mood, total, t_min, t_max in rows:
        if face:
            seconds[session_id][mood] = total
        else:
            no_face[session_id] += total
        first[session_id] = min(first.get(session_id, t_min), t_min)
        last[session_id] = max(last.get(session_id, t_max), t_max)
    return {i: (Totals(seconds[i], no_face[i]), first.get(i, 0.0), last.get(i, 0.0)) for i in ids}


def _changes(conn: Connection, ids: list[int]) -> dict[int, list[tuple[float, str | None]]]:
    rows = conn.exec_driver_sql(
        f"SELECT session_id, t, mood FROM mood_changes WHERE session_id {_IN} ORDER BY session_id, t, id", _ids(ids))
    changes: dict[int, list[tuple[float, str | None]]] = {i: [] for i in ids}
    for session_id, t, mood in rows:
        changes[session_id].append((t, mood))
    return changes


def _timeline(first: float, last: float, changes: list[tuple[float, str | None]]) -> list[Stretch]:
    """The tracked mood from the first sample to the last: unknown until the first change."""
    stretches = []
    starts = [(first, None), *changes]
    for (start, mood), (end, _) in zip(starts, [*changes, (last, None)], strict=True):
        if end > start:
            stretches.append(Stretch(start, end, mood))
    return stretches


def _change_count(changes: list[tuple[float, str | None]]) -> int:
    """The first mood established is where the session starts, not a change."""
    return max(len(changes) - 1, 0)


def _longest_steady(timeline: list[Stretch]) -> float:
    return max((s.seconds for s in timeline if s.mood is not None), default=0.0)


def _suggestions(db: Session, ids: list[int]) -> list[SuggestionRow]:
    return list(db.exec(select(SuggestionRow).where(among(SuggestionRow.session_id, ids))
                        .order_by(SuggestionRow.session_id, SuggestionRow.t, SuggestionRow.id)))


def history(engine: Engine, *, limit: int | None = None, since: float | None = None) -> list[HistoryEntry]:
    """Sessions newest first, at most ``limit``, started at or after ``since`` (unix seconds)."""
    with Session(engine) as db:
        _check_not_empty(db)
        query = select(SessionRow).order_by(SessionRow.started_at.desc(), SessionRow.id.desc()).limit(limit)
        sessions = db.exec(query if since is None else query.where(SessionRow.started_at >= since)).all()
        ids = [session.id for session in sessions]
        totals = _totals(db.connection(), ids)
        changes = _changes(db.connection(), ids)
        counts = dict(db.exec(select(SuggestionRow.session_id, func.count()).where(among(SuggestionRow.session_id, ids))
                              .group_by(SuggestionRow.session_id)).all())
    return [HistoryEntry(s.id, s.started_at, totals[s.id][0], _change_count(changes[s.id]), counts.get(s.id, 0))
            for s in sessions]


def last_session_id(engine: Engine) -> int:
    with Session(engine) as db:
        _check_not_empty(db)
        return db.exec(select(SessionRow.id)
                       .order_by(SessionRow.started_at.desc(), SessionRow.id.desc()).limit(1)).one()


def session_report(engine: Engine, session_id: int) -> SessionReport:
    with Session(engine) as db:
        start = _session(db, session_id).started_at
        conn = db.connection()
        totals, first, last = _totals(conn, [session_id])[session_id]
        changes = _changes(conn, [session_id])[session_id]
        suggestions = _suggestions(db, [session_id])
    timeline = _timeline(first, last, changes)
    figures = Figures(totals, _change_count(changes), _longest_steady(timeline), suggestions)
    return SessionReport(session_id, start, figures, timeline)


def period_report(engine: Engine, since: float) -> PeriodReport:
    """All sessions started at or after ``since``, with face time by local day and by hour of day."""
    with Session(engine) as db:
        _check_not_empty(db)
        ids = list(db.exec(select(SessionRow.id).where(SessionRow.started_at >= since)
                           .order_by(SessionRow.started_at, SessionRow.id)))
        if not ids:
            raise ReportError(f"no sessions since {iso(since)}")
        conn = db.connection()
        per_session = _totals(conn, ids)
        changes = _changes(conn, ids)
        suggestions = _suggestions(db, ids)
        # A sample's place in the day is its session's first wall-clock time plus the
        # sample's source time: a camera's source time runs with the clock, and a video
        # analysed faster than it plays spreads its face time over the time it covers
        # (as its durations do) instead of piling an hour into one quarter-hour.
        quarters = conn.exec_driver_sql(
            f"WITH anchors AS (SELECT session_id, MIN(wall_time) - MIN(t) AS anchor FROM mood_samples "
            f"WHERE session_id {_IN} GROUP BY session_id) "
            f"SELECT CAST((anchor + t) / {_BUCKET_S} AS INTEGER) AS quarter, mood, SUM(dt) "
            f"FROM mood_samples JOIN anchors USING (session_id) WHERE face = 1 GROUP BY quarter, mood", _ids(ids)).all()
    totals = Totals()
    longest = 0.0
    for i in ids:
        session_totals, first, last = per_session[i]
        totals = totals.plus(session_totals)
        longest = max(longest, _longest_steady(_timeline(first, last, changes[i])))
    by_day: dict[str, dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    by_hour: dict[int, dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    for quarter, mood, seconds in quarters:
        local = datetime.fromtimestamp(quarter * _BUCKET_S)
        by_day[local.date().isoformat()][mood] += seconds
        by_hour[local.hour][mood] += seconds
    figures = Figures(totals, sum(_change_count(c) for c in changes.values()), longest, suggestions)
    return PeriodReport(since, ids, figures,
                        [Bucket(day, Totals(dict(by_day[day]))) for day in sorted(by_day)],
                        [Bucket(hour, Totals(dict(by_hour[hour]))) for hour in sorted(by_hour)])


class ExportItem(SuggestionChoice):
    """A suggestion with everything the database knows about it, for playlists and files."""

    model_config = ConfigDict(frozen=True)

    t: float  # last, where exports have always put it (the table has it third, see `SessionPart`)


def export_items(engine: Engine, session_id: int) -> tuple[float, list[ExportItem]]:
    """The session's start and every suggestion it made, in order; an unknown id is an error."""
    with Session(engine) as db:
        start = _session(db, session_id).started_at
        return start, [ExportItem.model_validate(row, from_attributes=True)
                       for row in _suggestions(db, [session_id])]
