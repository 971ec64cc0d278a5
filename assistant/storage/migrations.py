"""Numbered schema changes, applied in order every time a database is opened.

The list is append-only: once a release has shipped a migration it is never edited, and a
schema change is a new function at the end. Each applied migration is recorded by name in
`_migrations`, so a database knows how far it has been brought and a release can tell a
database written by a newer one (which it must not touch) from an older one (which it
upgrades).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Callable

from recognizer.classes import EMOTIONS

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(function: Migration) -> Migration:
    MIGRATIONS.append(function)
    return function


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    probabilities = ",\n".join(f"    {name} REAL" for name in EMOTIONS)
    for statement in (
        """CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    ended_at REAL,
    source TEXT NOT NULL,
    settings TEXT NOT NULL,
    end_reason TEXT
)""",
        "CREATE INDEX ix_sessions_started_at ON sessions (started_at)",
        f"""CREATE TABLE mood_samples (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    t REAL NOT NULL,
    dt REAL NOT NULL,
    wall_time REAL NOT NULL,
    face BOOLEAN NOT NULL,
{probabilities},
    mood TEXT
)""",
        "CREATE INDEX ix_mood_samples_report ON mood_samples (session_id, face, mood, dt, t, wall_time)",
        """CREATE TABLE mood_changes (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    t REAL NOT NULL,
    mood TEXT
)""",
        "CREATE INDEX ix_mood_changes_session_t ON mood_changes (session_id, t)",
        """CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    t REAL NOT NULL,
    kind TEXT NOT NULL CONSTRAINT ck_suggestions_kind CHECK (kind IN ('music', 'movie')),
    title TEXT NOT NULL,
    artist TEXT,
    year INTEGER,
    genre TEXT,
    uri TEXT,
    tmdb_id INTEGER,
    source TEXT NOT NULL CONSTRAINT ck_suggestions_source CHECK (source IN ('online', 'offline')),
    mood TEXT,
    strategy TEXT NOT NULL
)""",
        "CREATE INDEX ix_suggestions_session_t ON suggestions (session_id, t)",
    ):
        conn.execute(statement)


@migration
def m002_ratings(conn: sqlite3.Connection) -> None:
    """Likes and dismissals of suggestions, and the taste learned from them."""
    for statement in (
        """CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    verdict TEXT NOT NULL CONSTRAINT ck_ratings_verdict CHECK (verdict IN ('like', 'dismiss')),
    rated_at REAL NOT NULL
)""",
        "CREATE UNIQUE INDEX ux_ratings_suggestion ON ratings (suggestion_id)",
        "CREATE INDEX ix_ratings_session ON ratings (session_id)",
        """CREATE TABLE taste_genres (
    id INTEGER PRIMARY KEY,
    mood TEXT NOT NULL,
    strategy TEXT NOT NULL,
    kind TEXT NOT NULL CONSTRAINT ck_taste_genres_kind CHECK (kind IN ('music', 'movie')),
    genre TEXT NOT NULL,
    likes INTEGER NOT NULL,
    dismissals INTEGER NOT NULL,
    CONSTRAINT ck_taste_genres_counts CHECK (likes >= 0 AND dismissals >= 0)
)""",
        "CREATE UNIQUE INDEX ux_taste_genres ON taste_genres (mood, strategy, kind, genre)",
        """CREATE TABLE taste_items (
    id INTEGER PRIMARY KEY,
    item_key TEXT NOT NULL,
    verdict TEXT NOT NULL CONSTRAINT ck_taste_items_verdict CHECK (verdict IN ('like', 'dismiss')),
    rated_at REAL NOT NULL
)""",
        "CREATE UNIQUE INDEX ux_taste_items_key ON taste_items (item_key)",
    ):
        conn.execute(statement)


@migration
def m003_profiles(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    weights_sha256 TEXT NOT NULL,
    baseline TEXT NOT NULL,
    frames INTEGER NOT NULL,
    spread REAL NOT NULL
)""")
    conn.execute("CREATE UNIQUE INDEX ix_profiles_name ON profiles (name)")


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations this database has been through, oldest first."""
    return [name for (name,) in conn.execute("SELECT name FROM _migrations ORDER BY id")]


def unknown(conn: sqlite3.Connection) -> list[str]:
    """Migrations recorded in the database that this release does not have: a newer release wrote it."""
    known = {function.__name__ for function in MIGRATIONS}
    return [name for name in applied(conn) if name not in known]


def pending(conn: sqlite3.Connection) -> list[Migration]:
    done = set(applied(conn))
    return [function for function in MIGRATIONS if function.__name__ not in done]


def migrate(conn: sqlite3.Connection) -> None:
    """Apply what is pending in one transaction: a failed upgrade leaves the old schema intact.

    The caller holds a write transaction (BEGIN IMMEDIATE), so two processes opening a new
    database at once cannot both create the tables.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations "
        "(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at REAL NOT NULL)"
    )
    for function in pending(conn):
        function(conn)
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (function.__name__, time.time()))
