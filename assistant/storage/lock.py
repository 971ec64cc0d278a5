"""Who is using the database: recording sessions share a lock, `forget` needs it alone.

WAL lets readers and a writer work side by side, so SQLite itself never tells `forget`
that a session is still recording, and deleting a live session's rows under it would break
its next flush. A read-write lock on `<db>.lock` says so. filelock's `ReadWriteLock`
works the same on Linux, macOS and Windows: it holds a SQLite transaction on that file,
and the operating system drops the lock when a process dies, even by SIGKILL, so a
crashed session never blocks anything. The lock has a file of its own so that it never
touches the locks SQLite holds on the database itself.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

from filelock import ReadWriteLock, Timeout

from assistant.storage.database import StorageError


class DatabaseLock:
    """A held shared (recording) or exclusive (forget) lock; release() (or leaving a with block) lets go."""

    def __init__(self, db: Path, *, exclusive: bool) -> None:
        # The file itself, not the name typed: a recording through a symlink and a forget through
        # the real path must meet at one lock.
        db = db.resolve()
        path = db.with_name(db.name + ".lock")
        self._lock: ReadWriteLock | None = None
        try:
            # One instance per holder: the default singleton would make a second holder in
            # the same process share the first one's lock instead of waiting on it.
            self._lock = ReadWriteLock(path, blocking=False, is_singleton=False)
            (self._lock.acquire_write if exclusive else self._lock.acquire_read)()
        except Timeout:
            self.release()
            if exclusive:
                raise StorageError(f"a session is recording into {db}; end it first") from None
            raise StorageError(f"`assistant forget` is deleting from {db}; try again when it is done") from None
        except (OSError, sqlite3.Error, ValueError) as error:
            self.release()
            raise StorageError(f"cannot use lock file {path}: {error}") from None

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
        self._lock = None

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
