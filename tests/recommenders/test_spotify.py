"""spotipy, unchanged, against the fake Spotify: search as it works in 2026, every fault a
one-line note and the offline catalog within the budget, the PKCE login and playlist export."""

from __future__ import annotations

import base64
import logging
import random
import stat
import threading
import time
from collections import Counter

import pytest
import requests
from spotipy.cache_handler import CacheHandler

from config.errors import UserError
from recommenders.base import Track
from recommenders.playlist import export_playlist
from recommenders.service import Recommendations
from recommenders.spotify_auth import PrivateTokenFile, logged_in_auth, login, login_status, token_file, user_auth
from tests.support.fake_apis import (
    AUTH_CODE,
    CLIENT_SECRET,
    OWNER_PREMIUM_403,
    QUOTA_429,
    REFRESH_TOKEN,
    USER_TOKEN,
    FakeApis,
    closed_port_url,
    quick_settings,
)

SAD = "sad"


def music_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave TMDB out, so notes and timings are Spotify's alone."""
    monkeypatch.delenv("TMDB_API_KEY")


def test_search_uses_the_genre_filter_pages_of_ten_and_keeps_two_per_artist(fake_apis: FakeApis,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    suggestions = Recommendations(quick_settings(), rng=random.Random(0)).suggest(SAD, "match", limit=12)
    assert suggestions.music_source == "Spotify"
    assert len(suggestions.music) == 12
    assert all(track.uri and track.uri.startswith("spotify:track:") for track in suggestions.music)
    assert {track.genre for track in suggestions.music} == {"sad", "acoustic", "blues"}
    # The fake answers with three songs in a row per artist.
    assert max(Counter(track.artist for track in suggestions.music).values()) == 2
    searches = fake_apis.hits("/v1/search")
    assert {s.query["q"] for s in searches} == {'genre:"sad"', 'genre:"acoustic"', 'genre:"blues"'}
    assert all(s.query["limit"] == "10" and int(s.query["offset"]) % 10 == 0 for s in searches)
    assert all(s.query["type"] == "track" and s.query["market"] == "US" for s in searches)
    assert len(searches) > 3  # 12 tracks with two per artist need a second page somewhere
    token_call = fake_apis.hits("/api/token")[0]
    assert token_call.headers["Authorization"].startswith("Basic ")


def test_offsets_vary_between_sessions(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    firsts = set()
    for seed in range(6):
        Recommendations(quick_settings(), rng=random.Random(seed)).suggest("happy", "match", limit=1)
        firsts.add(fake_apis.hits("/v1/search")[-1].query["offset"])
    assert len(firsts) > 1


def test_no_repeats_across_rounds_online(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    service = Recommendations(quick_settings(), rng=random.Random(1))
    seen: set[str] = set()
    for round_no in range(4):
        suggestions = service.suggest("neutral", "match", limit=5, round_no=round_no, seen=seen)
        assert suggestions.music_source == "Spotify"
        assert not suggestions.keys() & seen
        seen |= suggestions.keys()


def test_responses_are_cached_on_disk(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    settings = quick_settings(cache_ttl_s=3600)
    first = Recommendations(settings, rng=random.Random(5)).suggest(SAD, "match", limit=5)
    calls = len(fake_apis.hits("/v1/search"))
    again = Recommendations(settings, rng=random.Random(5)).suggest(SAD, "match", limit=5)
    assert again.music == first.music
    assert len(fake_apis.hits("/v1/search")) == calls
    Recommendations(quick_settings(cache_ttl_s=0), rng=random.Random(5)).suggest(SAD, "match", limit=5)
    assert len(fake_apis.hits("/v1/search")) == 2 * calls


def one_faulty_round(budget_s: float = 1.0) -> tuple[Recommendations, object, float]:
    service = Recommendations(quick_settings(budget_s=budget_s), rng=random.Random(0))
    start = time.monotonic()
    suggestions = service.suggest(SAD, "match", limit=5)
    return service, suggestions, time.monotonic() - start


@pytest.mark.parametrize(("path", "status", "headers", "body", "delay_s", "expected"), [
    ("/v1/search", 401, {}, None, 0, "rejected the credentials (HTTP 401: Invalid access token)"),
    ("/v1/search", 403, {}, None, 0, "refused access (HTTP 403: Forbidden)"),
    ("/v1/search", 403, {}, OWNER_PREMIUM_403, 0,
     "refused access (HTTP 403: Active premium subscription required for the owner of the app); since February "
     "2026 a development-mode app works only while its owner has Spotify Premium"),
    ("/v1/search", 404, {}, None, 0, "endpoint not found (HTTP 404)"),
    ("/v1/search", 429, {"Retry-After": "3600"}, None, 0, "rate limited (HTTP 429, retry after 3600 s)"),
    ("/v1/search", 503, {}, None, 0, "server error (HTTP 503)"),
    ("/v1/search", 200, {}, b"{not json", 0, "malformed response"),
    ("/v1/search", 200, {}, None, 3.0, "no answer within"),
    ("/api/token", 200, {}, b"<html>oops</html>", 0, "malformed response"),
    ("/api/token", 400, {}, None, 0, "rejected the client id or secret"),
])
def test_every_fault_is_one_note_and_the_offline_catalog_within_the_budget(
        fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch, path: str, status: int, headers: dict,
        body: bytes | None, delay_s: float, expected: str) -> None:
    music_only(monkeypatch)
    fake_apis.fail(path, status, headers=headers, body=body, delay_s=delay_s)
    _, suggestions, elapsed = one_faulty_round(budget_s=1.0)
    assert elapsed < 5.0  # 1 s budget; a Retry-After of 3600 is not waited
    assert suggestions.music_source == "offline catalog" and suggestions.source == "offline"
    assert len(suggestions.music) == 5 and all(track.uri is None for track in suggestions.music)
    spotify_notes = [note for note in suggestions.notes if note.startswith("music:")]
    assert len(spotify_notes) == 1
    assert expected in spotify_notes[0] and spotify_notes[0].endswith("offline catalog instead")
    assert "\n" not in spotify_notes[0] and CLIENT_SECRET not in spotify_notes[0]


def test_a_rate_limit_of_an_hour_returns_at_once(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    fake_apis.fail("/v1/search", 429, headers={"Retry-After": "3600"})
    _, suggestions, elapsed = one_faulty_round(budget_s=1.0)
    assert elapsed < 1.0
    assert "waiting 3600 s would pass the 1 s budget" in suggestions.notes[-1]
    assert len(fake_apis.hits("/v1/search")) == 1  # spotipy's own retry is really off


def test_connection_refused(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    monkeypatch.setenv("ASSISTANT_SPOTIFY_API_BASE", closed_port_url() + "/v1/")
    _, suggestions, elapsed = one_faulty_round()
    assert elapsed < 5.0
    assert suggestions.music_source == "offline catalog"
    assert "cannot connect" in suggestions.notes[-1]


def test_a_call_stuck_beyond_any_timeout_still_ends_the_round_in_time(fake_apis: FakeApis,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    stuck = threading.Event()
    monkeypatch.setattr("recommenders.spotify.SpotifyMusic.suggest", lambda *args: stuck.wait(30))
    try:
        _, suggestions, elapsed = one_faulty_round(budget_s=1.0)
    finally:
        stuck.set()
    assert elapsed < 2.0
    assert suggestions.music_source == "offline catalog" and len(suggestions.music) == 5
    assert "music: Spotify: no answer within the time budget; offline catalog instead" in suggestions.notes


def test_no_keys_means_the_offline_catalog_and_a_note(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET")
    _, suggestions, _ = one_faulty_round()
    assert suggestions.music_source == "offline catalog"
    assert suggestions.notes[0].startswith("music: no Spotify keys")
    assert not fake_apis.hits("/v1/search")


def test_transient_faults_are_retried_within_the_budget(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    fake_apis.fail("/v1/search", 503, times=1)
    _, suggestions, _ = one_faulty_round(budget_s=3.0)
    assert suggestions.music_source == "Spotify"
    assert not [note for note in suggestions.notes if note.startswith("music:")]
    fake_apis.fail("/v1/search", 429, headers={"Retry-After": "1"}, times=1)
    start = time.monotonic()
    Recommendations(quick_settings(budget_s=3.0), rng=random.Random(9)).suggest("happy", "match", limit=1)
    assert 1.0 <= time.monotonic() - start < 3.0  # waited what Spotify asked, then succeeded


def test_secrets_stay_out_of_logs(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    music_only(monkeypatch)
    caplog.set_level(logging.DEBUG)
    fake_apis.fail("/v1/search", 401)
    one_faulty_round()
    assert "api/token" in caplog.text  # spotipy did log, at DEBUG...
    basic = base64.b64encode(f"test-client-id:{CLIENT_SECRET}".encode()).decode()
    for secret in (CLIENT_SECRET, basic, "test-app-token"):
        assert secret not in caplog.text  # ...but not the credentials


# ---- login and playlist export -------------------------------------------------------------

def log_in_with_code() -> None:
    """The token exchange of a finished browser login, without the browser."""
    user_auth(quick_settings().spotify, 1.0, open_browser=False).get_access_token(code=AUTH_CODE, check_cache=False)


def test_the_token_cache_is_private(fake_apis: FakeApis) -> None:
    path = token_file()
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    path.chmod(0o644)  # an older, too-open file
    log_in_with_code()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert USER_TOKEN in path.read_text()
    status = login_status()
    assert status.logged_in and status.expires_in_s > 3000 and "playlist-modify-private" in status.scopes
    fresh = PrivateTokenFile(path.parent / "sub" / "new.json")
    fresh.save_token_to_cache({"access_token": "x"})
    assert stat.S_IMODE(fresh.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.path.parent.stat().st_mode) == 0o700
    assert isinstance(fresh, CacheHandler)


def test_browser_login_end_to_end(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = quick_settings().spotify.model_copy(update={"redirect_uri": f"http://127.0.0.1:{port}/callback"})
    opened: list[str] = []

    def browser(url: str) -> bool:  # follows the accounts service's redirect back to spotipy's listener
        opened.append(url)
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 5}, daemon=True).start()
        return True

    monkeypatch.setattr("spotipy.oauth2.webbrowser.open", browser)
    assert login(settings, 2.0) == "Test User"
    assert opened[0].startswith(fake_apis.url + "/authorize?") and "code_challenge_method=S256" in opened[0]
    token = fake_apis.hits("/api/token")[-1]
    assert b"grant_type=authorization_code" in token.body and b"code_verifier=" in token.body
    assert login_status().logged_in


def test_a_login_spotify_refuses_is_one_line(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = quick_settings().spotify
    monkeypatch.setattr("webbrowser.open", lambda url: False)
    # The browser step, as if the user came back with a code the accounts service rejects.
    monkeypatch.setattr("recommenders.login_listener.RedirectListener.wait", lambda *a: "wrong-code")
    with pytest.raises(UserError, match=r"Spotify login failed: token request failed \(invalid_grant\)"):
        login(settings, 1.0)
    monkeypatch.setattr("recommenders.login_listener.RedirectListener.wait", lambda *a: AUTH_CODE)
    fake_apis.fail("/v1/me", 403)
    with pytest.raises(UserError, match=r"refused this login: refused access \(HTTP 403: Forbidden\); "
                                        r"a development-mode app works only for the accounts \(at most 5\) "
                                        r"listed under User Management"):
        login(settings, 1.0)
    fake_apis.fail("/v1/me", 403, body=OWNER_PREMIUM_403)
    with pytest.raises(UserError) as refused:
        login(settings, 1.0)
    assert "Active premium subscription required for the owner of the app" in str(refused.value)
    assert "User Management" not in str(refused.value)  # the account is not what is wrong


def loopback_redirect_settings():
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return quick_settings().spotify.model_copy(update={"redirect_uri": f"http://127.0.0.1:{port}/callback"})


def test_the_login_shows_its_address_at_once_and_waits_past_stray_requests(fake_apis: FakeApis,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    settings = loopback_redirect_settings()
    monkeypatch.setattr("webbrowser.open", lambda url: False)  # no browser here: a server, SSH
    stray: list[int] = []

    def person_elsewhere(url: str) -> None:
        """Reads the address off the terminal; meanwhile a favicon request and a forged redirect arrive."""
        def visit() -> None:
            stray.append(requests.get(settings.redirect_uri.replace("/callback", "/favicon.ico"),
                                      timeout=5).status_code)
            stray.append(requests.get(settings.redirect_uri + "?code=forged&state=guess", timeout=5).status_code)
            requests.get(url, timeout=5)

        threading.Thread(target=visit, daemon=True).start()

    shown: list[str] = []
    assert login(settings, 2.0, wait_s=10,
                 show_url=lambda url: (shown.append(url), person_elsewhere(url))) == "Test User"
    assert shown[0].startswith(fake_apis.url + "/authorize?") and "state=" in shown[0]
    assert stray == [404, 404]
    assert b"code=test-authorization-code" in fake_apis.hits("/api/token")[-1].body


def test_a_login_nobody_completes_ends_at_its_timeout(fake_apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webbrowser.open", lambda url: False)
    start = time.monotonic()
    with pytest.raises(UserError, match=r"no login arrived at http://127.0.0.1:\d+/callback within 0.5 s"):
        login(loopback_redirect_settings(), 1.0, wait_s=0.5)
    assert time.monotonic() - start < 3


def test_a_crash_while_saving_a_refreshed_token_keeps_the_old_login(fake_apis: FakeApis,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import os

    path = token_file()
    cache = PrivateTokenFile(path)
    cache.save_token_to_cache({"access_token": "old-access", "refresh_token": REFRESH_TOKEN})

    def crash(*_args, **_kwargs) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(json, "dump", crash)
        cache.save_token_to_cache({"access_token": "new-access", "refresh_token": REFRESH_TOKEN})
    assert cache.get_cached_token() == {"access_token": "old-access", "refresh_token": REFRESH_TOKEN}
    assert os.listdir(path.parent) == [path.name]


def test_localhost_redirects_are_refused_before_anything_starts(fake_apis: FakeApis) -> None:
    settings = quick_settings().spotify.model_copy(update={"redirect_uri": "http://localhost:8888/callback"})
    with pytest.raises(UserError, match="refuses localhost"):
        user_auth(settings, 1.0)


def test_export_uses_the_2026_playlist_endpoints(fake_apis: FakeApis) -> None:
    log_in_with_code()
    settings = quick_settings().spotify
    tracks = [Track(f"Song {n}", f"Artist {n}", "pop", uri=f"spotify:track:abc{n:04d}") for n in range(150)]
    tracks.append(Track("Offline Song", "Someone", "pop"))  # no URI: left out
    url = export_playlist(tracks, "Sad, then less so", logged_in_auth(settings, 1.0), settings, budget_s=2.0)
    assert url == "https://open.spotify.com/playlist/testplaylist1"
    playlist = fake_apis.playlists["testplaylist1"]
    assert playlist["name"] == "Sad, then less so" and playlist["public"] is False
    assert playlist["items"] == [track.uri for track in tracks[:150]]
    assert len(fake_apis.hits("/v1/me/playlists")) == 1
    assert len(fake_apis.hits("/v1/playlists/testplaylist1/items")) == 2  # 100 + 50
    assert all(seen.headers["Authorization"] == f"Bearer {USER_TOKEN}" for seen in fake_apis.hits("/v1/"))


def test_export_faults_are_one_line_errors(fake_apis: FakeApis) -> None:
    log_in_with_code()
    settings = quick_settings().spotify
    tracks = [Track("Song", "Artist", "pop", uri="spotify:track:abc0001")]
    fake_apis.fail("/v1/me/playlists", 503)
    with pytest.raises(UserError, match="server error"):
        export_playlist(tracks, "x", logged_in_auth(settings, 1.0), settings, budget_s=1.0)
    assert len(fake_apis.hits("/v1/me/playlists")) == 1  # a POST that may have worked is not repeated
    fake_apis.fail("/v1/me/playlists", 429, headers={"Retry-After": "3600"})
    start = time.monotonic()
    with pytest.raises(UserError, match="rate limited"):
        export_playlist(tracks, "x", logged_in_auth(settings, 1.0), settings, budget_s=1.0)
    assert time.monotonic() - start < 2.0
    with pytest.raises(UserError, match="offline suggestions cannot be exported"):
        export_playlist([Track("Song", "Artist", "pop")], "x", logged_in_auth(settings, 1.0), settings)


def test_export_needs_a_login(fake_apis: FakeApis) -> None:
    with pytest.raises(UserError, match="not logged in to Spotify"):
        logged_in_auth(quick_settings().spotify, 1.0)
    token_file().parent.mkdir(parents=True)
    token_file().write_text('{"access_token": "old", "refresh_token": "%s", "expires_at": 0, "scope": ""}'
                            % REFRESH_TOKEN)
    with pytest.raises(UserError, match="lacks playlist permissions"):
        logged_in_auth(quick_settings().spotify, 1.0)


def test_a_spent_quota_is_named_and_no_call_is_made_until_it_ends(fake_apis: FakeApis,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    music_only(monkeypatch)
    fake_apis.fail("/v1/search", 429, headers={"Retry-After": "86400"}, body=QUOTA_429)
    _, suggestions, elapsed = one_faulty_round()
    assert elapsed < 1.0 and "quota exceeded (HTTP 429 QUOTA_EXCEEDED); no calls for 24 h" in suggestions.notes[-1]
    assert len(fake_apis.hits("/v1/search")) == 1
    # The rest of the session, and the next command (a new service, as a new process has), do not call.
    service, suggestions, _ = one_faulty_round()
    service.suggest(SAD, "match", limit=5)
    assert len(fake_apis.hits("/v1/search")) == 1
    assert "quota exceeded; no calls until" in suggestions.notes[-1]
    assert suggestions.music_source == "offline catalog"


def test_a_token_refresh_from_a_trickling_server_ends_within_its_budget(fake_apis: FakeApis) -> None:
    import json

    log_in_with_code()
    saved = json.loads(token_file().read_text())
    token_file().write_text(json.dumps({**saved, "expires_at": 0}))  # the next command must refresh it
    fake_apis.fail("/api/token", 200, byte_every_s=0.2)  # each byte well within any per-read timeout
    start = time.monotonic()
    with pytest.raises(UserError, match="cannot renew the saved Spotify login"):
        logged_in_auth(quick_settings().spotify, 1.0)
    assert time.monotonic() - start < 2.5


def test_a_playlist_export_to_a_trickling_server_ends_within_its_budget(fake_apis: FakeApis) -> None:
    log_in_with_code()
    settings = quick_settings().spotify
    tracks = [Track("Song", "Artist", "pop", uri="spotify:track:abc0001")]
    auth = logged_in_auth(settings, 3.0)
    fake_apis.fail("/v1/me/playlists", 201, byte_every_s=0.5)
    start = time.monotonic()
    with pytest.raises(UserError, match="no answer within"):
        export_playlist(tracks, "x", auth, settings, budget_s=3.0)
    assert time.monotonic() - start < 4.5
