"""`assistant recommend` and `assistant auth`: the JSON shape, the marked offline output, TMDB's
attribution, one-line errors, and no secret ever printed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from recommenders.tmdb import ATTRIBUTION
from tests.support.fake_apis import CLIENT_SECRET, TMDB_KEY, FakeApis

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_offline_json_has_exactly_the_documented_shape() -> None:
    result = run("recommend", "--mood", "sad", "--offline", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["mood", "strategy", "source", "music", "movies", "notes"]
    assert (data["mood"], data["strategy"], data["source"]) == ("sad", "match", "offline")
    assert len(data["music"]) == len(data["movies"]) == 5  # session.suggestion_limit
    assert all(set(track) == {"title", "artist", "genre"} for track in data["music"])
    assert all(set(movie) == {"title", "year", "genres"} for movie in data["movies"])
    assert data["notes"] == ["offline mode: suggestions from the built-in catalog"]


def test_without_keys_it_says_so_and_uses_the_catalog() -> None:
    result = run("recommend", "--mood", "happy", "--strategy", "calm", "--limit", "3", "--json")
    data = json.loads(result.stdout)
    assert data["source"] == "offline" and data["strategy"] == "calm" and len(data["music"]) == 3
    assert any(note.startswith("music: no Spotify keys") for note in data["notes"])
    assert any(note.startswith("movies: no TMDB key") for note in data["notes"])


def test_online_json_carries_ids_and_the_attribution(fake_apis: FakeApis) -> None:
    result = run("recommend", "--mood", "neutral", "--strategy", "uplift", "--limit", "4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["source"] == "online"
    assert all(track["uri"].startswith("spotify:track:") for track in data["music"])
    assert all(isinstance(movie["tmdb_id"], int) for movie in data["movies"])
    assert data["notes"] == [ATTRIBUTION]


def test_tables_name_their_source_and_show_tmdb_attribution_only_for_tmdb(fake_apis: FakeApis) -> None:
    online = run("recommend", "--mood", "fear")
    assert online.exit_code == 0, online.output
    assert "Music (Spotify)" in online.stdout and "Movies (TMDB)" in online.stdout
    assert ATTRIBUTION in online.stdout
    offline = run("recommend", "--mood", "fear", "--offline")
    assert "Music (offline)" in offline.stdout and "Movies (offline)" in offline.stdout
    assert "fear · match · offline" in offline.stdout
    assert ATTRIBUTION not in offline.stdout


def test_a_fault_is_a_note_on_stderr_within_the_budget(fake_apis: FakeApis, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[recommend]\nbudget_s = 1.0\n")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    fake_apis.fail("/v1/search", 429, headers={"Retry-After": "3600"})
    start = time.monotonic()
    result = run("recommend", "--mood", "angry")
    assert time.monotonic() - start < 5.0
    assert result.exit_code == 0
    assert "Music (offline)" in result.stdout and "Movies (TMDB)" in result.stdout
    assert "note: music: Spotify: rate limited (HTTP 429, retry after 3600 s)" in result.stderr
    assert "Traceback" not in result.output and "HTTP Error" not in result.stderr  # spotipy's own log line stays quiet


def test_a_user_policy_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[match.sad]\nmusic = ["jazz"]\nmovies = [99]\n')
    config = tmp_path / "config.toml"
    config.write_text(f'[recommend]\npolicy = "{policy}"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    data = json.loads(run("recommend", "--mood", "sad", "--offline", "--json").stdout)
    assert {track["genre"] for track in data["music"]} == {"jazz"}
    assert all("Documentary" in movie["genres"] for movie in data["movies"])
    policy.write_text('[match.sad]\nmusic = ["jazz"]\nmovies = [99, 4242]\n')
    result = run("recommend", "--mood", "sad", "--offline")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "unknown TMDB genre id 4242" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--mood", "bored"], "unknown emotion 'bored'"),
    (["--mood", "sad", "--strategy", "cheer"], "unknown strategy 'cheer'"),
])
def test_bad_input_is_one_line_and_exit_1(args: list[str], message: str) -> None:
    result = run("recommend", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message} (expected one of: ")
    assert "\n" not in result.stderr.strip()


def test_auth_status_says_what_is_set_and_never_shows_it(fake_apis: FakeApis) -> None:
    result = run("auth", "status")
    assert result.exit_code == 0
    assert "SPOTIPY_CLIENT_SECRET" in result.stdout and "not logged in" in result.stdout
    assert fake_apis.url in result.stdout  # base URLs are shown: they are not secrets
    for secret in (CLIENT_SECRET, TMDB_KEY, "test-client-id"):
        assert secret not in result.output


def test_auth_spotify_without_a_client_id_is_one_line() -> None:
    result = run("auth", "spotify")
    assert result.exit_code == 1
    assert "SPOTIPY_CLIENT_ID is not set" in result.stderr and "Traceback" not in result.output
