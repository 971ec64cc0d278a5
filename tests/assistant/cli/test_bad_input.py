"""Odd input gets one line and a non-zero exit, never a traceback, and never a silent wrong result;
what the assistant writes about a person stays private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.storage.database import StorageError
from assistant.storage.lock import DatabaseLock
from tests.support import SHARED, recorded

runner = CliRunner()
SHARED_IMAGES = SHARED / "images"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "assistant.db"
    recorded.build(path)
    return path


def one_line_error(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], result.stderr


@pytest.mark.parametrize("command", [["report"], ["export", "--format", "csv"], ["rate", "--like", "1"]])
def test_a_session_id_beyond_any_sqlite_row_id_is_one_line(db: Path, command: list[str]) -> None:
    result = runner.invoke(app, [command[0], "99999999999999999999", *command[1:], "--db", str(db)])
    one_line_error(result, "no session 99999999999999999999")


def test_since_further_back_than_1970_means_every_session(db: Path) -> None:
    for since in ("99999999999d", "1900-01-01"):
        result = runner.invoke(app, ["report", "--since", since, "--json", "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert '"sessions": [\n    1,\n    2\n  ]' in result.stdout


@pytest.mark.parametrize("command", [
    ["start", "--source", "0", "--duration", "nan"],
    ["start", "--source", "0", "--duration", "inf"],
    ["calibrate", "--source", "0", "--seconds", "nan"],
])
def test_a_length_of_nan_or_inf_seconds_is_refused(command: list[str], tmp_path: Path) -> None:
    result = runner.invoke(app, [*command, "--db", str(tmp_path / "a.db")])
    one_line_error(result, "must be a number of seconds more than 0")
    assert not (tmp_path / "a.db").exists()


def test_a_folder_of_undecodable_images_records_no_session(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in ("a.jpg", "b.png"):
        (folder / name).write_bytes(b"not an image at all")
    result = runner.invoke(app, ["start", "--source", str(folder), "--headless", "--offline",
                                 "--db", str(tmp_path / "a.db")])
    one_line_error(result, "none of the 2 images in")
    assert not (tmp_path / "a.db").exists()


@pytest.mark.skipif(not (SHARED_IMAGES / "one_face.jpg").exists(), reason="needs ../shared/images")
def test_saved_frames_and_a_frames_folder_made_for_them_are_private(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "one_face.jpg").write_bytes((SHARED_IMAGES / "one_face.jpg").read_bytes())
    frames = tmp_path / "new" / "frames"
    empty_db = tmp_path / "crashed.db"
    empty_db.touch()  # a crash before the first write leaves an empty file: it is used, not refused
    result = runner.invoke(app, ["start", "--source", str(photos), "--headless", "--offline",
                                 "--save-frames", str(frames), "--db", str(empty_db)])
    assert result.exit_code == 0, result.output
    (saved,) = frames.iterdir()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and stat.S_IMODE(frames.stat().st_mode) == 0o700
    assert "Session 1:" in result.stdout


def test_the_session_lock_is_the_files_whatever_path_names_it(db: Path, tmp_path: Path) -> None:
    link = tmp_path / "elsewhere.db"
    link.symlink_to(db)
    with DatabaseLock(link, exclusive=False):
        with pytest.raises(StorageError, match="a session is recording"):
            DatabaseLock(db, exclusive=True)


def test_the_response_cache_folders_are_private(tmp_path: Path) -> None:
    from recommenders.cache import ResponseCache

    cache = ResponseCache(ttl_s=60, directory=tmp_path / "responses")
    cache.put("tmdb", {"endpoint": "discover"}, {"results": []})
    for folder in (tmp_path / "responses", tmp_path / "responses" / "tmdb"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
