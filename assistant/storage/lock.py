"""Who is using the database: recording sessions share a lock, `forget` needs it alone.

WAL lets readers and a writer work side by side, so SQLite itself never tells `forget`
that a session is still recording, and deleting a live session's rows under it would break
its next flush. An flock on `<db>.lock` says so: the kernel drops it when a process
dies, even by SIGKILL, so a crashed session never blocks anything. The lock is on a file of
its own because opening and closing the database file outside SQLite would release
SQLite's own POSIX locks in this process.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from assistant.storage.database import StorageError


class DatabaseLock:
    """A held flock on the database's lock file; release() (or leaving a with block) lets go."""

    def __init__(self, db: Path, *, exclusive: bool) -> None:
        path = db.with_name(db.name + ".lock")
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StorageError(f"cannot create lock file {path}: {error.strerror}") from None
        try:
            fcntl.flock(self._fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            if exclusive:
                raise StorageError(f"a session is recording into {db}; end it first") from None
            raise StorageError(f"`assistant forget` is deleting from {db}; try again when it is done") from None

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = -1

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
