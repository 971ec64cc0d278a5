import json
import shutil
from pathlib import Path

import cv2
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.support import needs_shared, only_line

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))



def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.startswith("assistant ")


def test_predict_reports_every_face_with_all_probabilities() -> None:
    result = invoke("predict", str(needs_shared("images", "one_face.jpg")), str(needs_shared("images", "no_face.jpg")),
                    "--json")
    assert result.exit_code == 0, result.output
    one, none = json.loads(result.stdout)
    assert len(one["faces"]) == 1 and none["faces"] == []
    face = one["faces"][0]
    assert set(face) == {"box", "face_score", "emotion", "confidence", "probabilities"}
    assert list(face["probabilities"]) == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert face["emotion"] == max(face["probabilities"], key=face["probabilities"].get)


def test_predict_recognizes_a_posed_smile() -> None:
    result = invoke("predict", str(needs_shared("images", "happy_1.jpg")), "--json")
    assert json.loads(result.stdout)[0]["faces"][0]["emotion"] == "happy"


def test_predict_reads_a_photo_already_cropped_to_the_face(tmp_path: Path) -> None:
    # The middle of happy_1.jpg's face, as FER-2013's faces are cut: BlazeFace alone finds no face in it.
    photo = cv2.imread(str(needs_shared("images", "happy_1.jpg")))
    height, width = photo.shape[:2]
    tight = tmp_path / "face_only.png"
    cv2.imwrite(str(tight), photo[int(0.46 * height):int(0.82 * height), int(0.32 * width):int(0.68 * width)])
    result = invoke("predict", str(tight), "--json")
    assert result.exit_code == 0, result.output
    (face,) = json.loads(result.stdout)[0]["faces"]
    assert face["emotion"] == "happy"


def test_predict_table_says_when_there_is_no_face() -> None:
    result = invoke("predict", str(needs_shared("images", "no_face.jpg")))
    assert result.exit_code == 0 and "no face found" in result.output


def test_predict_unreadable_image_is_one_line_and_nonzero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\x00garbage")
    result = invoke("predict", str(bad))
    assert result.exit_code == 1
    assert "not a readable image" in only_line(result.stderr)


def test_corrupt_weights_file_is_one_line(tmp_path: Path, trained_run: Path) -> None:
    for suffix in (".safetensors", ".json"):
        shutil.copy(trained_run / f"best{suffix}", tmp_path / f"w{suffix}")
    (tmp_path / "w.safetensors").write_bytes(b"0" * 100)
    result = invoke("predict", str(needs_shared("images", "one_face.jpg")), "--weights",
                    str(tmp_path / "w.safetensors"))
    assert result.exit_code == 1
    assert "corrupt" in only_line(result.stderr)


