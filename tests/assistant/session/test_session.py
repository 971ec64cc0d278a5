"""`assistant start` end to end on the real clips, looped: what it records, and how it ends."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from assistant.cli import app
from assistant.session.run import prepare, record
from assistant.session.sources import Frame
from assistant.session.stop import Stop
from assistant.session.suggestions import Round, SuggestionRounds
from config.settings import load_settings
from recommenders.service import Recommendations, Suggestions
from tests.support import only_line
from tests.support.clips import clip_frames, truncated_copy, write_video

runner = CliRunner()
LOOPS = 4  # neutral_to_smile.mp4 is 2.4 s: the tracker's 2 s dwell needs a longer stream to settle


@pytest.fixture(autouse=True)
def keep_torch_threads() -> Iterator[None]:
    """A session sets torch to one thread; the tests after these must not inherit that."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def looped_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """neutral_to_smile.mp4 four times over: 288 frames, 9.6 s."""
    return write_video(tmp_path_factory.mktemp("clips") / "looped.mp4", clip_frames("neutral_to_smile.mp4") * LOOPS)


def start(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["start", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()



def test_a_headless_session_records_samples_moods_and_suggestions(looped_clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    code, out, err = start("--source", looped_clip, "--headless", "--offline", "--json", "--db", db)
    assert code == 0, err
    summary = json.loads(out)
    assert set(summary) >= {"session_id", "duration_s", "frames", "frames_with_face", "fps", "moods", "suggestions"}
    assert summary["frames"] == 72 * LOOPS and summary["frames_with_face"] >= 0.9 * summary["frames"]
    assert summary["duration_s"] == pytest.approx((72 * LOOPS - 1) / 30, abs=0.01)
    assert summary["moods"][0]["mood"] is not None and summary["moods"][-1]["mood"] == "happy"
    assert 0 < summary["moods"][0]["t"] < summary["duration_s"]
    assert summary["suggestions"] > 0 and summary["end_reason"] == "end of the video"

    (session,) = query(db, "SELECT id, source, ended_at, end_reason, started_at FROM sessions")
    assert session[0] == summary["session_id"] and session[1] == str(looped_clip.resolve())
    assert session[2] is not None and session[2] >= session[4] and session[3] == "end of the video"
    assert (query(db, "SELECT COUNT(*), SUM(face) FROM mood_samples")[0]
            == (summary["frames"], summary["frames_with_face"]))
    assert ([{"t": round(t, 3), "mood": m} for t, m in query(db, "SELECT t, mood FROM mood_changes ORDER BY t")]
            == summary["moods"])
    suggested = query(db, "SELECT kind, source, mood, strategy FROM suggestions")
    assert len(suggested) == summary["suggestions"]
    assert {row[0] for row in suggested} == {"music", "movie"}
    # A round for the first mood, and a final one for the mood the session ended in.
    assert {row[1:] for row in suggested} == {("offline", summary["moods"][0]["mood"], "match"),
                                              ("offline", summary["moods"][-1]["mood"], "match")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "a.db-shm", "a.db-wal", "a.db.lock"]  # no images


def test_realtime_playback_gives_the_same_moods(looped_clip: Path, tmp_path: Path) -> None:
    runs = {}
    for mode in ("fast", "realtime"):
        started = time.monotonic()
        code, out, err = start("--source", looped_clip, "--headless", "--offline", "--json", "--duration", "3.5",
                               "--db", tmp_path / "a.db", *(["--realtime"] if mode == "realtime" else []))
        assert code == 0, err
        runs[mode] = json.loads(out), time.monotonic() - started
    (fast, _), (paced, paced_s) = runs["fast"], runs["realtime"]
    # The clip's face is neutral, then smiles: both ways of playing it must see exactly that.
    assert [m["mood"] for m in fast["moods"]] == [m["mood"] for m in paced["moods"]] == ["neutral", "happy"]
    for fast_change, paced_change in zip(fast["moods"], paced["moods"], strict=True):
        assert paced_change["t"] == pytest.approx(fast_change["t"], abs=0.2)
    assert paced["end_reason"] == fast["end_reason"] == "duration reached"
    assert paced_s >= 3.5 and paced["fps"] < 40  # played at the file's own 30 fps


def test_save_frames_writes_the_analysed_frames_and_no_display_is_not_fatal(
        looped_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    frames = tmp_path / "frames"
    code, out, err = start("--source", looped_clip, "--offline", "--duration", "0.3", "--save-frames", frames,
                           "--db", tmp_path / "a.db")
    assert code == 0, err
    assert "note: no display ($DISPLAY is not set); continuing without the video window" in err
    saved = sorted(frames.iterdir())
    assert len(saved) == 10 and saved[0].name == "session1-000000.jpg"
    assert "Session 1: " in out and "ended: duration reached" in out


def test_a_source_that_fails_mid_stream_ends_the_session_cleanly(tmp_path: Path) -> None:
    class Unplugged:
        """A camera that delivers a second of the real clip, then an I/O error."""

        label, dropped, end_reason = "camera 9", 0, None

        def frames(self, stop: threading.Event) -> Iterator[Frame]:
            for k, image in enumerate(clip_frames("neutral_to_smile.mp4")[:30]):
                yield Frame(k / 30, image)
            raise OSError("[Errno 19] No such device")

        def close(self) -> None:
            pass

    settings = load_settings()
    pipeline, rounds = prepare(settings)
    summary = record(settings, Unplugged(), tmp_path / "a.db", pipeline, rounds, Stop())
    assert summary.frames == 30 and summary.end_reason == "the source failed: [Errno 19] No such device"
    assert (query(tmp_path / "a.db", "SELECT end_reason, ended_at IS NOT NULL FROM sessions")
            == [(summary.end_reason, 1)])
    assert query(tmp_path / "a.db", "SELECT COUNT(*) FROM mood_samples") == [(30,)]


class _EndsBadly:
    """A camera that delivers 20 frames of the real clip, then ``ending`` happens while it hangs."""

    label, dropped, end_reason = "camera 9", 0, None

    def __init__(self, ending) -> None:
        self.ending = ending
        self.images = clip_frames("neutral_to_smile.mp4")[:20]  # read now: without ../shared, skip before anything runs

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        for k, image in enumerate(self.images):
            yield Frame(k / 30, image)
        self.ending(stop)

    def close(self) -> None:
        pass


def _second_ctrl_c(stop: Stop) -> None:
    stop.request("interrupted")  # the first Ctrl-C, while the camera hangs...
    raise KeyboardInterrupt  # ...and the second, which the signal handler raises


def test_a_second_ctrl_c_ends_at_once_and_still_closes_and_summarises_the_session(tmp_path: Path) -> None:
    settings = load_settings()
    pipeline, rounds = prepare(settings)
    summary = record(settings, _EndsBadly(_second_ctrl_c), tmp_path / "a.db", pipeline, rounds, Stop())
    assert summary.frames == 20 and summary.end_reason == "interrupted"
    assert query(tmp_path / "a.db", "SELECT end_reason, ended_at IS NOT NULL FROM sessions") == [("interrupted", 1)]
    assert query(tmp_path / "a.db", "SELECT COUNT(*) FROM mood_samples") == [(20,)]
    rounds._worker.join(timeout=5)
    assert not rounds._worker.is_alive()


def test_a_session_that_fails_still_finishes_its_suggestions_worker(tmp_path: Path) -> None:
    def bug(stop: Stop) -> None:
        raise RuntimeError("a bug of ours")

    settings = load_settings()
    pipeline, rounds = prepare(settings)
    with pytest.raises(RuntimeError):
        record(settings, _EndsBadly(bug), tmp_path / "a.db", pipeline, rounds, Stop())
    rounds._worker.join(timeout=5)
    assert not rounds._worker.is_alive()
    assert (query(tmp_path / "a.db", "SELECT end_reason, ended_at IS NOT NULL FROM sessions")
            == [("error: RuntimeError", 1)])
    assert query(tmp_path / "a.db", "SELECT COUNT(*) FROM mood_samples") == [(20,)]


def test_a_truncated_file_ends_the_session_with_what_it_held(tmp_path: Path) -> None:
    whole = write_video(tmp_path / "whole.avi", clip_frames("neutral_to_smile.mp4") * 2)
    cut = truncated_copy(whole, tmp_path / "cut.avi", 0.6)
    code, out, err = start("--source", cut, "--headless", "--offline", "--json", "--db", tmp_path / "a.db")
    assert code == 0, err
    summary = json.loads(out)
    assert 30 < summary["frames"] < 144
    assert summary["end_reason"] == (f"the video stopped after {summary['frames']} of 144 frames "
                                     "(truncated or damaged file)")
    assert query(tmp_path / "a.db", "SELECT COUNT(*) FROM mood_samples") == [(summary["frames"],)]
    assert query(tmp_path / "a.db", "SELECT end_reason FROM sessions") == [(summary["end_reason"],)]


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d / "missing.mp4",
     "does not exist; --source takes a camera index (0, 1, ...), a video file or a folder of images"),
    (lambda d: (d / "junk.mp4").write_bytes(b"\x00junk" * 50) and d / "junk.mp4", "is not a video OpenCV can read"),
], ids=["nonexistent", "unreadable"])
def test_a_bad_source_is_one_line_and_records_nothing(tmp_path: Path, make, message: str) -> None:
    code, out, err = start("--source", make(tmp_path), "--headless", "--db", tmp_path / "a.db")
    assert code == 1 and out == ""
    assert message in only_line(err) and only_line(err).startswith("error: ")
    assert not (tmp_path / "a.db").exists()


def test_a_missing_camera_suggests_a_file(tmp_path: Path) -> None:
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a camera at index 7")
    code, _, err = start("--source", "7", "--headless", "--db", tmp_path / "a.db")
    assert code == 1
    assert "cannot open camera 7" in only_line(err) and "--source FILE" in only_line(err)


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "0", "--realtime"], "--realtime paces a video file or image folder"),
    (["--source", "0", "--loop"], "--loop plays a video file again"),
    (["--duration", "0"], "--duration must be a number of seconds more than 0"),
])
def test_conflicting_or_impossible_options_are_refused_before_any_work(tmp_path: Path, args: list[str],
                                                                       message: str) -> None:
    code, _, err = start(*args, "--headless", "--db", tmp_path / "a.db")
    assert code == 1 and message in only_line(err)


def test_start_help_says_how_fast_an_image_folder_plays() -> None:
    from assistant.session.sources import IMAGE_FOLDER_FPS

    result = runner.invoke(app, ["start", "--help"])
    assert result.exit_code == 0 and f"{IMAGE_FOLDER_FPS:g} per second" in " ".join(result.output.split())


def test_bench_session_reports_speed(looped_clip: Path) -> None:
    result = runner.invoke(app, ["bench", "session", "--source", str(looped_clip), "--frames", "30", "--json"])
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["frames"] == 30 and figures["fps"] > 0 and figures["face_share"] > 0.9
    assert {"latency_ms_p50", "latency_ms_p95", "latency_ms_max"} <= set(figures)


# Subprocesses: signals reach a real process, as they do from a terminal or a service manager.

def spawn(clip: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "start", "--source", str(clip), "--realtime", "--headless", "--offline",
         "--json", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_samples(process: subprocess.Popen, db: Path, timeout: float = 90.0) -> None:
    """Until the session has flushed samples to the database (model loading takes seconds first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if query(db, "SELECT COUNT(*) FROM mood_samples")[0][0] > 0:
                return
        except sqlite3.OperationalError:  # not created yet
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail("the session recorded no sample in time")


@pytest.mark.parametrize(("signum", "reason"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated"),
                                               (signal.SIGHUP, "the terminal closed")])
def test_sigint_sigterm_and_sighup_close_the_session_and_lose_nothing(looped_clip: Path, tmp_path: Path, signum: int,
                                                               reason: str) -> None:
    db = tmp_path / "a.db"
    process = spawn(looped_clip, db)
    wait_for_samples(process, db)
    time.sleep(0.3)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    summary = json.loads(out)
    assert summary["end_reason"] == reason and summary["frames"] > 0
    assert query(db, "SELECT end_reason, ended_at IS NOT NULL FROM sessions") == [(reason, 1)]
    assert query(db, "SELECT COUNT(*) FROM mood_samples") == [(summary["frames"],)]


def test_sigkill_loses_at_most_the_last_second_and_leaves_a_sound_database(looped_clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    process = spawn(looped_clip, db)
    wait_for_samples(process, db)
    time.sleep(1.5)
    killed_at = time.time()
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT ended_at FROM sessions") == [(None,)]
    (last_sample,) = query(db, "SELECT MAX(wall_time) FROM mood_samples")[0]
    assert last_sample >= killed_at - 1.0


def answer(rounds: SuggestionRounds, timeout: float = 10.0) -> Round | None:
    """The answer to the round in flight, or None when none was asked."""
    deadline = time.monotonic() + timeout
    while rounds.fetching and time.monotonic() < deadline:
        if (got := rounds.poll()) is not None:
            return got
        time.sleep(0.005)
    assert not rounds.fetching, "no answer in time"
    return None


def test_suggestions_never_block_the_frame_loop() -> None:
    class Slow(Recommendations):
        def suggest(self, *args, **kwargs) -> Suggestions:
            time.sleep(0.5)
            return super().suggest(*args, **kwargs)

    rounds = SuggestionRounds(Slow(load_settings(), offline=True), strategy="match", limit=5, interval_s=10.0)
    started = time.perf_counter()
    rounds.consider(3.0, "sad")
    assert rounds.poll() is None and time.perf_counter() - started < 0.1
    got = answer(rounds)
    assert got is not None and got.t == 3.0 and got.suggestions.mood == "sad"


def test_suggestion_rounds_are_rate_limited_and_never_repeat_an_item() -> None:
    rounds = SuggestionRounds(Recommendations(load_settings(), offline=True), strategy="uplift", limit=5,
                              interval_s=10.0)
    got = []
    for t, mood in ((1.0, None), (3.0, "sad"), (5.0, "neutral"), (13.0, "neutral"), (14.0, "sad"), (30.0, "sad")):
        rounds.consider(t, mood)
        got.append(answer(rounds))
    # No mood, no round; neutral at 5 s is too soon after 3 s, so it gets its round at 13 s if it
    # still holds; sad at 14 s is too soon again and waits until 30 s.
    asked = [(a.t, a.suggestions.mood) for a in got if a is not None]
    assert asked == [(3.0, "sad"), (13.0, "neutral"), (30.0, "sad")]
    keys = [a.suggestions.keys() for a in got if a is not None]
    assert not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]
    assert rounds.finish(31.0, "sad") == []  # the last round was for sad already


def test_a_session_ending_in_a_new_mood_gets_a_final_round_for_it() -> None:
    rounds = SuggestionRounds(Recommendations(load_settings(), offline=True), strategy="match", limit=3,
                              interval_s=30.0, final_wait_s=5.0)
    rounds.consider(1.0, "neutral")
    assert answer(rounds).suggestions.mood == "neutral"
    rounds.consider(2.0, "happy")  # too soon for a round...
    assert rounds.poll() is None and rounds.next_round_at("happy") == 31.0 and rounds.next_round_at("neutral") is None
    (final,) = rounds.finish(2.5, "happy")  # ...but the session ends in it
    assert final.t == 2.5 and final.suggestions.mood == "happy"


def test_a_signal_while_closing_ends_the_wait_for_suggestions_after_the_rows_are_written(tmp_path: Path) -> None:
    from assistant.session.stop import stop_on_signals

    settings = load_settings()
    pipeline, rounds = prepare(settings)
    release = threading.Event()
    answer = rounds._service.suggest
    rounds._service.suggest = lambda *a, **k: (release.wait(30), answer(*a, **k))[1]  # a TMDB that does not answer
    rounds.final_wait_s = 30.0
    rounds.consider(0.0, "happy")  # a round in flight when the session ends
    stop, db, seen = Stop(), tmp_path / "a.db", {}
    listening = threading.Event()  # the handlers are in place: a SIGTERM cannot end the test run

    def second_signal() -> None:
        while not stop.closing:
            time.sleep(0.02)
        time.sleep(0.3)  # the session is waiting for the round by now
        seen["samples"] = query(db, "SELECT COUNT(*) FROM mood_samples")
        seen["signalled"] = time.monotonic()
        # To the main thread, as the kernel delivers a Ctrl-C or a `kill` from outside: a signal
        # this thread sent to the whole process could wait for the main thread's next bytecode
        # check, which CPython 3.11 may clear when another thread releases the GIL.
        if listening.is_set():
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)

    source = _EndsBadly(lambda stop: None)
    threading.Thread(target=second_signal, daemon=True).start()
    with stop_on_signals(stop):
        listening.set()
        try:
            summary = record(settings, source, db, pipeline, rounds, stop)
        finally:
            listening.clear()
    ended = time.monotonic()
    release.set()
    assert seen["samples"] == [(20,)]  # written before the wait, so a kill there loses nothing
    assert ended - seen["signalled"] < 1.0
    assert summary.end_reason == "the source ended"  # not renamed by the signal that came while closing
    assert query(db, "SELECT end_reason FROM sessions") == [("the source ended",)]
