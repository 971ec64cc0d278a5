"""Storage: where the file is, how it is opened and migrated, and what the recorder guarantees."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from assistant.storage import migrations, models, recorder
from assistant.storage.database import StorageError, db_path, open_engine
from assistant.storage.lock import DatabaseLock
from assistant.storage.recorder import SessionRecorder, SuggestionRecord
from recognizer.classes import EMOTIONS

UNIFORM = np.full(len(EMOTIONS), 1 / len(EMOTIONS))


def fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's bytes and its folder's listing: what "nothing changed" means."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(os.listdir(path.parent))


def test_db_path_is_the_option_else_the_env_var_else_the_platform_data_dir(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          isolated_dirs: Path) -> None:
    assert db_path() == isolated_dirs / "xdg_data_home" / "assistant" / "assistant.db"
    monkeypatch.setenv("ASSISTANT_DB", str(tmp_path / "env.db"))
    assert db_path() == tmp_path / "env.db"
    assert db_path(tmp_path / "option.db") == tmp_path / "option.db"


def test_a_new_database_is_private_in_wal_mode_with_every_migration_recorded(tmp_path: Path) -> None:
    path = tmp_path / "new" / "assistant.db"
    open_engine(path, create=True).dispose()

    assert path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert ([n for (n,) in conn.execute("SELECT name FROM _migrations ORDER BY id")]
                == [m.__name__ for m in migrations.MIGRATIONS])


def _affinity(declared: str) -> str:
    """SQLite's type affinity rules, so VARCHAR (SQLModel) and TEXT (migrations) compare equal."""
    declared = declared.upper()
    if "INT" in declared:
        return "INTEGER"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _schema(path: Path) -> dict:
    with sqlite3.connect(path) as conn:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master "
                                             "WHERE type = 'table' AND name != '_migrations'")]
        return {
            table: {
                # an INTEGER PRIMARY KEY is the rowid: NOT NULL whether or not it says so
                "columns": [(c[1], _affinity(c[2]), bool(c[3] or c[5]), c[5])
                            for c in conn.execute(f"PRAGMA table_info({table})")],
                "indexes": sorted((i[1], tuple(c[2] for c in conn.execute(f"PRAGMA index_info({i[1]})")))
                                  for i in conn.execute(f"PRAGMA index_list({table})")),
                "foreign_keys": [(f[2], f[3], f[4], f[6]) for f in conn.execute(f"PRAGMA foreign_key_list({table})")],
            }
            for table in tables
        }


def test_the_migrations_build_exactly_the_schema_the_models_describe(tmp_path: Path) -> None:
    open_engine(tmp_path / "migrated.db", create=True).dispose()
    engine = create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()

    assert _schema(tmp_path / "migrated.db") == _schema(tmp_path / "models.db")
    probabilities = [c.name for c in models.SampleRow.__table__.columns if c.name in EMOTIONS]
    assert probabilities == list(EMOTIONS)


