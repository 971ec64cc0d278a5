"""Faults of the online sources: a time budget, capped backoff, one-line reasons, no secrets.

spotipy's own retry sleeps for the whole ``Retry-After`` (3600 s and more has been seen,
spotipy-dev/spotipy#766, #1224) and tmdbsimple has no timeout at all, so both clients run
with their retries off and every call goes through ``call_with_backoff`` under a Deadline.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

import platformdirs
import requests

from config.errors import UserError
from recommenders.cache import write_private_json

T = TypeVar("T")

# First retry after this long, doubling, never more than BACKOFF_CAP_S; at most MAX_ATTEMPTS calls.
BACKOFF_FIRST_S = 0.25
BACKOFF_CAP_S = 2.0
MAX_ATTEMPTS = 3
# A spent quota without a Retry-After: wait this long before calling again.
QUOTA_DEFAULT_BLOCK_S = 3600.0
# The most of a server's own error message a one-line reason quotes.
SERVER_MESSAGE_CHARS = 160


class ServiceFault(UserError):
    """An online source failed; the message is one line, safe to show, and free of secrets."""


@dataclass(frozen=True)
class Failure:
    """How a source's exception reads to a person, and whether trying again can help."""

    reason: str
    retryable: bool = False
    retry_after_s: float | None = None
    # A spent quota: no call to the service for this long, in this process or the next one.
    block_s: float | None = None


class Deadline:
    """The budget of one source in one round: every request's timeout comes out of it."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._end = time.monotonic() + budget_s

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())


class DeadlineSession(requests.Session):
    """A requests session whose ``timeout`` is a deadline on the whole answer.

    requests' timeout bounds each read of the socket, so a server that sends a byte a second
    keeps a call alive for as long as it likes. Here the body is read in chunks and the call
    fails with a Timeout once ``timeout`` seconds have passed since it began. spotipy and
    tmdbsimple take the session as it is, so every call of theirs (searches, token refreshes,
    the playback queue, playlist writes) gets the deadline.
    """

    CHUNK = 4096

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        timeout = kwargs.get("timeout")
        limit = timeout[1] if isinstance(timeout, tuple) else timeout
        if limit is None or kwargs.get("stream"):
            return super().request(method, url, *args, **kwargs)
        end = time.monotonic() + float(limit)
        response = super().request(method, url, *args, **{**kwargs, "stream": True})
        chunks = []
        try:
            # read1: whatever has arrived (read(n) would wait for all n bytes, a trickle at a time).
            while chunk := response.raw.read1(self.CHUNK, decode_content=True):
                chunks.append(chunk)
                if time.monotonic() > end:
                    raise requests.exceptions.ReadTimeout(f"the answer took longer than {float(limit):g} s")
        finally:
            response.close()
        response._content = b"".join(chunks)  # what requests itself does once a body is read
        return response


def call_with_backoff(call: Callable[[float], T], deadline: Deadline, describe: Callable[[Exception], Failure],
                      service: str) -> T:
    """``call(timeout_s)`` until it succeeds, retrying only what ``describe`` calls retryable.

    A wait that would not fit in the budget (such as ``Retry-After: 3600``) is not waited:
    the fault is raised at once, so the caller falls back instead of hanging.
    """
    until = blocked_until(service)
    if until is not None:
        raise ServiceFault(f"{service}: quota exceeded; no calls until {datetime.fromtimestamp(until):%Y-%m-%d %H:%M}, "
                          "as it asked (calling during the ban lengthens it)")
    wait = BACKOFF_FIRST_S
    for attempt in itertools.count(1):
        timeout = deadline.remaining()
        if timeout <= 0:
            raise ServiceFault(f"{service}: no answer within the {deadline.budget_s:g} s budget")
        try:
            return call(timeout)
        except Exception as error:  # noqa: BLE001 - every fault becomes one line and a fallback
            failure = describe(error)
        reason = f"{service}: {scrub(failure.reason)}"
        if failure.block_s is not None:
            block(service, failure.block_s)
        if not failure.retryable or attempt == MAX_ATTEMPTS:
            raise ServiceFault(reason) from None
        pause = failure.retry_after_s if failure.retry_after_s is not None else wait
        if pause >= deadline.remaining():
            raise ServiceFault(f"{reason}; waiting {pause:g} s would pass the {deadline.budget_s:g} s budget") from None
        time.sleep(pause)
        wait = min(wait * 2, BACKOFF_CAP_S)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds; Spotify and TMDB send whole seconds (an HTTP date counts as unknown)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def server_message(text: str | None) -> str:
    """A server's own error message as one short line, secrets scrubbed."""
    line = " ".join((text or "").split())
    if len(line) > SERVER_MESSAGE_CHARS:
        line = line[:SERVER_MESSAGE_CHARS - 1] + "…"
    return scrub(line)


