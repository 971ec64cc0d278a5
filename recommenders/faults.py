"""Faults of the online sources: a time budget, capped backoff, one-line reasons, no secrets.

spotipy's own retry sleeps for the whole ``Retry-After`` (3600 s and more has been seen,
spotipy-dev/spotipy#766, #1224) and tmdbsimple has no timeout at all, so both clients run
with their retries off and every call goes through ``call_with_backoff`` under a Deadline.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import requests

from config.errors import UserError

T = TypeVar("T")

# First retry after this long, doubling, never more than BACKOFF_CAP_S; at most MAX_ATTEMPTS calls.
BACKOFF_FIRST_S = 0.25
BACKOFF_CAP_S = 2.0
MAX_ATTEMPTS = 3


class SourceFault(UserError):
    """An online source failed; the message is one line, safe to show, and free of secrets."""


@dataclass(frozen=True)
class Failure:
    """How a source's exception reads to a person, and whether trying again can help."""

    reason: str
    retryable: bool = False
    retry_after_s: float | None = None


class Deadline:
    """The budget of one source in one round: every request's timeout comes out of it."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._end = time.monotonic() + budget_s

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())


def call_with_backoff(call: Callable[[float], T], deadline: Deadline, describe: Callable[[Exception], Failure],
                      service: str) -> T:
    """``call(timeout_s)`` until it succeeds, retrying only what ``describe`` calls retryable.

    A wait that would not fit in the budget (such as ``Retry-After: 3600``) is not waited:
    the fault is raised at once, so the caller falls back instead of hanging.
    """
    wait = BACKOFF_FIRST_S
    for attempt in itertools.count(1):
        timeout = deadline.remaining()
        if timeout <= 0:
            raise SourceFault(f"{service}: no answer within the {deadline.budget_s:g} s budget")
        try:
            return call(timeout)
        except Exception as error:  # noqa: BLE001 - every fault becomes one line and a fallback
            failure = describe(error)
        reason = f"{service}: {scrub(failure.reason)}"
        if not failure.retryable or attempt == MAX_ATTEMPTS:
            raise SourceFault(reason) from None
        pause = failure.retry_after_s if failure.retry_after_s is not None else wait
        if pause >= deadline.remaining():
            raise SourceFault(f"{reason}; waiting {pause:g} s would pass the {deadline.budget_s:g} s budget") from None
        time.sleep(pause)
        wait = min(wait * 2, BACKOFF_CAP_S)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds; Spotify and TMDB send whole seconds (an HTTP date counts as unknown)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def status_reason(status: int, retry_after: float | None = None) -> Failure:
    """The one-line reason for an HTTP status, shared by the Spotify and TMDB clients."""
    if status == 401:
        return Failure("rejected the credentials (HTTP 401)")
    if status == 403:
        return Failure("refused access (HTTP 403)")
    if status == 404:
        return Failure("endpoint not found (HTTP 404); check the api_base setting")
    if status == 429:
        after = f", retry after {retry_after:g} s" if retry_after is not None else ""
        return Failure(f"rate limited (HTTP 429{after})", retryable=True, retry_after_s=retry_after)
    if status >= 500:
        return Failure(f"server error (HTTP {status})", retryable=True)
    return Failure(f"unexpected answer (HTTP {status})")


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
