"""Deleting sessions for good: the rows, then the free pages and the write-ahead log that still hold them.

A DELETE alone only marks pages free; the bytes stay in the file (and in the WAL) until
they happen to be reused. secure_delete zeroes them as they are freed, VACUUM rebuilds the
file without them, and a TRUNCATE checkpoint empties the WAL, so the data is really gone.
"""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from assistant.storage.database import StorageError
from assistant.storage.lock import DatabaseLock
from assistant.storage.profiles import list_profiles, remove_all_profiles


@dataclass(frozen=True)
class Forgettable:
    """What a forget would delete, to show before asking."""

    session_ids: list[int]
    samples: int
    suggestions: int
    profiles: int  # calibration profiles: all of them go with --all, none with single sessions


def describe(engine: Engine, session_ids: list[int] | None) -> Forgettable:
    """Those sessions (None: all, with every calibration profile) and their row counts; an id
    that does not exist is an error."""
    profiles = 0 if session_ids is not None else len(list_profiles(engine))
    with engine.connect() as conn:
        existing = list(conn.exec_driver_sql("SELECT id FROM sessions ORDER BY id").scalars())
        if not existing and not profiles:
            raise StorageError("no sessions recorded in this database; nothing to forget")
        chosen = existing if session_ids is None else session_ids
        missing = sorted(set(chosen) - set(existing))
        if missing:
            raise StorageError(f"no session {', '.join(map(str, missing))}; `assistant history` lists the sessions")
        ids = json.dumps(chosen)
        samples, suggestions = (
            conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table} WHERE session_id IN (SELECT value FROM json_each(?))",
                                 (ids,)).scalar_one()
            for table in ("mood_samples", "suggestions"))
    return Forgettable(sorted(chosen), samples, suggestions, profiles)


def forget(engine: Engine, path: Path, target: Forgettable) -> None:
    """Delete the sessions with everything recorded with them (foreign keys cascade), and the
    profiles when ``target`` counts them, then wipe the file.

    Refused while a session is recording into the file: its next flush would write rows of a
    session that no longer exists.
    """
    with DatabaseLock(path, exclusive=True):
        if target.profiles:
            remove_all_profiles(engine)  # the VACUUM below wipes their pages too
        _delete_sessions(engine, path, target.session_ids)


def _delete_sessions(engine: Engine, path: Path, session_ids: list[int]) -> None:
    with closing(engine.raw_connection()) as raw:
        conn = raw.driver_connection  # VACUUM cannot run inside the transaction SQLAlchemy would open
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM sessions WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(session_ids),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        conn.execute("VACUUM")
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise StorageError(f"the sessions are deleted, but another process has {path} open, so old pages may "
                               "linger in its write-ahead log until that process closes it")
