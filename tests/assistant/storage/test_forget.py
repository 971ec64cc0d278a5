"""`forget`: confirmation, no trace of the session left in the file, refusals."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from assistant.cli import app
from assistant.storage import ratings
from assistant.storage.database import database, open_engine
from assistant.storage.profiles import Profile
from assistant.storage.recorder import SessionRecorder
from recognizer.classes import EMOTIONS
from tests.support import recorded

runner = CliRunner()
TABLES = ("sessions", "mood_samples", "mood_changes", "suggestions", "ratings")
TASTE = ("taste_genres", "taste_items")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The recorded database with Song A liked and Film B dismissed in session 1."""
    path = tmp_path / "assistant.db"
    recorded.build(path)
    with database(path) as engine, Session(engine) as session:
        ratings.record(session, [(1, "like", 1000.0), (5, "dismiss", 1000.0)])
        session.commit()
    return path


def rows_per_session(path: Path) -> dict[str, dict[int, int]]:
    with sqlite3.connect(path) as conn:
        return {table: dict(conn.execute(f"SELECT {'id' if table == 'sessions' else 'session_id'}, COUNT(*) "
                                         f"FROM {table} GROUP BY 1"))
                for table in TABLES}


def file_bytes(path: Path) -> bytes:
    """The database with its WAL and shared-memory files: everywhere a deleted row could linger."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def taste_rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TASTE}


def test_forget_one_session_leaves_no_trace_of_it(db: Path) -> None:
    assert b"Film A" in file_bytes(db)
    result = runner.invoke(app, ["forget", "1", "--db", str(db)], input="y\n")
    assert result.exit_code == 0, result.output
    assert (f"Delete session 1 (61 mood samples, 5 suggestions, 2 ratings; the taste learned from them stays) "
            f"from {db}?") in result.stderr

    # Read the files exactly as forget left them, before this test opens the database
    # (opening it would create fresh, empty WAL and shared-memory files of its own).
    left_behind = file_bytes(db)
    assert not any(title in left_behind for title in (b"Song A", b"Film A", b"Band B", b"interrupted"))
    assert rows_per_session(db) == {"sessions": {2: 1}, "mood_samples": {2: 5}, "mood_changes": {2: 1},
                                    "suggestions": {}, "ratings": {}}
    # What the ratings taught stays: Song A (pop, happy) liked; Film B (Drama, sad) dismissed for good.
    assert taste_rows(db) == {"taste_genres": 2, "taste_items": 2}
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # vacuumed: no free pages left behind (whose old bytes survive where secure_delete is off)
        assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)


def test_declining_deletes_nothing(db: Path) -> None:
    before = rows_per_session(db)
    result = runner.invoke(app, ["forget", "1", "--db", str(db)], input="n\n")
    assert result.exit_code == 1
    assert rows_per_session(db) == before


def save_profile(db: Path, name: str) -> None:
    with database(db) as engine:
        Profile.new(name, "0" * 64, np.zeros(len(EMOTIONS)), 1, 0.0).save(engine)


def test_forget_all_with_yes_and_json(db: Path) -> None:
    save_profile(db, "calibrated_person")
    result = runner.invoke(app, ["forget", "--all", "--yes", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"deleted_sessions": [1, 2], "samples": 66, "suggestions": 5, "ratings": 2,
                                         "taste_forgotten": True, "profiles": 1}
    assert rows_per_session(db) == {table: {} for table in TABLES}
    assert taste_rows(db) == {"taste_genres": 0, "taste_items": 0}
    assert b"song a" not in file_bytes(db) and b"film b" not in file_bytes(db)  # the taste's item keys
    assert b"Song A" not in file_bytes(db) and b"calibrated_person" not in file_bytes(db)
    result = runner.invoke(app, ["history", "--db", str(db)])
    assert result.exit_code == 1 and "no sessions recorded" in result.stderr


def test_forget_all_removes_profiles_even_without_sessions(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    open_engine(path, create=True).dispose()
    save_profile(path, "ann")
    result = runner.invoke(app, ["forget", "--all", "--db", str(path)], input="y\n")
    assert result.exit_code == 0, result.output
    assert ("Delete all 0 sessions, the learned taste and the calibration profiles (0 mood samples, 0 suggestions, "
            f"0 ratings, 1 calibration profile) from {path}?") in result.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM profiles").fetchone() == (0,)


def test_forgetting_one_session_keeps_the_profiles(db: Path) -> None:
    save_profile(db, "ann")
    assert runner.invoke(app, ["forget", "1", "--yes", "--db", str(db)]).exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM profiles").fetchall() == [("ann",)]


@pytest.mark.parametrize("args, message", [([], "SESSION_ID or --all"), (["1", "--all"], "SESSION_ID or --all"),
                                           (["9", "--yes"], "no session 9")])
def test_refusals_change_nothing(db: Path, args: list[str], message: str) -> None:
    before = rows_per_session(db)
    result = runner.invoke(app, ["forget", *args, "--db", str(db)])
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1
    assert rows_per_session(db) == before


def test_forget_waits_for_a_recording_session_to_end(db: Path) -> None:
    recorder = SessionRecorder.start(db, "0", "{}")
    before = rows_per_session(db)
    result = runner.invoke(app, ["forget", "1", "--yes", "--db", str(db)])
    assert result.exit_code == 1 and "a session is recording" in result.stderr
    assert rows_per_session(db) == before
    recorder.close("done")
    assert runner.invoke(app, ["forget", "1", "--yes", "--db", str(db)]).exit_code == 0


def test_forget_all_removes_a_taste_that_outlived_its_sessions(db: Path) -> None:
    for session_id in ("1", "2"):
        assert runner.invoke(app, ["forget", session_id, "--yes", "--db", str(db)]).exit_code == 0
    assert taste_rows(db) == {"taste_genres": 2, "taste_items": 2}
    result = runner.invoke(app, ["forget", "--all", "--db", str(db)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Delete all 0 sessions, the learned taste and the calibration profiles" in result.stderr
    assert taste_rows(db) == {"taste_genres": 0, "taste_items": 0}


def test_forget_all_deletes_a_session_recorded_while_the_question_waits(db: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    def answer_yes_after_a_session_is_recorded(*_args, **_kwargs) -> bool:
        with SessionRecorder.start(db, "0", "{}") as rec:
            rec.add_sample(0.0, 1_700_000_000.0, None, None)
            rec.close("source ended")
        return True

    monkeypatch.setattr(typer, "confirm", answer_yes_after_a_session_is_recorded)
    result = runner.invoke(app, ["forget", "--all", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted_sessions"] == [1, 2, 3]
    assert rows_per_session(db)["sessions"] == {}


def test_forget_all_clears_the_cached_answers_of_the_apis(db: Path) -> None:
    from recommenders.cache import ResponseCache, default_cache_dir

    ResponseCache(ttl_s=3600).put("tmdb", {"endpoint": "discover", "with_genres": "18"}, {"results": []})
    assert any(default_cache_dir().rglob("*.json"))
    assert runner.invoke(app, ["forget", "--all", "--yes", "--db", str(db)]).exit_code == 0
    assert not default_cache_dir().exists()


def test_a_vacuum_that_fails_after_the_delete_says_the_sessions_are_gone(db: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.storage.forget as forgetting

    class FullDisk:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def execute(self, sql: str, *args):
            if sql == "VACUUM":
                raise sqlite3.OperationalError("database or disk is full")
            return self.conn.execute(sql, *args)

    real_closing = forgetting.closing

    class RawWrapper:
        def __init__(self, raw) -> None:
            self.raw, self.driver_connection = raw, FullDisk(raw.driver_connection)

        def close(self) -> None:
            self.raw.close()

    monkeypatch.setattr(forgetting, "closing", lambda raw: real_closing(RawWrapper(raw)))
    result = runner.invoke(app, ["forget", "1", "--yes", "--db", str(db)])
    assert result.exit_code == 1
    assert ("the sessions are deleted, but" in result.stderr and "could not be vacuumed (database or disk is full)"
            in result.stderr)
    assert 1 not in rows_per_session(db)["sessions"]


@pytest.mark.parametrize("session_id", ["99999999999999999999", "0"])
def test_an_impossible_session_id_is_one_line(db: Path, session_id: str) -> None:
    result = runner.invoke(app, ["forget", session_id, "--yes", "--db", str(db)])
    assert result.exit_code == 1 and result.stderr.strip() == (
        f"error: no session {session_id}; `assistant history` lists the sessions")
