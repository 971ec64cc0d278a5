"""Single keystrokes from the terminal while the dashboard runs, for liking and dismissing suggestions.

A terminal hands a program whole lines by default, echoed as they are typed, which would
scribble over the dashboard. While the session runs the terminal is put in cbreak mode
(each key at once, no echo; Ctrl-C still interrupts) and a thread passes keys on; the
old mode comes back however the session ends, short of SIGKILL. This needs POSIX termios:
elsewhere, or when stdin is not a terminal, `TerminalKeys` reads nothing and says so, and
the video window's keys still work.
"""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
from types import TracebackType
from typing import TextIO

try:
    import termios
    import tty
except ImportError:  # Windows
    termios = tty = None  # type: ignore[assignment]

#: How often the reader looks whether it should stop (it blocks in select() meanwhile).
POLL_S = 0.1


class TerminalKeys:
    """A context manager: while it is open, each key typed in the terminal is put on ``keys``."""

    def __init__(self, keys: queue.SimpleQueue[str], stream: TextIO | None = None) -> None:
        self._keys, self._stream = keys, stream or sys.stdin
        self._saved: list | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Why keys cannot be read here, or None when they are.
        self.unavailable: str | None = None

    def __enter__(self) -> TerminalKeys:
        if termios is None:
            self.unavailable = "this terminal cannot send single keys (no termios)"
        elif not self._stream.isatty():
            self.unavailable = "stdin is not a terminal"
        if self.unavailable:
            return self
        fd = self._stream.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)
        self._thread = threading.Thread(target=self._read, args=(fd,), name="terminal-keys", daemon=True)
        self._thread.start()
        return self

    def _read(self, fd: int) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], POLL_S)
            if not ready:
                continue
            data = os.read(fd, 32)
            if not data:
                return  # the terminal went away
            if data.startswith(b"\x1b"):
                continue  # an arrow or function key's escape sequence: its digits name no suggestion
            for key in data.decode(errors="ignore"):
                self._keys.put(key)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._saved is not None:
            termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved)
