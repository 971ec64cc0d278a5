"""tmdbsimple, unchanged, against the fake TMDB: /discover/movie with the policy's genres
and the configured filters, both kinds of key, and every fault a note and a fallback."""

from __future__ import annotations

import logging
import random
import time

import pytest

from recommenders.service import Recommendations, Suggestions
from recommenders.tmdb import ATTRIBUTION
from tests.support.fake_apis import TMDB_KEY, TMDB_TOKEN, FakeApis, closed_port_url, quick_settings


def movies_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPOTIPY_CLIENT_ID")


def one_round(mood: str = "sad", strategy: str = "match", budget_s: float = 1.0, **tmdb) -> tuple[Suggestions, float]:
    service = Recommendations(quick_settings(budget_s=budget_s, **tmdb), rng=random.Random(0))
    start = time.monotonic()
    suggestions = service.suggest(mood, strategy, limit=5)
    return suggestions, time.monotonic() - start


def test_discover_sends_the_policy_genres_and_the_configured_filters(fake_apis: FakeApis,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    movies_only(monkeypatch)
    suggestions, _ = one_round("sad", "match", region="GB", min_vote_count=500, sort_by="popularity.desc")
    assert suggestions.movie_source == "TMDB" and suggestions.shows_tmdb
    assert len(suggestions.movies) == 5 and all(movie.tmdb_id for movie in suggestions.movies)
    query = fake_apis.hits("/3/discover/movie")[0].query
    assert query["with_genres"] == "18|10749"  # pipe: any of them
    assert query["without_genres"] == "27,53,28"  # commas: none of them (a pipe leaves out only films with all)
    assert query["vote_count.gte"] == "500" and query["sort_by"] == "popularity.desc"
    assert query["include_adult"] == "false" and query["language"] == "en-US" and query["region"] == "GB"
    assert query["api_key"] == TMDB_KEY
    for movie in suggestions.movies:
        assert {"Drama", "Romance"} & set(movie.genres)
        assert not {"Horror", "Thriller", "Action"} & set(movie.genres)
        assert 1990 <= movie.year <= 2019
    assert ATTRIBUTION in suggestions.to_json()["notes"]


def test_a_read_access_token_goes_in_a_header_not_the_url(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    movies_only(monkeypatch)
    monkeypatch.delenv("TMDB_API_KEY")
    monkeypatch.setenv("TMDB_READ_ACCESS_TOKEN", TMDB_TOKEN)
    suggestions, _ = one_round()
    assert suggestions.movie_source == "TMDB"
    request = fake_apis.hits("/3/discover/movie")[0]
    assert request.headers["Authorization"] == f"Bearer {TMDB_TOKEN}" and "api_key" not in request.query


def test_genre_names_follow_the_language(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    movies_only(monkeypatch)
    suggestions, _ = one_round("happy", "calm", language="fr-FR")
    assert fake_apis.hits("/3/genre/movie/list")[0].query["language"] == "fr-FR"
    names = {name for movie in suggestions.movies for name in movie.genres}
    assert names & {"Comédie", "Familial"} and not names & {"Comedy", "Family"}


def test_later_pages_and_the_cache(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    movies_only(monkeypatch)
    settings = quick_settings(cache_ttl_s=3600)
    service = Recommendations(settings, rng=random.Random(2))
    seen: set[str] = set()
    for round_no in range(5):
        suggestions = service.suggest("happy", "match", limit=5, round_no=round_no, seen=seen)
        assert suggestions.movie_source == "TMDB" and not suggestions.keys() & seen
        seen |= suggestions.keys()
    pages = {request.query["page"] for request in fake_apis.hits("/3/discover/movie")}
    assert len(pages) > 1
    calls = len(fake_apis.hits("/3/discover/movie"))
    Recommendations(settings, rng=random.Random(2)).suggest("happy", "match", limit=5)
    assert len(fake_apis.hits("/3/discover/movie")) == calls


@pytest.mark.parametrize(("status", "headers", "body", "delay_s", "expected"), [
    (401, {}, None, 0, "rejected the credentials (HTTP 401: Invalid API key: You must be granted a valid key.)"),
    (403, {}, None, 0, "refused access (HTTP 403: Internal error: Something went wrong, contact TMDB.)"),
    (404, {}, None, 0, "endpoint not found (HTTP 404)"),
    (429, {"Retry-After": "3600"}, None, 0, "rate limited (HTTP 429, retry after 3600 s)"),
    (500, {}, None, 0, "server error (HTTP 500)"),
    (200, {}, b'{"page": 1, "results": [', 0, "malformed response"),
    (200, {}, b'{"page": 1}', 0, "malformed response"),
    (200, {}, None, 3.0, "no answer within"),
])
def test_every_fault_is_one_note_and_the_offline_catalog_within_the_budget(
        fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch, status: int, headers: dict, body: bytes | None,
        delay_s: float, expected: str) -> None:
    movies_only(monkeypatch)
    fake_apis.fail("/3/discover/movie", status, headers=headers, body=body, delay_s=delay_s)
    suggestions, elapsed = one_round(budget_s=1.0)
    assert elapsed < 5.0
    assert suggestions.movie_source == "offline catalog" and not suggestions.shows_tmdb
    assert len(suggestions.movies) == 5 and all(movie.tmdb_id is None for movie in suggestions.movies)
    notes = [note for note in suggestions.notes if note.startswith("movies:")]
    assert len(notes) == 1 and expected in notes[0] and "\n" not in notes[0]
    assert ATTRIBUTION not in suggestions.to_json()["notes"]


def test_a_rejected_key_and_a_refused_connection_never_show_the_key(fake_apis: FakeApis,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    movies_only(monkeypatch)
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TMDB_API_KEY", "wrong-key-" + TMDB_KEY)
    suggestions, _ = one_round()
    assert "rejected the credentials" in suggestions.notes[-1]
    monkeypatch.setenv("ASSISTANT_TMDB_API_BASE", closed_port_url() + "/3")
    suggestions, elapsed = one_round()
    assert elapsed < 5.0 and "cannot connect" in suggestions.notes[-1]
    assert "discover/movie" in caplog.text  # urllib3 logged the request line...
    assert TMDB_KEY not in caplog.text and TMDB_KEY not in " ".join(suggestions.notes)  # ...without the key


def test_a_transient_server_error_is_retried(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    movies_only(monkeypatch)
    fake_apis.fail("/3/discover/movie", 502, times=1)
    suggestions, _ = one_round(budget_s=3.0)
    assert suggestions.movie_source == "TMDB"
    first, retry = fake_apis.hits("/3/discover/movie")[:2]
    assert first.query == retry.query  # the same request again, after the backoff


def test_both_sources_fail_at_once_in_one_budget(fake_apis: FakeApis) -> None:
    fake_apis.fail("/3/discover/movie", 200, delay_s=3.0)
    fake_apis.fail("/v1/search", 200, delay_s=3.0)
    suggestions, elapsed = one_round(budget_s=1.0)
    assert elapsed < 2.0  # asked side by side, not one budget after the other
    assert suggestions.source == "offline" and len(suggestions.notes) == 2


def test_an_endpoint_keeps_its_own_key_whatever_another_thread_sets_up(fake_apis: FakeApis) -> None:
    # Two services built in the order two threads could interleave them: the first one's
    # request must still carry its own key, and nothing of the second's.
    import tmdbsimple

    from recommenders.cache import ResponseCache
    from recommenders.tmdb import TmdbCredentials, TmdbMovies

    settings = quick_settings().tmdb
    with_key, with_token = (TmdbMovies(settings, credentials, ResponseCache(0), 1.0, random.Random(0))
                            for credentials in (TmdbCredentials(TMDB_KEY, False), TmdbCredentials(TMDB_TOKEN, True)))
    first = with_key._endpoint(tmdbsimple.Discover, 1.0)
    with_token._endpoint(tmdbsimple.Discover, 1.0).movie(with_genres="18")
    first.movie(with_genres="35")
    by_token, by_key = fake_apis.hits("/3/discover/movie")
    assert by_token.headers["Authorization"] == f"Bearer {TMDB_TOKEN}" and "api_key" not in by_token.query
    assert by_key.query["api_key"] == TMDB_KEY and "Authorization" not in by_key.headers


def test_a_read_access_token_pasted_as_the_api_key_is_sent_as_a_bearer_token(fake_apis: FakeApis,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    movies_only(monkeypatch)
    monkeypatch.setenv("TMDB_API_KEY", TMDB_TOKEN)
    suggestions, _ = one_round()
    assert suggestions.movie_source == "TMDB", suggestions.notes
    (first, *_) = fake_apis.hits("/3/discover/movie")
    assert "api_key" not in first.query and first.headers["Authorization"] == f"Bearer {TMDB_TOKEN}"

