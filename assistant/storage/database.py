"""Where the database lives, and opening it safely: private file, WAL, migrations, one-line errors.

Every command and the live session open the file through here, so the checks that protect
a person's data (not ours, written by a newer release, not a database at all) happen
before anything is written, and every SQLite failure reaches the person as one line.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from assistant.storage import migrations
from config.errors import UserError

DB_ENV = "ASSISTANT_DB"
# Long enough to wait out the live session's flush (a few ms once or twice a second).
BUSY_TIMEOUT_MS = 5000


class StorageError(UserError):
    """The database cannot be used as asked; the message names the file and what to do."""


def db_path(explicit: Path | None = None) -> Path:
    """The database file: ``--db``, else ASSISTANT_DB, else the platform's user data dir."""
    if explicit is not None:
        return explicit.expanduser()
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    return Path(platformdirs.user_data_dir("assistant")) / "assistant.db"


def storage_error(path: Path, error: sqlite3.Error | DBAPIError) -> StorageError:
    """The one line a person sees for a SQLite failure, raw or wrapped by SQLAlchemy."""
    if isinstance(error, DBAPIError):
        error = error.orig
    code = getattr(error, "sqlite_errorname", "")
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageError(f"database {path} is locked by another process; try again when it lets go")
    if code.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return StorageError(f"{path} is not a usable database: {error}")
    return StorageError(f"cannot use database {path}: {error}")


def _connect(path: Path) -> sqlite3.Connection:
    # mode=rw: SQLite never creates the file itself, so it only ever exists with mode 0600.
    # isolation_level=None: transactions are begun explicitly (see _begin), not by sqlite3.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # In WAL mode NORMAL loses no committed transaction when the process dies, only on power loss.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _create_private(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first, the same way
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
    finally:
        os.close(fd)


def _prepare(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    """Refuse what is not ours or too new, then switch to WAL and apply pending migrations."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # An empty file is what a crash before the first write leaves (or `touch`): a database of
    # ours with nothing in it yet, set up like a new one.
    if not tables and not create and path.stat().st_size > 0:
        raise StorageError(f"no sessions recorded in {path} yet")
    if tables and "_migrations" not in tables:
        raise StorageError(f"{path} is a SQLite database but not the assistant's; choose another file with --db")
    if tables and (newer := migrations.unknown(conn)):
        raise StorageError(f"{path} was written by a newer release of assistant (schema {newer[-1]}); "
                           "upgrade assistant to open it")
    conn.execute("PRAGMA journal_mode = WAL")  # persistent, and a no-op once set
    if tables and not migrations.pending(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrations.migrate(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _begin(conn: Connection) -> None:
    """SQLAlchemy's hook to start a transaction; writers ask for IMMEDIATE so they wait for the
    write lock up front (with busy_timeout) instead of failing when a read turns into a write."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")


def open_engine(path: Path, *, create: bool = False) -> Engine:
    """An engine on ``path``, checked and migrated; the caller disposes of it.

    Without ``create`` a missing file is an error rather than a new empty database, so
    reading commands never leave files behind. With it, missing folders are made too.
    """
    if path.is_dir():
        raise StorageError(f"{path} is a folder; --db takes a database file")
    if not path.exists() and not create:
        raise StorageError(f"no database at {path} yet: `assistant start` records sessions there")
    try:
        if not path.exists():
            _create_private(path)
        conn = _connect(path)
        try:
            _prepare(conn, path, create)
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise storage_error(path, error) from None
    except OSError as error:  # from _create_private, e.g. a folder we may not write in
        raise StorageError(f"cannot create database {path}: {error.strerror}") from None
    engine = create_engine("sqlite://", creator=lambda: _connect(path), poolclass=NullPool)
    event.listen(engine, "begin", _begin)
    return engine


@contextmanager
def database(path: Path, *, create: bool = False) -> Iterator[Engine]:
    """``open_engine`` for the length of a block, with SQLite errors inside it turned into one line."""
    engine = open_engine(path, create=create)
    try:
        yield engine
    except (sqlite3.Error, DBAPIError) as error:
        raise storage_error(path, error) from None
    finally:
        engine.dispose()