def test_evaluate_json_on_generated_faces(precision: str, folder_dataset: Path, trained_run: Path,
                                          tmp_path: Path) -> None:
    result = invoke("evaluate", "--data", str(folder_dataset), "--split", "PrivateTest", "--weights",
                    str(trained_run / "best.safetensors"), "--json", "--report-dir", str(tmp_path),
                    "--metrics-log", str(trained_run / "metrics.csv"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"accuracy", "macro_f1", "n", "no_face", "classes", "per_class", "confusion_matrix"} <= set(report)
    assert report["n"] == 70 and report["accuracy"] >= 0.6  # chance is 1/7; seeds 1-4 score 0.86 here (fp32)
    assert sum(map(sum, report["confusion_matrix"])) == 70
    assert set(report["per_class"]["happy"]) == {"precision", "recall", "f1", "support", "roc_auc"}
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 1000
    assert (tmp_path / "training_curves.png").stat().st_size > 1000


def test_evaluate_with_detection_counts_photos_without_a_face(tmp_path: Path) -> None:
    for name, emotion in (("happy_1.jpg", "happy"), ("surprise_1.jpg", "surprise"), ("no_face.jpg", "sad")):
        (tmp_path / emotion).mkdir()
        shutil.copy(needs_shared("images", name), tmp_path / emotion / name)
    result = invoke("evaluate", "--data", str(tmp_path), "--detect", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 3 and report["no_face"] == 1
    assert report["per_class"]["sad"]["recall"] == 0.0
    assert report["accuracy"] <= 2 / 3
    assert report["detector"] == "both" and report["tta"] is True  # photos: both BlazeFace models, flip TTA
    live = json.loads(invoke("evaluate", "--data", str(tmp_path), "--detect", "--live", "--json").stdout)
    assert live["detector"] == "short" and live["tta"] is False  # exactly what the live session runs
    assert live["n"] == 3


def test_a_fer2013_head_the_weights_lack_is_one_line(folder_dataset: Path, trained_run: Path) -> None:
    result = invoke("evaluate", "--data", str(folder_dataset), "--split", "PrivateTest", "--head", "fer2013",
                    "--weights", str(trained_run / "best.safetensors"))
    assert result.exit_code == 1 and "no FER-2013 head" in only_line(result.stderr)


def test_live_without_detect_is_refused() -> None:
    result = invoke("evaluate", "--data", ".", "--live")
    assert result.exit_code == 1 and "--live needs --detect" in only_line(result.stderr)


def test_bench_crop_ranks_every_geometry(tmp_path: Path) -> None:
    for name, emotion in (("happy_1.jpg", "happy"), ("surprise_1.jpg", "surprise"), ("angry_1.jpg", "angry")):
        (tmp_path / emotion).mkdir()
        shutil.copy(needs_shared("images", name), tmp_path / emotion / name)
    result = invoke("bench", "crop", "--data", str(tmp_path), "--margins", "0,0.2", "--shifts", "0", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {(r["margin"], r["shift"], r["level_eyes"]) for r in rows} == {(0.0, 0.0, True), (0.0, 0.0, False),
                                                                          (0.2, 0.0, True), (0.2, 0.0, False)}
    assert [r["macro_f1"] + r["accuracy"] for r in rows] == sorted((r["macro_f1"] + r["accuracy"] for r in rows),
                                                                   reverse=True)
    assert all(r["n"] == 3 and r["no_face"] == 0 for r in rows)


def test_a_wrong_precision_setting_is_one_line(monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_PRECISION", "fp16")
    result = invoke("predict", str(needs_shared("images", "one_face.jpg")))
    assert result.exit_code == 1 and "choose auto, fp32 or bf16" in only_line(result.stderr)


def test_evaluate_wrong_layout_is_one_line(tmp_path: Path) -> None:
    result = invoke("evaluate", "--data", str(tmp_path))
    assert result.exit_code == 1
    assert "expected" in only_line(result.stderr)


def test_evaluate_unknown_split_is_refused() -> None:
    result = invoke("evaluate", "--data", ".", "--split", "validation")
    assert result.exit_code == 1 and "unknown split" in result.stderr


def test_bench_recognizer_prints_its_figures() -> None:
    result = invoke("bench", "recognizer", "--json", "--seconds", "0.2", "--batch-size", "16")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["faces_per_s"] > 0 and figures["ms_per_face"] > 0


def test_evaluate_record_keeps_figures_per_dataset_and_split(folder_dataset: Path, trained_run: Path,
                                                             tmp_path: Path) -> None:
    for suffix in (".safetensors", ".json"):
        shutil.copy(trained_run / f"best{suffix}", tmp_path / f"w{suffix}")
    result = invoke("evaluate", "--data", str(folder_dataset), "--split", "PrivateTest", "--weights",
                    str(tmp_path / "w.safetensors"), "--record", "--json")
    assert result.exit_code == 0, result.output
    recorded = json.loads((tmp_path / "w.json").read_text())["metrics"][f"{folder_dataset.name}/PrivateTest"]
    assert recorded["accuracy"] == json.loads(result.stdout)["accuracy"] and recorded["n"] == 70
    assert recorded["command"].startswith("assistant ") and recorded["detector"] is None
