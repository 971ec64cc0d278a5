"""Liking and dismissing during a live session: the keys, the video window, the terminal, and what is saved."""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import termios
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
import torch
from sqlmodel import Session
from typer.testing import CliRunner

from assistant.cli import app
from assistant.session.feedback import LiveFeedback
from assistant.session.loop import SessionStatus
from assistant.session.run import prepare, record
from assistant.session.sources import open_source
from assistant.session.stop import Stop
from assistant.session.suggestions import Round
from assistant.storage.database import database
from assistant.storage.models import TasteGenreRow
from assistant.storage.recorder import SessionRecorder
from assistant.ui import overlay
from assistant.ui.keys import TerminalKeys
from config.settings import load_settings
from recommenders.service import Recommendations
from tests.support.clips import clip_frames, write_video

runner = CliRunner()

@pytest.fixture(autouse=True)
def keep_torch_threads() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


def a_round(mood: str = "sad") -> Round:
    return Round(1.0, Recommendations(load_settings(), offline=True).suggest(mood, "match", limit=5))


def test_keys_like_dismiss_change_their_mind_and_say_what_they_did(tmp_path: Path) -> None:
    with SessionRecorder.start(tmp_path / "a.db", "0", "{}") as recorder:
        feedback = LiveFeedback(recorder, None)
        assert feedback.press("1") and feedback.marks.message == "no suggestions to rate yet"
        shown = a_round()
        records = shown.records()
        feedback.show(shown, records, recorder.add_suggestions(1.0, records, "sad", "match"))
        assert feedback.press("3") and feedback.marks.message == f"liked 3: {records[2].title}"
        assert feedback.press("x") and feedback.marks.message == "dismiss which? press its number"
        assert feedback.press("x") and feedback.marks.message is None  # x again cancels
        for key in "x0":
            feedback.press(key)
        assert feedback.marks.message == f"dismissed 10: {records[9].title}"
        for key in "x3":  # changing one's mind about 3
            feedback.press(key)
        assert feedback.press("7") and not feedback.press("a")  # a key that names nothing changes nothing
        assert feedback.marks.verdicts == {3: "dismiss", 7: "like", 10: "dismiss"}
        feedback.show(shown, records, [])  # a new round: numbering starts again, no marks
        assert (feedback.marks.verdicts == {} and feedback.press("1")
                and feedback.marks.message == "no suggestion 1 on show")
    ratings = query(tmp_path / "a.db", "SELECT s.title, r.verdict FROM ratings r "
                                       "JOIN suggestions s ON s.id = r.suggestion_id ORDER BY s.id")
    assert ratings == [(records[2].title, "dismiss"), (records[6].title, "like"), (records[9].title, "dismiss")]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """neutral_to_smile.mp4 twice over: neutral (a round of suggestions) from about 1 s, 4.8 s in all."""
    return write_video(tmp_path_factory.mktemp("clips") / "twice.mp4", clip_frames("neutral_to_smile.mp4") * 2)


class FakeWindow:
    """OpenCV's window functions, with keys pressed once suggestions are on show (as a person would)."""

    def __init__(self, window: overlay.Overlay, script: list[str]) -> None:
        self.window, self.script, self.shown = window, list(script), []

    def wait_key(self, delay: int) -> int:
        status = self.window._status
        if self.script and status is not None and status.suggestions is not None:
            return ord(self.script.pop(0))
        return -1

    def imshow(self, name: str, image: np.ndarray) -> None:
        self.shown.append(image.copy())


