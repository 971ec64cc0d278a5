"""Calibration: the correction's maths, `assistant calibrate` and profiles applied by predict and start."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.storage.database import database
from assistant.storage.profiles import Profile
from recognizer.calibration import (
    AUTO_MIN_FRAMES,
    MAX_SPREAD,
    Baseline,
    Calibration,
    RunningCalibration,
    correction,
    log_probabilities,
    neutral_reference,
    refusal,
)
from recognizer.classes import EMOTIONS
from recognizer.weights import BUNDLED_WEIGHTS, read_manifest
from tests.support import needs_shared, only_line

runner = CliRunner()
REFERENCE = neutral_reference(read_manifest(BUNDLED_WEIGHTS))


def probabilities(**named: float) -> np.ndarray:
    """A probability vector with the named classes and the rest shared evenly."""
    rest = (1.0 - sum(named.values())) / (len(EMOTIONS) - len(named))
    return np.array([named.get(name, rest) for name in EMOTIONS])


def leading(p: np.ndarray) -> str:
    return EMOTIONS[int(np.argmax(p))]


def invoke(*args: str):
    return runner.invoke(app, list(args))



def resting_face() -> Path:
    """A real photo labelled neutral (a tennis player between points) that the bundled weights read
    as sad, neutral second: the stern resting face calibration is for."""
    return needs_shared("datasets", "wild_faces", "neutral", "Guillermo_Coria_0011.jpg")


def photo_folder(tmp_path: Path, *names: str) -> Path:
    """A folder of shared photos: names from ../shared/images, or the resting face by name."""
    folder = tmp_path / "photos"
    folder.mkdir(exist_ok=True)
    for name in names:
        source = resting_face() if name == resting_face().name else needs_shared("images", name)
        shutil.copy(source, folder / name)
    return folder


def profile_names(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM profiles ORDER BY name")]


# The maths ---------------------------------------------------------------------------------------

def test_a_resting_face_read_as_sad_reads_as_neutral_and_a_smile_stays_a_smile() -> None:
    resting = probabilities(sad=0.55, neutral=0.25)
    calibration = Calibration.of(log_probabilities(resting), REFERENCE)
    assert leading(calibration(resting[None])[0]) == "neutral"
    smile, gasp, frown = (probabilities(happy=0.6, neutral=0.2), probabilities(surprise=0.5, neutral=0.3),
                          probabilities(sad=0.9))
    assert leading(calibration(smile[None])[0]) == "happy"
    assert leading(calibration(gasp[None])[0]) == "surprise"
    assert leading(calibration(frown[None])[0]) == "sad"  # a real frown still reads as one
    shift = calibration.shift
    assert (shift[EMOTIONS.index("sad")] < 0
            and shift[[EMOTIONS.index(n) for n in ("happy", "surprise", "neutral")]].tolist() == [0, 0, 0])


def test_a_baseline_that_already_reads_neutral_lowers_nothing() -> None:
    # Leans to sad far more than a typical neutral face, yet reads neutral: the model is right.
    shift = correction(log_probabilities(probabilities(neutral=0.5, sad=0.2)), REFERENCE)
    assert shift[EMOTIONS.index("sad")] == 0 and (shift >= 0).all()


def test_a_very_neutral_resting_face_makes_a_weak_frown_count_and_leaves_a_smile_alone() -> None:
    relaxed = probabilities(neutral=0.97)
    calibration = Calibration.of(log_probabilities(relaxed), REFERENCE)
    weak_frown = probabilities(neutral=0.62, sad=0.3)
    assert leading(weak_frown) == "neutral" and leading(calibration(weak_frown[None])[0]) == "sad"
    assert leading(calibration(relaxed[None])[0]) == "neutral"  # the resting face itself stays neutral
    for face, name in ((probabilities(happy=0.5, neutral=0.4), "happy"),
                       (probabilities(surprise=0.5, neutral=0.4), "surprise")):
        assert leading(calibration(face[None])[0]) == name
    assert calibration.shift.max() <= np.log(10) + 1e-9  # raised at most tenfold, however pure the resting face


@pytest.mark.parametrize("frames, faces, why", [
    (10, [], "a face was found in 0 of 10 frames"),
    (10, [probabilities(neutral=0.6)] * 4, "a face was found in 4 of 10 frames"),
    (4, [probabilities(neutral=0.9), probabilities(happy=0.9)] * 2, "changed too much"),
    (1, [probabilities(happy=0.5, neutral=0.3)], "reads as happy"),
    (1, [probabilities(surprise=0.4, neutral=0.3)], "reads as surprise"),
])
def test_frames_that_cannot_be_a_baseline_are_refused(frames: int, faces: list[np.ndarray], why: str) -> None:
    baseline = Baseline.measure(np.stack(faces)) if faces else None
    assert why in refusal(baseline, frames)


def test_a_steady_face_is_a_baseline() -> None:
    faces = np.stack([probabilities(sad=0.5 + 0.02 * k, neutral=0.3) for k in range(5)])
    baseline = Baseline.measure(faces)
    assert baseline.spread < MAX_SPREAD and refusal(baseline, 6) is None


def test_auto_corrects_only_once_it_has_seen_enough_of_the_persons_usual_face() -> None:
    auto, resting = RunningCalibration(REFERENCE), probabilities(sad=0.55, neutral=0.25)
    for _ in range(AUTO_MIN_FRAMES - 1):
        assert leading(auto(resting[None])[0]) == "sad"  # too soon to know what is usual
    assert leading(auto(resting[None])[0]) == "neutral"
    assert leading(auto(probabilities(happy=0.7)[None])[0]) == "happy"


def test_auto_leaves_a_cheerful_person_alone() -> None:
    auto, cheerful = RunningCalibration(REFERENCE), probabilities(happy=0.5, neutral=0.3)
    for _ in range(AUTO_MIN_FRAMES * 2):
        out = auto(cheerful[None])[0]
    np.testing.assert_allclose(out, cheerful)


# The commands --------------------------------------------------------------------------------------

def test_calibrating_on_one_photo_stores_a_profile_that_predict_applies(tmp_path: Path) -> None:
    db = tmp_path / "assistant.db"
    folder = photo_folder(tmp_path, resting_face().name)  # a resting face the model reads as sad
    result = invoke("calibrate", "--source", str(folder), "--profile", "ann", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)
    assert stored["frames"] == 1 and max(stored["resting_face"], key=stored["resting_face"].get) == "sad"
    assert stored["correction"]["sad"] < 0 and set(stored["correction"]) <= {"angry", "disgust", "fear", "sad"}
    assert profile_names(db) == ["ann"]
    with sqlite3.connect(db) as conn:  # numbers, never an image
        assert all(len(baseline) < 200 for (baseline,) in conn.execute("SELECT baseline FROM profiles"))

    photos = [str(resting_face()), *(str(needs_shared("images", name)) for name in ("happy_1.jpg", "surprise_1.jpg"))]
    # One crop, as `calibrate` and the live session read a face (with three crops predict reads it neutral).
    plain = json.loads(invoke("predict", *photos, "--json", "--no-tta").stdout)
    calibrated = json.loads(invoke("predict", *photos, "--json", "--no-tta", "--profile", "ann",
                                   "--db", str(db)).stdout)
    emotions = [[photo["faces"][0]["emotion"] for photo in run] for run in (plain, calibrated)]
    assert emotions == [["sad", "happy", "surprise"], ["neutral", "happy", "surprise"]]
    assert (calibrated[0]["faces"][0]["probabilities"]["sad"] < plain[0]["faces"][0]["probabilities"]["sad"])


def test_a_folder_without_a_face_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "assistant.db"
    result = invoke("calibrate", "--source", str(photo_folder(tmp_path, "no_face.jpg")), "--db", str(db))
    assert result.exit_code == 1 and result.stderr.count("error:") == 1
    assert "error: nothing stored: a face was found in 0 of 1 frames" in result.stderr
    assert not db.exists()


def test_a_smile_is_not_a_baseline(tmp_path: Path) -> None:
    db = tmp_path / "assistant.db"
    result = invoke("calibrate", "--source", str(photo_folder(tmp_path, "happy_1.jpg")), "--db", str(db))
    assert result.exit_code == 1 and "reads as happy" in result.stderr and not db.exists()


def test_show_and_reset(tmp_path: Path) -> None:
    db = tmp_path / "assistant.db"
    empty = invoke("calibrate", "--show", "--db", str(db))
    assert empty.exit_code == 0 and "No calibration profiles" in empty.stdout and not db.exists()
    folder = photo_folder(tmp_path, resting_face().name)
    for name in ("ann", "bob"):
        assert invoke("calibrate", "--source", str(folder), "--profile", name, "--db", str(db)).exit_code == 0
    shown = json.loads(invoke("calibrate", "--show", "--json", "--db", str(db)).stdout)
    assert [(row["profile"], row["resting_face"], row["current_weights"]) for row in shown] == [
        ("ann", "sad", True), ("bob", "sad", True)]
    assert all(row["created_at"][:2] == "20" for row in shown)

    assert invoke("calibrate", "--reset", "ann", "--db", str(db)).exit_code == 0
    assert profile_names(db) == ["bob"]
    again = invoke("calibrate", "--reset", "ann", "--db", str(db))
    assert again.exit_code == 1 and "no profile 'ann'" in only_line(again.stderr)


def test_a_profile_from_other_weights_is_ignored_with_a_note(tmp_path: Path) -> None:
    db = tmp_path / "assistant.db"
    with database(db, create=True) as engine:
        Profile.new("old", "0" * 64, log_probabilities(probabilities(sad=0.6, neutral=0.2)), 30, 0.05).save(engine)
    photo = str(resting_face())
    result = invoke("predict", photo, "--json", "--no-tta", "--profile", "old", "--db", str(db))
    assert result.exit_code == 0
    assert "profile 'old' was calibrated with other weights" in only_line(result.stderr)
    assert "assistant calibrate --profile old" in result.stderr
    assert json.loads(result.stdout)[0]["faces"][0]["emotion"] == "sad"  # uncorrected
    shown = json.loads(invoke("calibrate", "--show", "--json", "--db", str(db)).stdout)
    assert shown[0]["current_weights"] is False


def test_a_session_with_a_profile_lowers_what_the_resting_face_leaned_to(tmp_path: Path) -> None:
    """A person whose resting face the model reads as sad: with their profile, the live session's
    recorded sad probabilities fall on every frame with a face, and happy never loses ground to neutral."""
    db, clip = tmp_path / "assistant.db", str(needs_shared("videos", "smiling_woman.mp4"))
    sha = read_manifest(BUNDLED_WEIGHTS)["sha256"]
    with database(db, create=True) as engine:
        Profile.new("her", sha, log_probabilities(probabilities(sad=0.6, neutral=0.3)), 30, 0.05).save(engine)
    for profile in ((), ("--profile", "her")):
        result = invoke("start", "--source", clip, "--headless", "--offline", "--json", "--db", str(db), *profile)
        assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        plain, calibrated = (np.array(conn.execute("SELECT sad, happy, neutral FROM mood_samples "
                                                   "WHERE session_id = ? AND face ORDER BY t",
                                                   (session,)).fetchall()) for session in (1, 2))
    assert len(plain) == len(calibrated) > 50
    assert (calibrated[:, 0] < plain[:, 0]).all()
    np.testing.assert_allclose(calibrated[:, 1] / calibrated[:, 2], plain[:, 1] / plain[:, 2], rtol=1e-3)


@pytest.mark.parametrize("args, message", [
    (["calibrate", "--profile", "bad name!"], "profile name 'bad name!'"),
    (["calibrate", "--show", "--reset", "x"], "give --show or --reset, not both"),
    (["calibrate", "--seconds", "0"], "--seconds must be a number of seconds more than 0"),
    (["calibrate", "--source", "/no/such/folder"], "/no/such/folder does not exist"),
    (["calibrate", "--source", "9"], "cannot open camera 9"),
    (["predict", "x.jpg", "--profile", "nobody"], "no profile 'nobody'"),
    (["start", "--source", "x.mp4", "--profile", "nobody"], "no profile 'nobody'"),
    (["evaluate", "--data", ".", "--profile", "x"], "--profile needs --detect"),
])
def test_bad_input_is_one_line_and_stores_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "assistant.db"
    with database(db, create=True):
        pass
    result = invoke(*args, "--db", str(db))
    assert result.exit_code == 1 and message in only_line(result.stderr)
    assert profile_names(db) == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone() == (0,)


def test_an_empty_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("calibrate", "--source", str(tmp_path / "empty"), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1 and "holds no images" in only_line(result.stderr)
    assert not (tmp_path / "a.db").exists()


def test_bench_calibration_compares_each_person_with_and_without(tmp_path: Path) -> None:
    """Two photos of one "person": the neutral one (read as sad) calibrates, the other is tested."""
    for source, emotion, renamed in ((resting_face(), "neutral", "Ann_Example_0001.jpg"),
                                     (needs_shared("images", "happy_1.jpg"), "happy", "Ann_Example_0002.jpg"),
                                     (needs_shared("images", "surprise_1.jpg"), "surprise", "Bob_Other_0001.jpg")):
        (tmp_path / emotion).mkdir()
        shutil.copy(source, tmp_path / emotion / renamed)
    result = invoke("bench", "calibration", "--data", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["people"], figures["photos"], figures["support"]["happy"]) == (1, 1, 1)
    assert set(figures["modes"]) == {"off", "profile", "auto"}
    assert all(mode["recall"]["happy"] == 1.0 for mode in figures["modes"].values())
