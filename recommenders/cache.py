"""API responses on disk for a while, so a mood that comes back does not spend quota again.

Entries are keyed by the request (service, endpoint and parameters, never a key or token)
and live under the platform's cache dir; a damaged or expired entry is simply a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import platformdirs


def write_private_json(path: Path, data: Any, *, durable: bool = False) -> None:
    """Write ``data`` as JSON to a file only the user can read, in a folder only the user can
    open: to a temporary file beside it (created 0600), then renamed over it, so a reader or a
    crash never meets half a file. ``durable`` syncs it to disk first (a login worth keeping)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False,
                                     encoding="utf-8") as handle:
        try:
            json.dump(data, handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
    os.replace(handle.name, path)


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("assistant")) / "responses"


class ResponseCache:
    def __init__(self, ttl_s: int, directory: Path | None = None) -> None:
        self.ttl_s = ttl_s
        self.directory = directory or default_cache_dir()

    def _path(self, service: str, request: dict[str, Any]) -> Path:
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        return self.directory / service / f"{digest}.json"

    def get(self, service: str, request: dict[str, Any]) -> Any | None:
        """The stored response to ``request``, or None when absent, expired or unreadable."""
        if self.ttl_s <= 0:
            return None
        try:
            entry = json.loads(self._path(service, request).read_text(encoding="utf-8"))
            if time.time() - float(entry["stored_at"]) <= self.ttl_s:
                return entry["response"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def put(self, service: str, request: dict[str, Any], response: Any) -> None:
        """Store ``response``; a cache that cannot be written only costs a request later."""
        if self.ttl_s <= 0:
            return
        path = self._path(service, request)
        try:
            # What was looked up, and when, tells moods: the folders are the user's alone.
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private_json(path, {"stored_at": time.time(), "response": response})
        except OSError:
            pass