def test_keys_in_the_video_window_rate_what_is_on_show_at_once_and_are_saved(
        clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(overlay, "OVERLAY_HZ", 1e6)  # every frame is shown
    for name, fake in (("namedWindow", lambda *a: None), ("destroyWindow", lambda *a: None),
                       ("getWindowProperty", lambda *a: 1.0)):
        monkeypatch.setattr(overlay.cv2, name, fake)
    keys: queue.SimpleQueue[str] = queue.SimpleQueue()
    window = overlay.Overlay(keys)
    fake = FakeWindow(window, ["1", "x", "6"])
    monkeypatch.setattr(overlay.cv2, "waitKey", fake.wait_key)
    monkeypatch.setattr(overlay.cv2, "imshow", fake.imshow)
    statuses: list[SessionStatus] = []

    def show(status: SessionStatus) -> None:
        statuses.append(status)
        window.update(status)
        if status.marks.verdicts == {1: "like", 6: "dismiss"}:
            keys.put("q")  # typed in the terminal: ends the session

    settings = load_settings()
    db = tmp_path / "a.db"
    pipeline, rounds = prepare(settings)
    with closing(open_source(str(clip))) as source:
        summary = record(settings, source, db, pipeline, rounds, Stop(), on_frame=window, on_status=show, keys=keys)
    assert summary.end_reason == "q pressed"

    # Each key showed at once: the status right after it carries its mark and says what it did.
    liked = next(s for s in statuses if s.marks.verdicts)
    first_round = liked.suggestions
    music, movie = first_round.music[0], first_round.movies[0]
    assert liked.marks.verdicts == {1: "like"} and liked.marks.message == f"liked 1: {music.title}"
    assert statuses[-1].marks.message == f"dismissed 6: {movie.title}"
    assert any(np.any(image[-200:, :300] != 0) for image in fake.shown)  # the numbered list drawn on the frame

    rated = query(db, "SELECT s.title, s.mood, s.strategy, r.verdict FROM ratings r "
                      "JOIN suggestions s ON s.id = r.suggestion_id ORDER BY s.id")
    assert rated == [(music.title, first_round.mood, "match", "like"),
                     (movie.title, first_round.mood, "match", "dismiss")]
    assert query(db, f"SELECT likes, dismissals FROM taste_genres WHERE genre = '{music.genre}'") == [(1, 0)]
    assert (movie.key, "dismiss") in query(db, "SELECT item_key, verdict FROM taste_items")


def test_overlay_draws_the_numbered_suggestions_with_their_marks() -> None:
    from assistant.session.feedback import Marks

    labels = [f"Song {n} - Band" for n in range(1, 13)]
    plain, marked = np.zeros((480, 640, 3), np.uint8), np.zeros((480, 640, 3), np.uint8)
    overlay.draw_suggestions(plain, labels, Marks({}, None))
    overlay.draw_suggestions(marked, labels, Marks({2: "like"}, "liked 2: Song 2"))
    assert plain[-200:, :400].any()
    green = (marked[..., 1] > 150) & (marked[..., 2] < 120)  # the liked line is drawn green (BGR)
    assert green.any() and not ((plain[..., 1] > 150) & (plain[..., 2] < 120)).any()


def test_terminal_keys_arrive_one_at_a_time_without_echo_and_the_terminal_is_restored() -> None:
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    keys: queue.SimpleQueue[str] = queue.SimpleQueue()
    with os.fdopen(slave, "r") as stream:
        with TerminalKeys(keys, stream) as terminal:
            assert terminal.unavailable is None
            mode = termios.tcgetattr(slave)
            assert not mode[3] & (termios.ECHO | termios.ICANON) and mode[3] & termios.ISIG  # Ctrl-C still works
            os.write(master, b"\x1b[15~")  # F5: an escape sequence whose digits name nothing
            time.sleep(0.3)
            os.write(master, b"3x1")  # no Enter needed
            got = [keys.get(timeout=2) for _ in range(3)]
        assert got == ["3", "x", "1"] and keys.empty()
        assert termios.tcgetattr(slave) == before
    os.close(master)


def test_terminal_keys_say_why_when_stdin_is_not_a_terminal(tmp_path: Path) -> None:
    keys: queue.SimpleQueue[str] = queue.SimpleQueue()
    with (tmp_path / "input.txt").open("w+") as stream, TerminalKeys(keys, stream) as terminal:
        assert terminal.unavailable == "stdin is not a terminal"


def test_start_follows_the_taste_in_its_database_unless_told_not_to(clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with database(db, create=True) as engine, Session(engine) as session:
        for genre, likes, dismissals in (("chill", 30, 0), ("indie", 0, 30), ("pop", 0, 30)):
            session.add(TasteGenreRow(mood="neutral", strategy="match", kind="music", genre=genre, likes=likes,
                                      dismissals=dismissals))
        session.commit()

    def first_round_genres(*args: str) -> tuple[set[str], dict]:
        result = runner.invoke(app, ["start", "--source", str(clip), "--headless", "--offline", "--json",
                                     "--db", str(db), *args])
        assert result.exit_code == 0, result.output
        session_id = json.loads(result.stdout)["session_id"]
        genres = query(db, f"SELECT genre FROM suggestions WHERE session_id = {session_id} AND kind = 'music' "
                           "AND mood = 'neutral'")
        (settings,) = query(db, f"SELECT settings FROM sessions WHERE id = {session_id}")[0]
        return {genre for (genre,) in genres}, json.loads(settings)

    learned, settings = first_round_genres()
    assert learned == {"chill"} and settings["recommend"]["learn"] is True
    plain, settings = first_round_genres("--no-learning")
    assert plain == {"indie", "pop", "chill"} and settings["recommend"]["learn"] is False
