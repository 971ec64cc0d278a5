"""`start --play` against the fake Spotify with the real spotipy client: a round's tracks
queued in order on the active device, every player fault one line within the budget, and
no session begun without a login that allows playback."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.session.suggestions import SuggestionRounds
from config.errors import UserError
from recommenders.base import Track
from recommenders.playback import Player
from recommenders.service import Recommendations
from recommenders.spotify_auth import PLAYLIST_SCOPES, logged_in_auth, token_file, user_auth
from tests.support.fake_apis import AUTH_CODE, REFRESH_TOKEN, USER_TOKEN, FakeApis, quick_settings

BUDGET_S = 1.0
TRACKS = [Track(f"Song {n}", f"Artist {n}", "pop", uri=f"spotify:track:abc{n:04d}") for n in range(3)]


def log_in() -> None:
    """The token exchange of a finished browser login, without the browser."""
    user_auth(quick_settings().spotify, 1.0, open_browser=False).get_access_token(code=AUTH_CODE, check_cache=False)


def player(budget_s: float = BUDGET_S) -> Player:
    settings = quick_settings(budget_s=budget_s).spotify
    return Player(logged_in_auth(settings, budget_s, need="playback"), settings, budget_s)


def test_a_round_is_queued_in_order_on_the_active_device(fake_apis: FakeApis) -> None:
    log_in()
    offline = Track("Offline Song", "Someone", "pop")  # no URI: left out
    note = player().queue([TRACKS[0], offline, *TRACKS[1:], TRACKS[0]])
    assert note == "play: queued 3 tracks on Test Laptop"
    assert fake_apis.queued == [("laptop0001", track.uri) for track in TRACKS]
    assert all(seen.headers["Authorization"] == f"Bearer {USER_TOKEN}" for seen in fake_apis.hits("/v1/me/player"))


def test_offline_tracks_queue_nothing_and_say_nothing(fake_apis: FakeApis) -> None:
    log_in()
    assert player().queue([Track("Offline Song", "Someone", "pop")]) is None
    assert not fake_apis.hits("/v1/me/player")


def test_no_active_device_is_a_note_and_nothing_is_posted(fake_apis: FakeApis) -> None:
    log_in()
    for device in fake_apis.devices:
        device["is_active"] = False
    note = player().queue(TRACKS)
    assert note == ("play: Spotify: no device is playing; start playing on a phone or computer; "
                    "the session goes on without playing")
    assert not fake_apis.hits("/v1/me/player/queue") and not fake_apis.queued


@pytest.mark.parametrize(("path", "status", "headers", "delay_s", "expected", "posts"), [
    ("/v1/me/player/queue", 403, {}, 0, "playing needs a Premium account (HTTP 403 PREMIUM_REQUIRED)", 1),
    ("/v1/me/player/queue", 404, {}, 0, "no active device (HTTP 404 NO_ACTIVE_DEVICE)", 1),
    ("/v1/me/player/queue", 429, {"Retry-After": "3600"}, 0, "waiting 3600 s would pass the 1 s budget", 1),
    ("/v1/me/player/queue", 500, {}, 0, "server error (HTTP 500)", 1),  # a POST that may have worked: once
    ("/v1/me/player/devices", 429, {"Retry-After": "3600"}, 0, "rate limited (HTTP 429, retry after 3600 s)", 0),
    ("/v1/me/player/devices", 503, {}, 0, "server error (HTTP 503)", 0),
    ("/v1/me/player/devices", 200, {}, 3.0, "no answer within", 0),
    ("/v1/me/player/queue", 200, {}, 3.0, "no answer within", 1),
    ("/v1/me/player/devices", 401, {}, 0, "rejected the login (HTTP 401); run `assistant auth spotify` again", 0),
])
def test_every_player_fault_is_one_note_within_the_budget(fake_apis: FakeApis, path: str, status: int,
                                                          headers: dict, delay_s: float, expected: str,
                                                          posts: int) -> None:
    log_in()
    queue = player()
    fake_apis.fail(path, status, headers=headers, delay_s=delay_s)
    start = time.monotonic()
    note = queue.queue(TRACKS)
    assert time.monotonic() - start < BUDGET_S + 0.5
    assert note is not None and note.startswith("play: Spotify: ") and expected in note
    assert note.endswith("the session goes on without playing") and "\n" not in note
    assert len(fake_apis.hits("/v1/me/player/queue")) == posts
    assert not fake_apis.queued


def test_a_login_from_before_playback_exports_but_cannot_play(fake_apis: FakeApis) -> None:
    token_file().parent.mkdir(parents=True)
    token_file().write_text(json.dumps({"access_token": USER_TOKEN, "refresh_token": REFRESH_TOKEN,
                                        "expires_at": int(time.time()) + 3600, "scope": PLAYLIST_SCOPES}))
    logged_in_auth(quick_settings().spotify, 1.0)  # playlists: still fine
    with pytest.raises(UserError, match=r"lacks playback permissions: run `assistant auth spotify` again"):
        logged_in_auth(quick_settings().spotify, 1.0, need="playback")


def test_the_suggestion_worker_queues_each_round_and_notes_it(fake_apis: FakeApis,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMDB_API_KEY")
    log_in()
    service = Recommendations(quick_settings(), rng=random.Random(0))
    rounds = SuggestionRounds(service, strategy="match", limit=3, interval_s=0.0, player=player())
    rounds.consider(0.0, "sad")
    (answer,) = rounds.finish(0.0, "sad")
    assert answer.suggestions.music_source == "Spotify"
    assert "play: queued 3 tracks on Test Laptop" in answer.suggestions.notes
    assert fake_apis.queued == [("laptop0001", track.uri) for track in answer.suggestions.music]


runner = CliRunner()


def test_play_without_a_login_is_refused_before_the_session_starts(fake_apis: FakeApis, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    result = runner.invoke(app, ["start", "--source", str(tmp_path / "any.mp4"), "--headless", "--play", "--db", db])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: not logged in to Spotify: run `assistant auth spotify` first"
    assert not db.exists()


def test_play_with_offline_is_refused(fake_apis: FakeApis, tmp_path: Path) -> None:
    log_in()
    db = tmp_path / "a.db"
    result = runner.invoke(app, ["start", "--headless", "--play", "--offline", "--db", db])
    assert result.exit_code == 1 and "\n" not in result.stderr.strip()
    assert "--play needs Spotify, and this session is offline" in result.stderr
    assert not db.exists()
