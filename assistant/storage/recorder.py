"""The live session's writer: cheap to call every frame, durable to within half a second.

Each frame only appends a tuple to a list; the caller's loop calls `maybe_flush()` and the
rows go to SQLite in one transaction about twice a second (`FLUSH_INTERVAL_S`). WAL with
synchronous=NORMAL keeps every committed transaction when the process is killed, so a
SIGKILL costs at most what was buffered since the last flush and never the file's integrity.

The session row, the suggestions and the ratings are written as SQLModel rows. Mood samples
(one per frame) and mood changes are hand-written executemany: `assistant bench report`
records a million of them, and building a model object per frame would cost that target.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import ConfigDict, model_validator
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, update

from assistant.storage import ratings
from assistant.storage.database import BUSY_TIMEOUT_MS, StorageError, open_engine, storage_error
from assistant.storage.lock import DatabaseLock
from assistant.storage.models import SessionRow, SuggestionBase, SuggestionRow
from recognizer.classes import EMOTIONS
from recommenders.taste import VERDICTS, Verdict

FLUSH_INTERVAL_S = 0.5
# At the end of a session a failing write is tried this many times, this far apart, before rows are given up.
CLOSE_ATTEMPTS = 5
# How long a flush from the frame loop waits for another program's write lock: about a frame.
# A busy file costs a try, not a frozen video; the rows wait for the next one.
LOOP_BUSY_TIMEOUT_MS = 20
CLOSE_RETRY_S = 1.0
_MOODS = frozenset(EMOTIONS)
_SAMPLE_INSERT = (
    f"INSERT INTO mood_samples (session_id, t, dt, wall_time, face, {', '.join(EMOTIONS)}, mood) "
    f"VALUES ({', '.join('?' * (len(EMOTIONS) + 6))})"
)
_CHANGE_INSERT = "INSERT INTO mood_changes (session_id, t, mood) VALUES (?, ?, ?)"


class SuggestionRecord(SuggestionBase):
    """One suggested item as `SessionRecorder.add_suggestions` takes it, checked before it is buffered.

    Anything with these attribute or key names can be passed instead (see `of`).
    """

    model_config = ConfigDict(frozen=True)

    def __init__(self, kind: str, title: str, source: str, **details: Any) -> None:
        """The three fields every suggestion has, in order; the others (artist, year, ...) by name."""
        super().__init__(kind=kind, title=title, source=source, **details)

    @model_validator(mode="after")
    def _known(self) -> SuggestionRecord:
        if self.kind not in ("music", "movie"):
            raise ValueError(f"suggestion kind must be 'music' or 'movie', not {self.kind!r}")
        if self.source not in ("online", "offline"):
            raise ValueError(f"suggestion source must be 'online' or 'offline', not {self.source!r}")
        if not self.title:
            raise ValueError("a suggestion needs a title")
        return self

    @classmethod
    def of(cls, item: SuggestionRecord | Mapping[str, Any] | object) -> SuggestionRecord:
        """A record from a mapping or any object with the same field names (missing ones are None)."""
        if isinstance(item, cls):
            return item
        if isinstance(item, Mapping):
            return cls(**{name: item.get(name) for name in SuggestionBase.model_fields})
        return cls(**{name: getattr(item, name, None) for name in SuggestionBase.model_fields})


class SessionRecorder:
    """Writes one session. Not thread-safe: drive it from the loop that reads the frames."""

    def __init__(self, path: Path, engine: Engine, conn: Connection, lock: DatabaseLock, session_id: int) -> None:
        """Use `SessionRecorder.start`."""
        self.path = path
        self.session_id = session_id
        self.closed = False
        self._engine, self._conn, self._lock = engine, conn, lock
        self._samples: list[tuple] = []
        self._changes: list[tuple] = []
        self._suggestions: list[dict[str, Any]] = []  # SuggestionRow fields; a new row is made at each try
        self._suggestion_ids: list[int] = []  # row ids of the suggestions flushed, in the order they were added
        self._ratings: list[tuple[int, Verdict, float]] = []
        self._last_t: float | None = None
        self._last_flush = time.monotonic()
        #: Why the last flush failed (its rows are still buffered), or None after a flush that worked.
        self.flush_error: str | None = None

    @classmethod
    def start(cls, db_path: Path, source: str, settings_json: str) -> SessionRecorder:
        """Open (or create) the database, record a new session row, and hold the session lock."""
        json.loads(settings_json)  # a ValueError now rather than unreadable settings in every report
        engine = open_engine(db_path, create=True)
        try:
            lock = DatabaseLock(db_path, exclusive=False)
        except BaseException:
            engine.dispose()
            raise
        conn: Connection | None = None
        try:
            conn = engine.connect().execution_options(immediate=True)
            with conn.begin(), Session(bind=conn) as db:
                row = SessionRow(started_at=time.time(), source=source, settings=settings_json)
                db.add(row)
                db.flush()
                session_id = row.id
        except BaseException as error:
            if conn is not None:
                conn.close()
            engine.dispose()
            lock.release()
            if isinstance(error, (sqlite3.Error, DBAPIError)):
                raise storage_error(db_path, error) from None
            raise
        return cls(db_path, engine, conn, lock, session_id)

    def add_sample(self, t: float, wall_time: float, probabilities: Sequence[float] | None, mood: str | None) -> None:
        """One frame: ``t`` on the source's timeline, ``wall_time`` unix seconds, None for no face."""
        if probabilities is None:
            values: Sequence[float | None] = (None,) * len(EMOTIONS)
        else:
            values = [float(p) for p in probabilities]
            if len(values) != len(EMOTIONS):
                raise ValueError(f"expected {len(EMOTIONS)} probabilities in EMOTIONS order, got {len(values)}")
        mood = _checked(mood)
        dt = 0.0 if self._last_t is None else max(t - self._last_t, 0.0)  # a clock step back stands for no time
        self._last_t = t
        self._samples.append((self.session_id, t, dt, wall_time, probabilities is not None, *values, mood))

    def add_mood_change(self, t: float, mood: str | None) -> None:
        """The tracked mood became ``mood`` (None: unknown) at ``t``."""
        self._changes.append((self.session_id, t, _checked(mood)))

    def add_suggestions(self, t: float, items: Iterable[SuggestionRecord | Mapping[str, Any] | object],
                        mood: str | None, strategy: str) -> list[int]:
        """One round of suggestions, made at ``t`` for ``mood`` with ``strategy``; returns the
        handles `add_rating` takes for them, valid before and after they are flushed."""
        first = len(self._suggestion_ids) + len(self._suggestions)
        for item in items:
            fields = SuggestionRecord.of(item).model_dump()
            self._suggestions.append(dict(session_id=self.session_id, t=t, mood=_checked(mood), strategy=strategy,
                                          **fields))
        return list(range(first, len(self._suggestion_ids) + len(self._suggestions)))

    def add_rating(self, handle: int, verdict: Verdict) -> None:
        """The person liked or dismissed a suggestion of this session (a handle from `add_suggestions`)."""
        if verdict not in VERDICTS:
            raise ValueError(f"a verdict is 'like' or 'dismiss', not {verdict!r}")
        if not 0 <= handle < len(self._suggestion_ids) + len(self._suggestions):
            raise ValueError(f"no suggestion {handle} in this session")
        self._ratings.append((handle, verdict, time.time()))

    def flush_due(self) -> bool:
        return time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S

    def maybe_flush(self) -> bool:
        """Flush if the interval has passed; cheap enough to call on every frame.

        A failure (the disk full for a moment, another program holding the file) does not
        end the session: the rows stay buffered, ``flush_error`` says why, and the next
        interval tries again.
        """
        if not self.flush_due():
            return False
        return self.try_flush()

    def try_flush(self) -> bool:
        """Flush now without waiting on another program's write lock (a frame loop must not freeze
        for it): when the file is busy the rows stay buffered and ``flush_error`` says why."""
        try:
            self.flush(busy_timeout_ms=LOOP_BUSY_TIMEOUT_MS)
        except StorageError as error:
            self.flush_error = str(error)
            return False
        self.flush_error = None
        return True

    def flush(self, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        """Write everything buffered in one transaction; on failure the buffers are kept for the next try.

        The buffers are emptied before the transaction commits and refilled only if it did not:
        a Ctrl-C that lands just after COMMIT must not leave rows to be written a second time.
        """
        self._last_flush = time.monotonic()
        if not (self._samples or self._changes or self._suggestions or self._ratings):
            return
        samples, changes, pending, rated = self._samples, self._changes, self._suggestions, self._ratings
        self._samples, self._changes, self._suggestions, self._ratings = [], [], [], []
        written = False
        try:
            # On the driver's connection: through SQLAlchemy's, the PRAGMA would open a transaction.
            self._conn.connection.driver_connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            with self._conn.begin(), Session(bind=self._conn) as db:
                for statement, rows in ((_SAMPLE_INSERT, samples), (_CHANGE_INSERT, changes)):
                    if rows:
                        self._conn.exec_driver_sql(statement, rows)
                # New objects at every try: a failed flush must not leave rows the session thinks are written.
                suggestions = [SuggestionRow(**fields) for fields in pending]
                db.add_all(suggestions)
                # A rating needs its suggestion's row id: SQLAlchemy inserts them one at a time with RETURNING,
                # as SQLite does not promise the order of a multi-row RETURNING.
                db.flush()
                ids = [*self._suggestion_ids, *(row.id for row in suggestions)]
                if rated:
                    ratings.record(db, [(ids[handle], verdict, at) for handle, verdict, at in rated])
            written = True
            self._suggestion_ids = ids
        except (sqlite3.Error, DBAPIError) as error:
            raise storage_error(self.path, error) from None
        finally:
            # Interrupted or failed: unless the transaction did commit (a Ctrl-C can land just after
            # COMMIT), the rows go back in front of any buffered meanwhile.
            if not written and not self._landed(samples, changes, pending):
                self._samples, self._changes = samples + self._samples, changes + self._changes
                self._suggestions, self._ratings = pending + self._suggestions, rated + self._ratings

    def _landed(self, samples: list[tuple], changes: list[tuple], pending: list[dict[str, Any]]) -> bool:
        """Whether a batch whose flush was cut short is in the file after all: its last sample, mood
        change or suggestion is looked up (ratings are upserts, so writing them twice is harmless)."""
        if samples:
            query = "SELECT 1 FROM mood_samples WHERE session_id = ? AND t = ? AND wall_time = ?"
            key = (samples[-1][0], samples[-1][1], samples[-1][3])
        elif changes:
            query, key = "SELECT 1 FROM mood_changes WHERE session_id = ? AND t = ?", changes[-1][:2]
        elif pending:
            last = pending[-1]
            query, key = ("SELECT 1 FROM suggestions WHERE session_id = ? AND t = ? AND title = ?",
                          (last["session_id"], last["t"], last["title"]))
        else:
            return False
        try:
            with self._conn.begin():
                return self._conn.exec_driver_sql(query, tuple(key)).first() is not None
        except (sqlite3.Error, DBAPIError):
            return False

    def close(self, end_reason: str) -> None:
        """Flush (trying again for a few seconds if it fails), write the end time and reason,
        and let go of the file and the lock."""
        if self.closed:
            return
        try:
            for attempt in range(CLOSE_ATTEMPTS):
                try:
                    self.flush()
                    break
                except StorageError as error:
                    if attempt == CLOSE_ATTEMPTS - 1:
                        raise StorageError(f"{error}; {len(self._samples)} frames of this session "
                                           "were not saved") from None
                    time.sleep(CLOSE_RETRY_S)
            with self._conn.begin():
                self._conn.execute(update(SessionRow).where(SessionRow.id == self.session_id)
                                   .values(ended_at=time.time(), end_reason=end_reason))
        except (sqlite3.Error, DBAPIError) as error:
            raise storage_error(self.path, error) from None
        finally:
            self.closed = True
            self._conn.close()
            self._engine.dispose()
            self._lock.release()

    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        """Whatever ends the block, the session gets its end time; an explicit close() wins."""
        if kind is None:
            self.close("ended")
        elif issubclass(kind, KeyboardInterrupt):
            self.close("interrupted")
        else:
            self.close(f"error: {kind.__name__}")


def _checked(mood: str | None) -> str | None:
    if mood is not None and mood not in _MOODS:
        raise ValueError(f"unknown mood {mood!r}; expected one of {', '.join(EMOTIONS)} or None")
    return mood
