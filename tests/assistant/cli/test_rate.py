"""`assistant rate` and `assistant taste`: ratings after a session, what they teach, \
and refusals that record nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.support import recorded

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Session 1 suggested, in report order: 1 Song A (pop, happy), 2 Film A (Comedy, happy), 3 Song B (blues, sad),
    4 Song A (pop, sad, uplift), 5 Film B (Drama, sad, uplift); session 2 suggested nothing."""
    path = tmp_path / "assistant.db"
    recorded.build(path)
    return path


def run(db: Path, *args: str, input: str | None = None):
    return runner.invoke(app, [*args, "--db", str(db)], input=input)


def ratings(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT r.session_id, s.title, s.mood, s.strategy, r.verdict FROM ratings r "
                            "JOIN suggestions s ON s.id = r.suggestion_id ORDER BY s.t, s.id").fetchall()


def taste(db: Path) -> dict:
    result = run(db, "taste", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_rating_by_number_records_the_verdicts_with_their_mood_and_strategy(db: Path) -> None:
    result = run(db, "rate", "1", "--like", "1,3", "--dismiss", "5", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"session_id": 1, "rated": [
        {"number": 1, "kind": "music", "title": "Song A", "verdict": "like"},
        {"number": 3, "kind": "music", "title": "Song B", "verdict": "like"},
        {"number": 5, "kind": "movie", "title": "Film B", "verdict": "dismiss"}]}
    assert ratings(db) == [(1, "Song A", "happy", "match", "like"), (1, "Song B", "sad", "uplift", "like"),
                           (1, "Film B", "sad", "uplift", "dismiss")]


def test_rating_again_replaces_the_verdict_and_the_taste_counts_it_once(db: Path) -> None:
    assert run(db, "rate", "--last", "--like", "1").exit_code == 1  # the last session (2) suggested nothing
    assert run(db, "rate", "1", "--like", "5").exit_code == 0
    assert run(db, "rate", "1", "--dismiss", "5").exit_code == 0
    assert ratings(db) == [(1, "Film B", "sad", "uplift", "dismiss")]
    (context,) = taste(db)["contexts"]
    drama = next(genre for genre in context["genres"] if genre["genre"] == "Drama")
    assert (context["mood"], context["strategy"], context["kind"]) == ("sad", "uplift", "movie")
    assert (drama["likes"], drama["dismissals"], drama["like_rate"]) == (0, 1, 0.333)


def test_asked_interactively_a_mistake_is_asked_again(db: Path) -> None:
    result = run(db, "rate", "1", input="1\n1\n2\n4\n")
    assert result.exit_code == 0, result.output
    assert "error: suggestion 1 is in both --like and --dismiss" in result.stderr
    for line in ("1  music  Song A  Band A     pop     happy", "5  movie  Film B  2005       Drama   sad"):
        assert line in result.stderr  # the numbered list, as `assistant report` orders it
    assert "Session 1: liked 2; dismissed 4." in result.stdout
    assert ratings(db) == [(1, "Film A", "happy", "match", "like"), (1, "Song A", "sad", "uplift", "dismiss")]


@pytest.mark.parametrize(("args", "message"), [
    (["1", "--like", "6"], "session 1 has no suggestion 6 (its suggestions are 1 to 5)"),
    (["1", "--like", "0"], "session 1 has no suggestion 0 (its suggestions are 1 to 5)"),
    (["1", "--like", "1,2", "--dismiss", "2"], "suggestion 2 is in both --like and --dismiss"),
    (["1", "--dismiss", "two"], "--dismiss takes suggestion numbers like 1,3; not 'two'"),
    (["2", "--like", "1"], "session 2 has no suggestions to rate"),
    (["9", "--like", "1"], "no session 9; `assistant history` lists the sessions"),
    (["1", "--last", "--like", "1"], "give a SESSION_ID or --last, not both"),
])
def test_bad_input_is_one_line_and_records_nothing(db: Path, args: list[str], message: str) -> None:
    result = run(db, "rate", *args)
    assert result.exit_code == 1
    assert result.stderr == f"error: {message}\n"
    assert ratings(db) == [] and taste(db) == {"contexts": [], "liked_items": 0, "dismissed_items": 0}


def test_no_answer_to_the_questions_is_an_error_not_a_traceback(db: Path) -> None:
    result = run(db, "rate", "1", input="")
    assert result.exit_code == 1 and "error: no answer; give --like and --dismiss" in result.stderr
    assert ratings(db) == []


def test_taste_shows_each_mood_with_its_preferred_genres_first(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Nothing learned yet" in run(db, "taste").stdout
    assert run(db, "rate", "1", "--like", "1", "--dismiss", "3").exit_code == 0
    # The width Rich reads from the environment; setting the console's own would outlast the test.
    monkeypatch.setenv("COLUMNS", "200")
    result = run(db, "taste")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    happy = next(line for line in lines if "happy" in line and "music" in line)
    assert "pop 67% · untried: happy, dance" in happy and happy.replace("│", " ").split()[-2:] == ["1", "0"]
    assert "1 items liked (they come back now and then), 1 dismissed for good" in result.stdout
    # Song B (blues) was suggested under uplift, whose sad steps offer no blues: it teaches no genre there.
    assert all(context["mood"] == "happy" for context in taste(db)["contexts"])


@pytest.mark.parametrize(("column", "value", "problem"), [("likes", "'many'", "likes 'many' is not a count"),
                                                         ("mood", "'bored'", "unknown mood 'bored'")])
def test_a_damaged_taste_table_is_one_line_wherever_it_is_read(db: Path, column: str, value: str, problem: str) -> None:
    assert run(db, "rate", "1", "--like", "1").exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE taste_genres SET {column} = {value}")
    message = (f"error: the learned taste in {db} is damaged (taste_genres row 1: {problem}); "
               "`assistant forget --all` clears it\n")
    for args in (["taste"], ["recommend", "--mood", "sad", "--offline"], ["start", "--source", "nothing.mp4"]):
        result = run(db, *args)
        assert (result.exit_code, result.stderr) == (1, message), args
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone() == (2,)  # start recorded nothing
    assert run(db, "recommend", "--mood", "sad", "--offline", "--no-learning").exit_code == 0
