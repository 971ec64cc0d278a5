"""`export`: every format parsed back, overwrite protection, and the Spotify playlist against the fake API."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.support import recorded
from tests.support.fake_apis import REFRESH_TOKEN, SCOPES, USER_TOKEN, FakeApis

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "assistant.db"
    recorded.build(path)
    return path


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_m3u_lists_each_song_once_with_its_uri_or_a_search_link(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "session.m3u8"
    result = run("export", "1", "--format", "m3u", "--output", str(out), "--db", str(db))
    assert result.exit_code == 0, result.output

    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U" and lines[1].startswith("#PLAYLIST:Mood session 1 · ")
    entries = list(zip(lines[2::2], lines[3::2], strict=False))
    assert entries == [("#EXTINF:-1,Band A - Song A", "spotify:track:aaa"),
                       ("#EXTINF:-1,Band B - Song B", "https://open.spotify.com/search/Band%20B%20Song%20B")]


def test_csv_has_every_suggestion_movies_too(db: Path) -> None:
    result = run("export", "--last", "--format", "csv", "--db", str(db))  # session 2 made none
    assert result.exit_code == 1 and "no suggestions" in result.stderr

    result = run("export", "1", "--format", "csv", "--db", str(db))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["kind"], r["title"], r["artist"], r["year"], r["mood"], r["strategy"], r["t"]) for r in rows] == [
        ("music", "Song A", "Band A", "", "happy", "match", "2.0"),
        ("movie", "Film A", "", "1999", "happy", "match", "2.0"),
        ("music", "Song B", "Band B", "", "sad", "uplift", "18.0"),
        ("music", "Song A", "Band A", "", "sad", "uplift", "18.0"),
        ("movie", "Film B", "", "2005", "sad", "uplift", "18.0"),
    ]
    assert ((rows[0]["uri"], rows[0]["source"], rows[1]["tmdb_id"], rows[1]["genre"])
            == ("spotify:track:aaa", "online", "11", "Comedy"))


def test_json_round_trips(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "session.json"
    result = run("export", "1", "--format", "json", "--output", str(out), "--db", str(db), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"session_id": 1, "format": "json", "items": 5, "output": str(out)}
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["session_id"] == 1
    assert data["suggestions"][1] == {"kind": "movie", "title": "Film A", "artist": None, "year": 1999,
                                      "genre": "Comedy", "uri": None, "tmdb_id": 11, "source": "online",
                                      "mood": "happy", "strategy": "match", "t": 2.0}
    assert [s["title"] for s in data["suggestions"]] == ["Song A", "Film A", "Song B", "Song A", "Film B"]


def test_an_existing_file_is_kept_unless_forced(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    result = run("export", "1", "--format", "csv", "--output", str(out), "--db", str(db))
    assert result.exit_code == 1 and "--force" in result.stderr and out.read_text() == "precious\n"
    assert run("export", "1", "--format", "csv", "--output", str(out), "--force", "--db", str(db)).exit_code == 0
    assert out.read_text().startswith("kind,title,")


def test_refusals(db: Path, tmp_path: Path) -> None:
    for args, message in ((["--format", "csv", "--json"], "add --output"),
                          (["--format", "spotify", "--output", str(tmp_path / "x")], "takes no --output"),
                          (["--format", "mp3"], "mp3"),
                          (["7", "--format", "csv"], "no session 7"),
                          (["1", "--format", "csv", "--output", str(tmp_path / "no" / "dir.csv")], "cannot write")):
        result = run("export", *args, "--db", str(db))
        assert result.exit_code != 0 and message in result.stderr, (args, result.stderr)


def test_spotify_creates_a_private_playlist_of_the_songs_spotify_knows(db: Path, fake_apis: FakeApis,
                                                                     isolated_dirs: Path) -> None:
    token = isolated_dirs / "xdg_data_home" / "assistant" / "spotify-token.json"
    token.parent.mkdir(parents=True)
    token.write_text(json.dumps({"access_token": USER_TOKEN, "refresh_token": REFRESH_TOKEN, "token_type": "Bearer",
                                 "expires_in": 3600, "expires_at": int(time.time()) + 3600, "scope": SCOPES}))
    result = run("export", "1", "--format", "spotify", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output

    (playlist,) = fake_apis.playlists.values()
    assert playlist["name"].startswith("Mood session 1 · ") and playlist["public"] is False
    assert playlist["items"] == ["spotify:track:aaa"]
    summary = json.loads(result.stdout)
    assert (summary["format"], summary["items"], summary["url"].startswith("http")) == ("spotify", 2, True)


def test_spotify_without_a_login_is_a_one_line_error(db: Path, fake_apis: FakeApis) -> None:
    result = run("export", "1", "--format", "spotify", "--db", str(db))
    assert result.exit_code == 1 and result.stderr.startswith("error: not logged in to Spotify")
    assert fake_apis.playlists == {}


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """Suggestions whose fields try to add playlist entries, point at local files and run spreadsheet formulas."""
    from assistant.storage.recorder import SessionRecorder, SuggestionRecord

    path = tmp_path / "hostile.db"
    with SessionRecorder.start(path, "0", "{}") as rec:
        rec.add_sample(0.0, 1_700_000_000.0, None, None)
        rec.add_suggestions(0.0, [
            SuggestionRecord("music", "Line one\n#EXTINF:-1,Injected\nfile:///etc/shadow", "online", artist="A",
                             uri="spotify:track:abc123"),
            SuggestionRecord("music", "Local", "online", artist="B", uri="file:///etc/passwd"),
            SuggestionRecord("movie", '=HYPERLINK("http://evil.example","click")', "offline", year=2000),
            SuggestionRecord("movie", "+1", "offline", year=2001, genre="@SUM(A1)"),
        ], "happy", "match")
        rec.close("source ended")
    return path


def test_titles_cannot_add_playlist_entries_nor_point_at_local_files(hostile_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.m3u8"
    assert run("export", "1", "--format", "m3u", "--output", str(out), "--db", str(hostile_db)).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 + 2 * 2
    assert lines[2] == "#EXTINF:-1,A - Line one #EXTINF:-1,Injected file:///etc/shadow"
    assert lines[3] == "spotify:track:abc123"
    assert lines[5].startswith("https://open.spotify.com/search/") and "file:" not in "".join(lines[4:])


def test_csv_cells_are_never_live_formulas(hostile_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert run("export", "1", "--format", "csv", "--output", str(out), "--db", str(hostile_db)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    cells = [value for row in rows for value in row.values() if value]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in cells and "'+1" in cells and "'@SUM(A1)" in cells


def test_force_on_a_full_disk_keeps_the_old_file_whole(db: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    out = tmp_path / "old.csv"
    out.write_text("what was there\n")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    result = run("export", "1", "--format", "csv", "--output", str(out), "--force", "--db", str(db))
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert out.read_text() == "what was there\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
