"""`history` and `report` on a database with known contents (see recorded.py); their errors."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from rich.console import Console
from typer.testing import CliRunner

from assistant.cli import app
from assistant.reports import queries
from assistant.storage import database
from assistant.storage.database import open_engine
from assistant.storage.recorder import SessionRecorder
from assistant.ui.palette import MOOD_COLORS, color
from assistant.ui.report import render_session
from assistant.ui.views import timeline_bar
from recognizer.classes import EMOTIONS
from tests.support import recorded

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TZ", recorded.TZ)
    time.tzset()
    path = tmp_path / "assistant.db"
    recorded.build(path)
    yield path
    monkeypatch.undo()
    time.tzset()


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_history_json_has_the_exact_figures_newest_first(db: Path) -> None:
    result = run("history", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        starts = dict(conn.execute("SELECT id, started_at FROM sessions"))
    assert json.loads(result.stdout) == [
        {"id": 2, "start": queries.iso(starts[2]), "duration_s": 4.0, "dominant_mood": "neutral", "face_share": 1.0,
         "mood_changes": 0, "suggestions": 0},
        {"id": 1, "start": queries.iso(starts[1]), "duration_s": 30.0, "dominant_mood": "sad",
         "face_share": round(26 / 30, 4), "mood_changes": 2, "suggestions": 5},
    ]


def test_history_limit_since_and_the_env_var(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DB", str(db))
    assert [s["id"] for s in json.loads(run("history", "--limit", "1", "--json").stdout)] == [2]
    assert [s["id"] for s in json.loads(run("history", "--since", "1h", "--json").stdout)] == [2, 1]
    assert json.loads(run("history", "--since", "2999-01-01", "--json").stdout) == []


def test_history_table(db: Path) -> None:
    result = run("history", "--db", str(db))
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[3:]}
    assert rows["1"][3:5] == ["30s", "sad"] and rows["1"][6:] == ["87%", "2", "5"]
    assert rows["2"][3:5] == ["4s", "neutral"] and rows["2"][6:] == ["100%", "0", "0"]


def test_report_json_for_one_session(db: Path) -> None:
    result = run("report", "1", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    del report["start"]
    assert report == {
        "session_id": 1, "duration_s": 30.0,
        # of the 30 s observed: 3.5 s with a face before any mood, and 4 s without a face, are unknown
        "mood_share": {"happy": round(10 / 30, 4), "sad": round(12.5 / 30, 4), "unknown": round(7.5 / 30, 4)},
        "changes": 2, "longest_steady_s": 13.0, "no_face_s": 4.0,
        "timeline": [{"t": 0.0, "mood": None}, {"t": 2.0, "mood": "happy"}, {"t": 15.0, "mood": None},
                     {"t": 18.0, "mood": "sad"}],
        "suggestions": [
            {"kind": "music", "title": "Song A", "artist": "Band A", "mood": "happy", "t": 2.0},
            {"kind": "movie", "title": "Film A", "year": 1999, "mood": "happy", "t": 2.0},
            {"kind": "music", "title": "Song B", "artist": "Band B", "mood": "sad", "t": 18.0},
            {"kind": "music", "title": "Song A", "artist": "Band A", "mood": "sad", "t": 18.0},
            {"kind": "movie", "title": "Film B", "year": 2005, "mood": "sad", "t": 18.0},
        ],
    }


def test_report_defaults_to_the_last_session(db: Path) -> None:
    last = json.loads(run("report", "--last", "--db", str(db), "--json").stdout)
    default = json.loads(run("report", "--db", str(db), "--json").stdout)
    assert last == default
    assert ((last["session_id"], last["mood_share"], last["longest_steady_s"], last["changes"])
            == (2, {"neutral": 1.0}, 4.0, 0))


def test_report_json_for_a_period_by_local_day_and_hour(db: Path) -> None:
    result = run("report", "--since", "1d", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sessions"] == [1, 2]
    assert ((report["duration_s"], report["no_face_s"], report["changes"], report["longest_steady_s"])
            == (34.0, 4.0, 2, 13.0))
    assert report["mood_share"] == {"happy": round(10 / 34, 4), "neutral": round(4 / 34, 4), "sad": round(12.5 / 34, 4),
                                    "unknown": round(7.5 / 34, 4)}
    assert sum(report["mood_share"].values()) == pytest.approx(1.0, abs=1e-3)
    assert [s["session_id"] for s in report["suggestions"]] == [1] * 5
    assert report["by_day"] == [
        {"day": "2025-03-10", "face_s": 9.5, "dominant_mood": "happy",
         "mood_share": {"happy": round(8 / 9.5, 4), "unknown": round(1.5 / 9.5, 4)}},
        {"day": "2025-03-11", "face_s": 20.5, "dominant_mood": "sad",
         "mood_share": {"happy": round(2 / 20.5, 4), "neutral": round(4 / 20.5, 4), "sad": round(12.5 / 20.5, 4),
                        "unknown": round(2 / 20.5, 4)}},
    ]
    assert report["by_hour"] == [
        {"hour": 0, "face_s": 16.5, "dominant_mood": "sad",
         "mood_share": {"happy": round(2 / 16.5, 4), "sad": round(12.5 / 16.5, 4), "unknown": round(2 / 16.5, 4)}},
        {"hour": 8, "face_s": 4.0, "dominant_mood": "neutral", "mood_share": {"neutral": 1.0}},
        {"hour": 23, "face_s": 9.5, "dominant_mood": "happy",
         "mood_share": {"happy": round(8 / 9.5, 4), "unknown": round(1.5 / 9.5, 4)}},
    ]


def test_a_video_analysed_faster_than_it_plays_spreads_its_face_time_over_its_own_hours(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    path = tmp_path / "fast.db"
    started = datetime(2025, 3, 12, 10, 30, tzinfo=timezone.utc).timestamp()
    with SessionRecorder.start(path, "hour.mp4", "{}") as rec:
        rec.add_mood_change(0.0, "neutral")
        for k in range(361):  # an hour of video, a sample every 10 s, analysed in three minutes
            rec.add_sample(k * 10.0, started + k * 0.5, recorded.FACE, "neutral")
        rec.close("end of the video")
    report = queries.period_report(open_engine(path), 0.0).to_json()
    monkeypatch.undo()
    time.tzset()
    # Each sample stands for the 10 s before it, so the one at 11:00 sits in hour 11 (10:30 + 1790 s | 1810 s);
    # placed by their wall-clock times, all 3600 s fell into 10:30-10:33.
    assert [(bucket["hour"], bucket["face_s"]) for bucket in report["by_hour"]] == [(10, 1790.0), (11, 1810.0)]


def test_the_session_view_through_a_recording_console(db: Path) -> None:
    engine = open_engine(db)
    report = queries.session_report(engine, 1)
    engine.dispose()
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(render_session(report))
    text = console.export_text()

    assert "Session 1 · started" in text
    assert "30s observed, 4s without a face · 2 mood changes · longest steady mood 13s" in text
    lines = [line.split()[1:4] for line in text.splitlines()]
    assert ["happy", "█" * 13, "33.3%"] in lines and ["unknown", "█" * 10, "25.0%"] in lines  # 40 cells is 100%
    assert any(line.split()[1:6] == ["18s", "music", "Song", "B", "Band"] for line in text.splitlines())


def test_the_timeline_bar_colours_each_cell_with_the_mood_at_its_middle(db: Path) -> None:
    engine = open_engine(db)
    report = queries.session_report(engine, 1)
    engine.dispose()
    bar = timeline_bar(report.timeline, 30)  # one cell per second of the 30 s session
    expected = [None] * 2 + ["happy"] * 13 + [None] * 3 + ["sad"] * 12
    assert [span.style for span in bar.spans] == [color(mood) for mood in expected]
    assert list(MOOD_COLORS) == list(EMOTIONS)


def test_report_plot_writes_a_png_and_refuses_to_overwrite(db: Path, tmp_path: Path) -> None:
    plot = tmp_path / "mood.png"
    assert run("report", "1", "--db", str(db), "--plot", str(plot)).exit_code == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = plot.read_bytes()
    result = run("report", "--since", "1d", "--db", str(db), "--plot", str(plot))
    assert result.exit_code == 1 and "--force" in result.stderr and plot.read_bytes() == before
    assert run("report", "--since", "1d", "--db", str(db), "--plot", str(plot), "--force").exit_code == 0
    assert plot.read_bytes() != before


def _fingerprint(path: Path) -> tuple[str, list[str]]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(os.listdir(path.parent))


def _one_line_error(result: object, match: str) -> None:
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
            and match in result.stderr), result.stderr


@pytest.mark.parametrize("command", [["history"], ["report"], ["report", "--since", "7d"],
                                     ["export", "--format", "csv"], ["forget", "--all", "--yes"]])
def test_every_command_refuses_an_empty_a_newer_a_foreign_and_a_locked_database(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "missing.db"
    _one_line_error(run(*command, "--db", str(missing)), "no database at")
    assert not missing.exists()

    empty = tmp_path / "empty.db"
    open_engine(empty, create=True).dispose()
    before = _fingerprint(empty)
    _one_line_error(run(*command, "--db", str(empty)), "no sessions recorded")
    assert _fingerprint(empty) == before

    newer = tmp_path / "newer.db"
    recorded.build(newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m002_from_the_future', 0)")
    before = _fingerprint(newer)
    _one_line_error(run(*command, "--db", str(newer)), "newer release")
    assert _fingerprint(newer) == before

    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a database\n" * 100)
    before = _fingerprint(garbage)
    _one_line_error(run(*command, "--db", str(garbage)), "not a usable database")
    assert _fingerprint(garbage) == before

    locked = tmp_path / "locked.db"
    recorded.build(locked)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(locked, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE sessions SET source = source")
        holder.execute("COMMIT")  # in exclusive mode the lock outlives the transaction
        _one_line_error(run(*command, "--db", str(locked)), "is locked by another process")
    finally:
        holder.close()
    assert len(json.loads(run("history", "--db", str(locked), "--json").stdout)) == 2


def test_report_refuses_unknown_sessions_and_conflicting_choices(db: Path) -> None:
    _one_line_error(run("report", "99", "--db", str(db)), "no session 99")
    _one_line_error(run("report", "1", "--last", "--db", str(db)), "not both")
    _one_line_error(run("report", "1", "--since", "7d", "--db", str(db)), "--since reports on a period")
    _one_line_error(run("report", "--since", "last tuesday", "--db", str(db)), "--since takes a duration")
    _one_line_error(run("report", "--since", "2999-01-01", "--db", str(db)), "no sessions since")
