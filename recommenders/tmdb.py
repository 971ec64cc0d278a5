"""Movies from TMDB's /discover/movie through tmdbsimple.

tmdbsimple keeps its key, auth mode and timeout in module globals, reads the key and auth
mode again at every request, and has no timeout by default. Setting those globals for one
call would leak into any other thread's call, so they are never set: each endpoint object
gets its own key, auth header, timeout and base URL (`_endpoint`).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import requests
import tmdbsimple

from config.settings import TmdbSettings
from recommenders.base import Movie, pick
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
from recommenders.policy import TMDB_GENRES, Choice

ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB."
FIRST_PAGES = 3  # discovery starts on one of the first 3 pages (20 films each), for variety
PAGES = 3


@dataclass(frozen=True)
class TmdbCredentials:
    """A v3 API key, or a read access token sent as a bearer header; repr never shows it."""

    value: str
    bearer: bool

    def __repr__(self) -> str:
        return f"TmdbCredentials(value=***, bearer={self.bearer})"

    @classmethod
    def from_env(cls) -> TmdbCredentials | None:
        # The bearer token is preferred: it travels in a header, not in every URL.
        for variable, bearer in (("TMDB_READ_ACCESS_TOKEN", True), ("TMDB_API_KEY", False)):
            value = os.environ.get(variable, "").strip()
            if value:
                register_secret(value)
                # A read access token pasted into TMDB_API_KEY is sent as what it is: as a query
                # parameter TMDB answers it with a 401.
                return cls(value, bearer or looks_like_read_access_token(value))
        return None


def describe(error: Exception) -> Failure:
    """One line for whatever tmdbsimple or requests raised (never str(error): its URL has the key)."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        response = error.response
        return status_reason(response.status_code, retry_after_seconds(response.headers.get("Retry-After")),
                             _status_message(response))
    if isinstance(error, tmdbsimple.APIKeyError):
        return Failure("no API key")
    return transport_reason(error) or Failure(f"unexpected error ({type(error).__name__})")


def _status_message(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("status_message") or "") or None if isinstance(body, dict) else None


def looks_like_read_access_token(value: str) -> bool:
    """A v4 read access token is a JWT (``eyJ…``, three dot-separated parts); a v3 API key is 32 hex digits."""
    return value.startswith("eyJ") and value.count(".") == 2


class TmdbMovies:
    name = "TMDB"
    online = True

    def __init__(self, settings: TmdbSettings, credentials: TmdbCredentials, cache: ResponseCache,
                 budget_s: float, rng: random.Random) -> None:
        quiet_client_logs()
        self._settings, self._credentials, self._cache = settings, credentials, cache
        self._budget_s, self._rng = budget_s, rng

    def suggest(self, choice: Choice, limit: int, seen: frozenset[str]) -> list[Movie]:
        deadline = Deadline(self._budget_s)
        return pick([self._discover(choice, deadline)], limit, seen)

    def _discover(self, choice: Choice, deadline: Deadline) -> Iterator[Movie]:
        names = self._genre_names(deadline)
        page_no = 1 + self._rng.randrange(FIRST_PAGES)
        params: dict[str, Any] = {
            # pipe = any of these genres; each once, however many slots the taste gave it
            "with_genres": "|".join(str(g) for g in dict.fromkeys(choice.movies)),
            "vote_count.gte": self._settings.min_vote_count, "sort_by": self._settings.sort_by,
            "include_adult": False, "language": self._settings.language, "region": self._settings.region}
        if choice.avoid_movies:
            # Commas: a film with any of these is left out (a pipe would leave out only films with all of them).
            params["without_genres"] = ",".join(str(g) for g in choice.avoid_movies)
        for _ in range(PAGES):
            page = self._get("discover", {**params, "page": page_no}, deadline)
            if not page["results"] and page_no > 1 and page["total_pages"]:
                page_no = 1  # fewer pages than the random start: begin at the top instead
                continue
            for film in page["results"]:
                if set(film["genre_ids"]).intersection(choice.avoid_movies):
                    continue  # checked here too: the filter is the point, whatever the server did
                yield Movie(title=film["title"], year=film["year"],
                            genres=tuple(names.get(g, TMDB_GENRES.get(g, str(g))) for g in film["genre_ids"]),
                            tmdb_id=film["id"])
            page_no += 1
            if page_no > page["total_pages"]:
                return

    def _genre_names(self, deadline: Deadline) -> Mapping[int, str]:
        """Genre names in the configured language; the English ones if TMDB cannot say."""
        if self._settings.language.lower().startswith("en"):
            return TMDB_GENRES
        try:
            return self._get("genres", {"language": self._settings.language}, deadline)
        except Exception:  # noqa: BLE001 - names are cosmetic; discovery reports the real fault
            return TMDB_GENRES

    def _get(self, endpoint: str, params: dict[str, Any], deadline: Deadline) -> Any:
        request = {"api": self._settings.api_base, "endpoint": endpoint, **params}
        cached = self._cache.get("tmdb", request)
        if cached is not None:
            return {int(k): v for k, v in cached.items()} if endpoint == "genres" else cached

        def call(timeout_s: float) -> Any:
            if endpoint == "genres":
                return _genre_map(self._endpoint(tmdbsimple.Genres, timeout_s).movie_list(**params))
            return _discover_page(self._endpoint(tmdbsimple.Discover, timeout_s).movie(**params))

        response = call_with_backoff(call, deadline, describe, "TMDB")
        self._cache.put("tmdb", request, response)
        return response

    def _endpoint(self, kind: type[tmdbsimple.base.TMDB], timeout_s: float) -> Any:
        """A tmdbsimple endpoint that reads nothing from tmdbsimple's globals when it asks."""
        endpoint = kind()
        credentials = self._credentials
        if credentials.bearer:
            endpoint.headers = {**endpoint.headers, "Authorization": f"Bearer {credentials.value}"}
        endpoint.base_uri = self._settings.api_base.rstrip("/")
        endpoint.timeout, endpoint.session = timeout_s, DeadlineSession()
        endpoint._get_params = lambda params: _request_params(params, credentials)  # tmdbsimple's reads the globals
        return endpoint


def _request_params(params: dict[str, Any] | None, credentials: TmdbCredentials) -> dict[str, Any]:
    """What tmdbsimple's `TMDB._get_params` does, with this call's key: a v3 key goes in the
    query (a bearer token is in the header already), and booleans are spelt true/false."""
    params = dict(params or {})
    if not credentials.bearer:
        params["api_key"] = credentials.value
    return {key: ("true" if value else "false") if isinstance(value, bool) else value for key, value in params.items()}


def _discover_page(response: Any) -> dict:
    """The part of a /discover/movie answer we use, checked and made JSON-cacheable."""
    results = []
    for film in response["results"]:
        date = film.get("release_date") or ""
        results.append({"id": int(film["id"]), "title": str(film["title"]),
                        "year": int(date[:4]) if date[:4].isdigit() else None,
                        "genre_ids": [int(g) for g in film.get("genre_ids", [])]})
    return {"results": results, "total_pages": int(response["total_pages"])}


def _genre_map(response: Any) -> dict[int, str]:
    return {int(genre["id"]): str(genre["name"]) for genre in response["genres"]}