def status_reason(status: int, retry_after: float | None = None, message: str | None = None,
                  code: str | None = None) -> Failure:
    """The one-line reason for an HTTP status, shared by the Spotify and TMDB clients, quoting the
    server's own ``message``, with its machine-readable ``code`` (Spotify's ``reason``) when it has one."""
    said = server_message(message)
    if status == 401:
        return Failure("rejected the credentials (HTTP 401" + (f": {said})" if said else ")"))
    if status == 403:
        if "premium" in said.lower() and "owner" in said.lower():
            return Failure(f"refused access (HTTP 403: {said}); since February 2026 a development-mode app "
                           "works only while its owner has Spotify Premium")
        return Failure("refused access (HTTP 403" + (f": {said})" if said else ")"))
    if status == 404:
        return Failure("endpoint not found (HTTP 404); check the api_base setting")
    if status == 429 and code == "QUOTA_EXCEEDED":
        wait = retry_after if retry_after is not None else QUOTA_DEFAULT_BLOCK_S
        return Failure(f"quota exceeded (HTTP 429 QUOTA_EXCEEDED); no calls for {_human_seconds(wait)}",
                       block_s=wait)
    if status == 429:
        after = f", retry after {retry_after:g} s" if retry_after is not None else ""
        return Failure(f"rate limited (HTTP 429{after})", retryable=True, retry_after_s=retry_after)
    if status >= 500:
        return Failure(f"server error (HTTP {status})", retryable=True)
    return Failure(f"unexpected answer (HTTP {status})")


def _human_seconds(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.3g} min" if seconds >= 60 else f"{seconds:g} s"


# ---- quota bans, remembered on disk ---------------------------------------------------------

def _blocks_file() -> Path:
    return Path(platformdirs.user_cache_dir("assistant")) / "blocked_until.json"


def _read_blocks() -> dict[str, float]:
    try:
        data = json.loads(_blocks_file().read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError, TypeError):
        return {}


def blocked_until(service: str) -> float | None:
    """When a spent quota of ``service`` ends (a Unix time), or None when it may be called."""
    until = _read_blocks().get(service)
    return until if until is not None and until > time.time() else None


def block(service: str, seconds: float) -> None:
    """Remember that ``service`` may not be called for ``seconds``: a ban outlives this process,
    so the next command does not call again and lengthen it. A file that cannot be written only
    loses the memory of the ban."""
    blocks = {name: until for name, until in _read_blocks().items() if until > time.time()}
    blocks[service] = max(blocks.get(service, 0.0), time.time() + seconds)
    try:
        write_private_json(_blocks_file(), blocks)
    except OSError:
        pass


def clear_blocks() -> None:
    """Forget every ban (``forget --all``: the file says which services were used and when)."""
    _blocks_file().unlink(missing_ok=True)


def transport_reason(error: Exception) -> Failure | None:
    """Timeouts, refused connections and unreadable bodies, whichever client raised them."""
    if isinstance(error, requests.exceptions.Timeout):
        # The request already had all the budget that was left: there is none for a retry.
        return Failure("no answer within the time budget")
    if isinstance(error, requests.exceptions.ConnectionError):
        return Failure("cannot connect (connection refused or no network)")
    if isinstance(error, (ValueError, KeyError, IndexError, TypeError)):
        return Failure("malformed response (not the JSON expected)")
    return None


# ---- secrets -------------------------------------------------------------------------------

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_SECRET_PATTERNS = (
    re.compile(r"(api_key=)[^&\s'\"]+"),
    re.compile(r"((?:Bearer|Basic) )[A-Za-z0-9._~+/=-]+"),
    re.compile(r"((?:access_token|refresh_token|client_secret|code_verifier)['\"]?\s*[:=]\s*['\"]?)[^&\s'\",}]+"),
)


def register_secret(value: str | None) -> None:
    """Remember a key or token so ``scrub`` removes it from any message or log line."""
    if value and len(value) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def scrub(text: str) -> str:
    """``text`` with every registered secret and every key-looking parameter replaced by ***."""
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class _ScrubSecrets(logging.Filter):
    """spotipy logs request headers at DEBUG and urllib3 logs URLs with TMDB's api_key."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


def quiet_client_logs() -> None:
    """Keep the clients' own error lines off the terminal (a fault is our one line) and
    scrub whatever they log for an application that turns logging on."""
    for name in ("spotipy.client", "spotipy.oauth2", "urllib3.connectionpool"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ScrubSecrets) for f in logger.filters):
            logger.addFilter(_ScrubSecrets())
    spotipy_logger = logging.getLogger("spotipy")
    if not any(isinstance(h, logging.NullHandler) for h in spotipy_logger.handlers):
        spotipy_logger.addHandler(logging.NullHandler())
