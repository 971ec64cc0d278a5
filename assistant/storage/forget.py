"""Deleting sessions for good: the rows, then the free pages and the write-ahead log that still hold them.

A DELETE alone only marks pages free; the bytes stay in the file (and in the WAL) until
they happen to be reused. secure_delete zeroes them as they are freed, VACUUM rebuilds the
file without them, and a TRUNCATE checkpoint empties the WAL, so the data is really gone.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, func, select

from assistant.storage.database import StorageError
from assistant.storage.lock import DatabaseLock
from assistant.storage.models import (
    ProfileRow,
    RatingRow,
    SampleRow,
    SessionRow,
    SuggestionRow,
    TasteGenreRow,
    TasteItemRow,
    among,
)

#: What a person taught the assistant about themselves, beyond any one session: the learned
#: taste and the calibration profiles. Kept when single sessions are forgotten, gone with `forget --all`.
PERSONAL_TABLES = (TasteGenreRow, TasteItemRow, ProfileRow)


@dataclass(frozen=True)
class Forgettable:
    """What a forget would delete, to show before asking."""

    session_ids: list[int]
    samples: int
    suggestions: int
    ratings: int
    #: Rows of learned taste that go too (only when every session goes).
    taste: int
    #: Calibration profiles that go too (all of them with --all, none with single sessions).
    profiles: int
    #: Every session, whichever exist when the delete runs, with the taste and the profiles (--all).
    everything: bool


def describe(engine: Engine, session_ids: list[int] | None) -> Forgettable:
    """Those sessions (None: all, with the learned taste and every calibration profile) and their
    row counts; an id that does not exist is an error."""
    with Session(engine) as db:
        existing = list(db.exec(select(SessionRow.id).order_by(SessionRow.id)))
        chosen = existing if session_ids is None else session_ids
        samples, suggestions, ratings = (db.exec(select(func.count()).where(among(model.session_id, chosen))).one()
                                         for model in (SampleRow, SuggestionRow, RatingRow))
        taste, profiles = (0, 0) if session_ids is not None else (
            sum(db.exec(select(func.count()).select_from(model)).one() for model in (TasteGenreRow, TasteItemRow)),
            db.exec(select(func.count()).select_from(ProfileRow)).one())
    if not existing and not taste and not profiles:
        raise StorageError("no sessions recorded in this database; nothing to forget")
    missing = sorted(set(chosen) - set(existing))
    if missing:
        raise StorageError(f"no session {', '.join(map(str, missing))}; `assistant history` lists the sessions")
    return Forgettable(sorted(chosen), samples, suggestions, ratings, taste, profiles, session_ids is None)


def forget(engine: Engine, path: Path, target: Forgettable) -> Forgettable:
    """Delete the sessions with everything recorded with them (foreign keys cascade), and when
    ``target`` holds them the learned taste and the calibration profiles, then wipe the file;
    return what was deleted.

    Refused while a session is recording into the file: its next flush would write rows of a
    session that no longer exists. "Everything" is decided again once the lock is held, so a
    session recorded while the user read the question goes too.
    """
    with DatabaseLock(path, exclusive=True), closing(engine.raw_connection()) as raw:
        if target.everything:
            target = describe(engine, None)
        conn = raw.driver_connection  # VACUUM cannot run inside the transaction SQLAlchemy would open
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM sessions WHERE id IN (SELECT value FROM json_each(?))",
                         (json.dumps(target.session_ids),))
            for model in PERSONAL_TABLES if target.everything else ():
                # Built from the model; run on this connection, which secure_delete and VACUUM need.
                conn.execute(str(delete(model).compile(dialect=sqlite.dialect())))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        try:
            conn.execute("VACUUM")
        except sqlite3.Error as error:
            raise StorageError(f"the sessions are deleted, but {path} could not be vacuumed ({error}), so their "
                               "old pages may remain in the file until a later `assistant forget` vacuums it") from None
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise StorageError(f"the sessions are deleted, but another process has {path} open, so old pages may "
                               "linger in its write-ahead log until that process closes it")
    return target
