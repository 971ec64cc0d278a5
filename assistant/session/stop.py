"""Ending a session on request: Ctrl-C, SIGTERM, a closed terminal (SIGHUP), the window's q/Esc or --duration.

A signal only sets a flag that the frame loop (and a source waiting for its next frame)
looks at, so the session always ends between two frames, never halfway through a
database flush, and the recorder can close it with its end time and reason.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals that end a session, with the reason each leaves in its row. SIGHUP (the
#: terminal was closed) exists on POSIX only.
REASONS: dict[int, str] = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
if hasattr(signal, "SIGHUP"):
    REASONS[signal.SIGHUP] = "the terminal closed"


class Stop(threading.Event):
    """A stop request with the reason the session row will record."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None
        #: Set once the frame loop has ended: the session is being closed, and its end reason
        #: is settled; a signal now only hurries the closing along.
        self.closing = False
        #: A signal that came while closing: wait for nothing more (suggestions in flight).
        self.hurry = threading.Event()

    def request(self, reason: str) -> None:
        """The first request's reason is the one kept."""
        if not self.is_set():
            self.reason = reason
            self.set()


@contextmanager
def stop_on_signals(stop: Stop) -> Iterator[None]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP request ``stop``; a second Ctrl-C interrupts at once.

    The second Ctrl-C is for a session stuck where no frame comes: the frame loop ends at
    once, and the session is still closed with its end time and summarised. Once closing
    has begun, any signal ends the wait for suggestions still on their way (the rows are
    written before that wait) and changes nothing else: the end reason stays what it was.
    Signal handlers can only be set from the main thread; elsewhere (a test runner's
    worker) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.closing:
            stop.hurry.set()
            return
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.request(REASONS[signum])

    previous = {signum: signal.signal(signum, handle) for signum in REASONS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
