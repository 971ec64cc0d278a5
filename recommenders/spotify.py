"""Music from Spotify's Web API through spotipy, as the API is in 2026.

New apps get no /recommendations, audio features or related artists (Nov 2024) and search
returns at most 10 items a call (Feb 2026), so suggestions are track searches with the
``genre:"..."`` filter, one genre per query, paged from a varied offset for variety.

spotipy's own retries are off (its urllib3 Retry sleeps the whole Retry-After, hours at
times); ``faults.call_with_backoff`` retries instead, within the budget.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Iterator

import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyAuthBase, SpotifyClientCredentials, SpotifyOauthError

from config.settings import SpotifySettings
from recommenders.base import Track, genre_groups, pick
from recommenders.cache import ResponseCache
from recommenders.faults import (
    Deadline,
    DeadlineSession,
    Failure,
    call_with_backoff,
    quiet_client_logs,
    register_secret,
    retry_after_seconds,
    status_reason,
    transport_reason,
)
from recommenders.policy import Choice

PAGE_SIZE = 10  # the most /search returns per call since February 2026
FIRST_PAGES = 5  # a genre's first page is one of its first 5, so rounds and sessions differ
PAGES_PER_GENRE = 3


@dataclass(frozen=True)
class SpotifyCredentials:
    """Client-credentials pair for search; repr never shows the secret."""

    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return "SpotifyCredentials(client_id=…, client_secret=***)"

    @classmethod
    def from_env(cls) -> SpotifyCredentials | None:
        client_id = os.environ.get("SPOTIPY_CLIENT_ID", "").strip()
        client_secret = os.environ.get("SPOTIPY_CLIENT_SECRET", "").strip()
        if not client_id or not client_secret:
            return None
        register_secret(client_secret)
        return cls(client_id, client_secret)


def accounts_url(settings: SpotifySettings, path: str) -> str:
    return settings.accounts_base.rstrip("/") + "/" + path


def spotify_client(auth_manager: SpotifyAuthBase, settings: SpotifySettings, timeout_s: float) -> spotipy.Spotify:
    """A spotipy client on ``settings.api_base`` that never retries or sleeps by itself.

    A plain requests.Session replaces spotipy's retrying one: with retries=0 alone its
    urllib3 Retry still turns a 429 into "Max Retries" and drops the Retry-After header.
    """
    quiet_client_logs()
    client = spotipy.Spotify(auth_manager=auth_manager, requests_session=DeadlineSession(),
                             requests_timeout=timeout_s, retries=0, status_retries=0)
    client.prefix = settings.api_base.rstrip("/") + "/"
    return client


def describe(error: Exception) -> Failure:
    """One line for whatever spotipy or requests raised."""
    if isinstance(error, spotipy.SpotifyException):
        headers = error.headers or {}
        # spotipy's msg is "URL:\n message"; the URL may carry a query, the message is the server's own.
        message = str(error.msg or "").partition(":\n")[2] or None
        return status_reason(error.http_status, retry_after_seconds(headers.get("Retry-After")), message,
                             getattr(error, "reason", None))
    if isinstance(error, SpotifyOauthError):
        if error.error == "invalid_client":
            return Failure("rejected the client id or secret (invalid_client)")
        return Failure(f"token request failed ({error.error or error})")
    return transport_reason(error) or Failure(f"unexpected error ({type(error).__name__})")


def describe_post(error: Exception) -> Failure:
    """``describe`` for a request that changes something: only a 429 is known not to have
    been carried out; retrying a 5xx POST could create a second playlist or queue a song twice."""
    failure = describe(error)
    if failure.retryable and not (isinstance(error, spotipy.SpotifyException) and error.http_status == 429):
        return Failure(failure.reason)
    return failure


class SpotifyMusic:
    """Tracks for the policy's genres from Spotify search (client credentials, no user login)."""

    name = "Spotify"
    online = True

    def __init__(self, settings: SpotifySettings, credentials: SpotifyCredentials, cache: ResponseCache,
                 budget_s: float, rng: random.Random) -> None:
        self._settings, self._cache, self._budget_s, self._rng = settings, cache, budget_s, rng
        self._auth = SpotifyClientCredentials(credentials.client_id, credentials.client_secret,
                                              requests_timeout=budget_s, cache_handler=MemoryCacheHandler(),
                                              requests_session=DeadlineSession())
        self._auth.OAUTH_TOKEN_URL = accounts_url(settings, "api/token")
        self._client = spotify_client(self._auth, settings, budget_s)

    def suggest(self, choice: Choice, limit: int, seen: frozenset[str]) -> list[Track]:
        deadline = Deadline(self._budget_s)
        # Pages are fetched only as pick() runs through them, so a full list costs one call per genre.
        return pick(genre_groups(choice.music, lambda genre: self._genre_tracks(genre, deadline)), limit, seen)

    def _genre_tracks(self, genre: str, deadline: Deadline) -> Iterator[Track]:
        offset = PAGE_SIZE * self._rng.randrange(FIRST_PAGES)
        for _ in range(PAGES_PER_GENRE):
            page = self._search(f'genre:"{genre}"', offset, deadline)
            if not page["items"] and offset and page["total"]:
                offset = 0  # fewer results than the random start: begin at the top instead
                page = self._search(f'genre:"{genre}"', offset, deadline)
            for item in page["items"]:
                yield Track(title=item["name"], artist=item["artists"][0]["name"], genre=genre, uri=item["uri"])
            offset += PAGE_SIZE
            if not page["items"] or offset >= page["total"]:
                return

    def _search(self, query: str, offset: int, deadline: Deadline) -> dict:
        request = {"api": self._settings.api_base, "q": query, "type": "track", "limit": PAGE_SIZE,
                   "offset": offset, "market": self._settings.market}
        cached = self._cache.get("spotify-search", request)
        if cached is not None:
            return cached

        def call(timeout_s: float) -> dict:
            self._auth.requests_timeout = self._client.requests_timeout = timeout_s
            return _tracks_page(self._client.search(q=query, limit=PAGE_SIZE, offset=offset, type="track",
                                                    market=self._settings.market))

        page = call_with_backoff(call, deadline, describe, "Spotify")
        self._cache.put("spotify-search", request, page)
        return page


def _tracks_page(response: object) -> dict:
    """The part of a /search answer we use, checked (spotipy returns None for a non-JSON body)."""
    if not isinstance(response, dict) or not isinstance(response.get("tracks"), dict):
        raise ValueError("no tracks object")
    tracks = response["tracks"]
    items = [{"name": str(t["name"]), "artists": [{"name": str(t["artists"][0]["name"])}], "uri": str(t["uri"])}
             for t in tracks["items"] if t]  # Spotify sends null for unavailable tracks
    return {"items": items, "total": int(tracks["total"])}