def test_an_older_database_is_upgraded_in_place_and_keeps_its_data(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "assistant.db"
    with SessionRecorder.start(path, "0", "{}") as rec:
        rec.add_sample(0.0, 1000.0, UNIFORM, None)

    def m002_sessions_note(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE sessions ADD COLUMN note TEXT")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m002_sessions_note])
    open_engine(path).dispose()

    with sqlite3.connect(path) as conn:
        assert [n for (n,) in conn.execute("SELECT name FROM _migrations ORDER BY id")][-1] == "m002_sessions_note"
        assert conn.execute("SELECT source, note FROM sessions").fetchall() == [("0", None)]
        assert conn.execute("SELECT COUNT(*) FROM mood_samples").fetchone() == (1,)


def test_a_database_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    open_engine(path, create=True).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m002_from_the_future', 0)")
    before = fingerprint(path)

    with pytest.raises(StorageError, match="newer release of assistant .*m002_from_the_future"):
        open_engine(path, create=True)
    assert fingerprint(path) == before


@pytest.mark.parametrize("content", [b"This is a shopping list, not a database.\n" * 40,
                                     b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = fingerprint(path)

    with pytest.raises(StorageError, match="is not a usable database"):
        open_engine(path, create=True)
    assert fingerprint(path) == before


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    before = fingerprint(path)

    with pytest.raises(StorageError, match="not the assistant's"):
        open_engine(path, create=True)
    assert fingerprint(path) == before


def test_reading_never_creates_a_database(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no database at"):
        open_engine(tmp_path / "missing.db")
    assert os.listdir(tmp_path) == []


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_writes_are_batched_until_the_flush_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder, "FLUSH_INTERVAL_S", 0.2)
    path = tmp_path / "assistant.db"
    rec = SessionRecorder.start(path, "clip.mp4", '{"tracker": {}}')
    for k in range(10):
        rec.add_sample(k / 30, 1000 + k / 30, UNIFORM, None)
        assert not rec.maybe_flush()
    rec.add_mood_change(0.3, "neutral")
    rec.add_suggestions(0.3, [SuggestionRecord(kind="music", title="Song", source="offline", artist="Band")],
                        "neutral", "match")
    assert _count(path, "mood_samples") == 0

    time.sleep(0.25)
    assert rec.maybe_flush()
    assert [_count(path, t) for t in ("mood_samples", "mood_changes", "suggestions")] == [10, 1, 1]
    rec.close("source ended")


def test_close_flushes_and_records_the_end(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    rec = SessionRecorder.start(path, "0", "{}")
    rec.add_sample(0.0, 1000.0, UNIFORM, None)
    rec.add_sample(0.5, 1000.5, None, None)
    rec.add_sample(0.25, 1000.6, UNIFORM, "happy")  # a clock step back stands for no time
    rec.close("interrupted")
    rec.close("ignored: already closed")

    with sqlite3.connect(path) as conn:
        ended_at, reason = conn.execute("SELECT ended_at, end_reason FROM sessions").fetchone()
        rows = conn.execute("SELECT t, dt, face, angry, mood FROM mood_samples ORDER BY id").fetchall()
    assert ended_at > 0 and reason == "interrupted"
    assert rows == [(0.0, 0.0, 1, pytest.approx(1 / 7), None), (0.5, 0.5, 0, None, None),
                    (0.25, 0.0, 1, pytest.approx(1 / 7), "happy")]
    DatabaseLock(path, exclusive=True).release()  # the session's lock is gone


def test_leaving_the_block_by_an_exception_still_ends_the_session(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    with pytest.raises(RuntimeError), SessionRecorder.start(path, "0", "{}") as rec:
        rec.add_sample(0.0, 1000.0, UNIFORM, None)
        raise RuntimeError("camera unplugged")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT end_reason FROM sessions").fetchone() == ("error: RuntimeError",)
    assert _count(path, "mood_samples") == 1


def test_a_recording_session_holds_off_forget_and_a_running_forget_holds_off_sessions(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    with SessionRecorder.start(path, "0", "{}"):
        with pytest.raises(StorageError, match="a session is recording"):
            DatabaseLock(path, exclusive=True)
    with DatabaseLock(path, exclusive=True):
        with pytest.raises(StorageError, match="forget"):
            SessionRecorder.start(path, "0", "{}")
    assert _count(path, "sessions") == 1


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        SuggestionRecord.of({"kind": "podcast", "title": "x", "source": "online"})
    movie = SuggestionRecord.of(SimpleNamespace(kind="movie", title="Up", source="online", year=2009, tmdb_id=14160))
    assert (movie.year, movie.artist) == (2009, None)


def test_bad_samples_and_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SessionRecorder.start(tmp_path / "a.db", "0", "{not json")
    with SessionRecorder.start(tmp_path / "a.db", "0", "{}") as rec:
        with pytest.raises(ValueError, match="unknown mood"):
            rec.add_sample(0.0, 0.0, UNIFORM, "bored")
        with pytest.raises(ValueError, match="7 probabilities"):
            rec.add_sample(0.0, 0.0, [0.5, 0.5], None)


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from assistant.storage.recorder import SessionRecorder
    rec = SessionRecorder.start(Path(sys.argv[1]), "0", "{}")
    print("started", flush=True)
    start = time.time()
    while True:
        now = time.time()
        rec.add_sample(now - start, now, [0.1, 0.1, 0.1, 0.4, 0.1, 0.1, 0.1], "happy")
        rec.maybe_flush()
        time.sleep(0.01)
""")


def test_a_killed_session_loses_at_most_the_last_second_and_the_file_stays_sound(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "started\n"
        time.sleep(2.0)
        killed_at = time.time()
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count, last = conn.execute("SELECT COUNT(*), MAX(wall_time) FROM mood_samples").fetchone()
        assert conn.execute("SELECT ended_at FROM sessions").fetchone() == (None,)
    assert count > 50
    assert killed_at - last <= 1.0


def _flaky_inserts(rec: SessionRecorder, monkeypatch: pytest.MonkeyPatch, failures: int) -> None:
    """The next ``failures`` writes of samples fail as a full disk would."""
    original = rec._conn.exec_driver_sql
    left = [failures]

    def write(statement: str, *args):
        if statement.startswith("INSERT INTO mood_samples") and left[0] > 0:
            left[0] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return original(statement, *args)

    monkeypatch.setattr(rec._conn, "exec_driver_sql", write)


def test_a_failed_flush_keeps_its_rows_and_a_later_one_writes_them(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "a.db"
    rec = SessionRecorder.start(db, "0", "{}")
    _flaky_inserts(rec, monkeypatch, failures=1)
    rec.add_sample(0.0, 1.0, None, None)
    rec._last_flush = 0.0  # due
    assert rec.maybe_flush() is False and "disk is full" in rec.flush_error
    rec.add_sample(0.5, 1.5, None, None)
    rec._last_flush = 0.0
    assert rec.maybe_flush() is True and rec.flush_error is None
    rec.close("ended")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT t FROM mood_samples ORDER BY t").fetchall() == [(0.0,), (0.5,)]


def test_closing_tries_a_failing_write_again_before_giving_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder, "CLOSE_RETRY_S", 0.01)
    db = tmp_path / "a.db"
    rec = SessionRecorder.start(db, "0", "{}")
    rec.add_sample(0.0, 1.0, None, None)
    _flaky_inserts(rec, monkeypatch, failures=recorder.CLOSE_ATTEMPTS - 1)
    rec.close("ended")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM mood_samples").fetchone() == (1,)
        assert conn.execute("SELECT end_reason FROM sessions").fetchone() == ("ended",)

    rec = SessionRecorder.start(db, "0", "{}")
    rec.add_sample(0.0, 1.0, None, None)
    _flaky_inserts(rec, monkeypatch, failures=recorder.CLOSE_ATTEMPTS)
    with pytest.raises(StorageError, match="1 frames of this session were not saved"):
        rec.close("ended")


@pytest.mark.parametrize("when", ["after the commit", "before the commit"])
def test_a_ctrl_c_during_a_flush_writes_every_row_exactly_once(tmp_path: Path, when: str) -> None:
    import contextlib
    import sqlite3

    from assistant.storage.recorder import SessionRecorder

    path = tmp_path / "a.db"
    rec = SessionRecorder.start(path, "0", "{}")
    for k in range(5):
        rec.add_sample(k / 10, 1_700_000_000.0 + k, None, None)
    real_begin = rec._conn.begin

    @contextlib.contextmanager
    def interrupted_begin():
        rec._conn.begin = real_begin  # once
        if when == "before the commit":
            with real_begin():
                yield
                raise KeyboardInterrupt  # rolls the transaction back
        with real_begin():
            yield
        raise KeyboardInterrupt  # COMMIT done, the buffers not yet cleared in the old code

    rec._conn.begin = interrupted_begin
    with pytest.raises(KeyboardInterrupt):
        rec.flush()
    rec.add_sample(0.5, 1_700_000_005.0, None, None)
    rec.close("interrupted")
    with sqlite3.connect(path) as conn:
        assert [t for (t,) in conn.execute("SELECT t FROM mood_samples ORDER BY id")] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def test_a_flush_from_the_frame_loop_does_not_wait_on_another_programs_write_lock(tmp_path: Path) -> None:
    import sqlite3
    import time

    from assistant.storage.recorder import SessionRecorder

    path = tmp_path / "a.db"
    rec = SessionRecorder.start(path, "0", "{}")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    for k in range(3):
        rec.add_sample(k / 10, 1_700_000_000.0 + k, None, None)
        started = time.monotonic()
        assert rec.try_flush() is False
        assert time.monotonic() - started < 0.5  # a frame's worth, not BUSY_TIMEOUT_MS
        assert "is locked by another process" in rec.flush_error and "session" not in rec.flush_error
    other.execute("ROLLBACK")
    assert rec.try_flush() is True and rec.flush_error is None
    rec.close("ended")
    with sqlite3.connect(path) as conn:
        assert [t for (t,) in conn.execute("SELECT t FROM mood_samples ORDER BY id")] == [0.0, 0.1, 0.2]
    other.close()
