import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from rich.console import Console

from config.errors import UserError
from recognizer.weights import load_weights
from training.config import TrainConfig
from training.train import main

ASSISTANT = [sys.executable, "-m", "assistant"]


def test_training_learns_the_generated_classes(precision: str, folder_dataset: Path, tmp_path: Path) -> None:
    summary = main(TrainConfig(data=folder_dataset, epochs=2, batch_size=16, lr=0.05, out=tmp_path, seed=1))
    assert summary["config"]["amp"] is (precision == "bf16")
    # Seeds 1-5 reach 0.71-0.86 by epoch 2 here (36 steps: fewer leave batch norm's running
    # statistics behind the weights, whatever the seed); 0.6 leaves
    # room for another CPU's rounding while chance (1/7) and a broken loop stay far below.
    assert summary["best"]["val_acc"] >= 0.6
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[-1]["train_loss"]) < 0.8 * float(rows[0]["train_loss"])


def test_ferplus_votes_train_and_select_on_the_valid_folder(ferplus_dataset: Path, tmp_path: Path) -> None:
    summary = main(TrainConfig(data=ferplus_dataset, epochs=3, batch_size=16, lr=0.05, out=tmp_path, seed=1))
    assert summary["best"]["val_acc"] >= 0.6
    _, manifest = load_weights(tmp_path / "best.safetensors")
    assert manifest["training"]["labels"] == "votes"


def test_the_data_summary_gives_the_faces_and_the_labels_a_line_each(folder_dataset: Path, tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    main(TrainConfig(data=folder_dataset, epochs=1, batch_size=16, out=tmp_path), console=console)
    lines = console.export_text().splitlines()
    faces = next(n for n, line in enumerate(lines) if line.startswith("train: "))
    assert lines[faces + 1].startswith("labels: votes;"), lines


def test_fine_tuning_starts_from_the_given_weights(trained_run: Path, folder_dataset: Path, tmp_path: Path) -> None:
    start = trained_run / "best.safetensors"
    summary = main(TrainConfig(data=folder_dataset, epochs=1, batch_size=32, lr=0.001, out=tmp_path,
                               init=start, labels="majority"))
    # A barely-moving fine-tune of weights that already know the classes is right from its first epoch.
    assert summary["best"]["val_acc"] >= 0.6
    assert load_weights(tmp_path / "best.safetensors")[1]["training"]["init"] == str(start)


def test_unknown_label_mode_and_device_are_one_line_errors(folder_dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="choose votes or majority"):
        main(TrainConfig(data=folder_dataset, epochs=1, out=tmp_path, labels="soft"))
    with pytest.raises(UserError, match="choose auto, cpu or cuda"):
        main(TrainConfig(data=folder_dataset, epochs=1, out=tmp_path, device="tpu"))


def test_best_weights_carry_a_manifest_with_the_measured_metrics(trained_run: Path) -> None:
    model, manifest = load_weights(trained_run / "best.safetensors")
    assert manifest["arch"] == "vgg48"
    assert (manifest["metrics"]["PublicTest"]["val_acc"]
            == json.loads((trained_run / "summary.json").read_text())["best"]["val_acc"])
    assert not model.training


def test_same_seed_gives_the_same_run(folder_dataset: Path, tmp_path: Path) -> None:
    def run(out: Path) -> list[str]:
        main(TrainConfig(data=folder_dataset, epochs=1, batch_size=32, out=out, seed=7))
        return [row["train_loss"] for row in csv.DictReader((out / "metrics.csv").open())]

    assert run(tmp_path / "a") == run(tmp_path / "b")


def test_resume_continues_at_the_next_epoch(folder_dataset: Path, tmp_path: Path) -> None:
    main(TrainConfig(data=folder_dataset, epochs=1, batch_size=32, out=tmp_path))
    main(TrainConfig(data=folder_dataset, epochs=2, batch_size=32, out=tmp_path, resume=tmp_path / "last.pt"))
    assert [row["epoch"] for row in csv.DictReader((tmp_path / "metrics.csv").open())] == ["1", "2"]
    assert torch.load(tmp_path / "last.pt", weights_only=True)["epoch"] == 2


def test_resume_from_a_broken_checkpoint_is_a_one_line_error(folder_dataset: Path, tmp_path: Path) -> None:
    (tmp_path / "last.pt").write_bytes(b"garbage")
    with pytest.raises(UserError, match="cannot resume"):
        main(TrainConfig(data=folder_dataset, epochs=1, out=tmp_path, resume=tmp_path / "last.pt"))


def test_ctrl_c_saves_a_checkpoint_that_resumes(folder_dataset: Path, tmp_path: Path) -> None:
    command = ASSISTANT + ["train", "--data", str(folder_dataset), "--epochs", "50", "--batch-size", "8",
                           "--out", str(tmp_path)]
    # As from a terminal: a suite started in the background (`make test &`) ignores SIGINT, and
    # Python then leaves it ignored in its children, as `nohup assistant train &` should.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (tmp_path / "metrics.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "--resume" in stderr and "Traceback" not in stderr
    checkpoint = torch.load(tmp_path / "last.pt", weights_only=True)
    assert checkpoint["epoch"] >= 1
    done = subprocess.run(ASSISTANT + ["train", "--data", str(folder_dataset), "--epochs", str(checkpoint["epoch"] + 1),
                                       "--batch-size", "8", "--out", str(tmp_path),
                                       "--resume", str(tmp_path / "last.pt")],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "resumed from" in done.stderr


def test_two_process_distributed_run(folder_dataset: Path, tmp_path: Path) -> None:
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "assistant", "train",
                           "--data", str(folder_dataset), "--epochs", "2", "--batch-size", "16",
                           "--device", "cpu", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    said = " ".join(done.stderr.split())  # Rich wraps long lines at the terminal's width
    assert "processes: 2" in said and "device: cpu" in said
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert len(rows) == 2  # only the main process writes
    load_weights(tmp_path / "best.safetensors")


@pytest.fixture(scope="module")
def relabelled(folder_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated faces labelled another way, as FER-2013's annotators and FER+'s taggers label
    the same face differently: each class shifted by one, which the product head cannot read."""
    import shutil

    from recognizer.classes import EMOTIONS

    out = tmp_path_factory.mktemp("relabelled")
    for split in ("train", "test"):
        for index, name in enumerate(EMOTIONS):
            shutil.copytree(folder_dataset / split / name, out / split / EMOTIONS[(index + 1) % len(EMOTIONS)])
    return out


def fer2013_head_accuracy(weights: Path, dataset: Path) -> float:
    from recognizer.inference import EmotionClassifier
    from training.datasets import load_split

    faces = load_split(dataset, "PrivateTest")
    read = EmotionClassifier.from_weights(weights, bf16=False, head="fer2013").predict_gray48(faces.images)
    return float((read.argmax(1) == faces.labels).mean())


def test_a_fer2013_head_learns_another_labelling_and_the_product_output_does_not_move(
        trained_run: Path, relabelled: Path, tmp_path: Path) -> None:
    from recognizer.inference import EmotionClassifier
    from training.datasets import load_split

    start = trained_run / "best.safetensors"
    main(TrainConfig(data=relabelled, epochs=3, batch_size=16, lr=0.05, out=tmp_path / "run", seed=1, init=start,
                     fer2013_head=1))
    weights = tmp_path / "run" / "best.safetensors"
    faces = load_split(relabelled, "PrivateTest")
    before = EmotionClassifier.from_weights(start, bf16=False).predict_gray48(faces.images)
    after = EmotionClassifier.from_weights(weights, bf16=False).predict_gray48(faces.images)
    assert (after == before).all()
    assert fer2013_head_accuracy(weights, relabelled) >= 0.6 > (before.argmax(1) == faces.labels).mean()
    manifest = load_weights(weights)[1]
    assert manifest["training"] == load_weights(start)[1]["training"]
    assert manifest["fer2013_head_training"]["own_stages"] == 1
    assert "PublicTest+fer2013-head" in manifest["metrics"]


@pytest.fixture(scope="module")
def fer2013_only(relabelled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Weights trained on the other labelling alone, as the FER-2013-only weights of e97d44a were."""
    out = tmp_path_factory.mktemp("fer2013_only")
    main(TrainConfig(data=relabelled, epochs=3, batch_size=16, lr=0.05, out=out, seed=1))
    return out


def test_a_fer2013_head_can_start_from_a_network_trained_on_fer2013s_labels(
        trained_run: Path, relabelled: Path, fer2013_only: Path, tmp_path: Path) -> None:
    """A head that starts as a copy of the product's stages must learn the other labelling; one
    that starts from a network already trained on it reads it from its first step."""
    start = trained_run / "best.safetensors"
    barely = {"data": relabelled, "epochs": 1, "batch_size": 16, "lr": 1e-5, "seed": 1, "init": start,
              "fer2013_head": 4}
    main(TrainConfig(**barely, out=tmp_path / "own"))
    main(TrainConfig(**barely, out=tmp_path / "from", fer2013_head_from=fer2013_only / "best.safetensors"))
    assert fer2013_head_accuracy(tmp_path / "from" / "best.safetensors", relabelled) >= 0.6
    assert fer2013_head_accuracy(tmp_path / "own" / "best.safetensors", relabelled) < 0.3
    record = load_weights(tmp_path / "from" / "best.safetensors")[1]["fer2013_head_training"]
    assert record["fer2013_head_from"] == str(fer2013_only / "best.safetensors")


def test_a_network_joins_the_fer2013_head_as_it_is_and_its_record_says_where_it_came_from(
        trained_run: Path, relabelled: Path, fer2013_only: Path, tmp_path: Path) -> None:
    start = trained_run / "best.safetensors"
    other = fer2013_only / "best.safetensors"
    main(TrainConfig(data=relabelled, epochs=1, batch_size=16, lr=0.05, out=tmp_path / "head", seed=1, init=start,
                     fer2013_head=1))
    main(TrainConfig(data=relabelled, epochs=0, out=tmp_path / "joined", init=tmp_path / "head" / "best.safetensors",
                     fer2013_head=4, fer2013_head_from=other, fer2013_join=True))
    weights = tmp_path / "joined" / "best.safetensors"
    model, manifest = load_weights(weights)
    assert manifest["config"]["fer2013_peers"] == 1
    assert [int(row["epoch"]) for row in csv.DictReader((tmp_path / "joined" / "metrics.csv").open())] == [0]
    record = manifest["fer2013_head_training"]
    assert record["from_training"] == load_weights(other)[1]["training"]
    assert record["beside"]["own_stages"] == 1
    assert "PublicTest+fer2013-head" in manifest["metrics"]
    taken = load_weights(other)[0].state_dict().values()
    peer = model.fer2013_peers[0].state_dict().values()
    assert len(peer) == len(taken)
    for kept, tensor in zip(peer, taken, strict=True):  # the other network, stored in half precision
        assert torch.equal(kept, tensor.half().to(tensor.dtype))
    unchanged = load_weights(start)[0].state_dict()
    assert all(torch.equal(tensor, unchanged[name]) for name, tensor in model.state_dict().items()
               if name.startswith(("features.", "head.")))
    # Fine-tuning what the joined head reads drops the head with its peer, and the weights still load.
    main(TrainConfig(data=relabelled, epochs=1, batch_size=16, out=tmp_path / "tuned", seed=1, init=weights))
    assert load_weights(tmp_path / "tuned" / "best.safetensors")[0].fer2013_head is None
    with pytest.raises(UserError, match="--epochs 0 takes a FER-2013 head as it is"):
        main(TrainConfig(data=relabelled, epochs=0, out=tmp_path / "nothing", init=start, fer2013_head=1))


def test_a_fer2013_head_start_needs_the_head_and_the_same_shape(
        trained_run: Path, relabelled: Path, tmp_path: Path) -> None:
    start = trained_run / "best.safetensors"
    with pytest.raises(UserError, match="--fer2013-head-from starts a FER-2013 head"):
        main(TrainConfig(data=relabelled, epochs=1, out=tmp_path, init=start, fer2013_head_from=start))
    from recognizer.models import build_model
    from recognizer.weights import save_weights

    narrow = tmp_path / "narrow.safetensors"
    model, config = build_model("vgg48", {"widths": (8, 16, 32, 64)})
    save_weights(model, "vgg48", config, narrow)
    with pytest.raises(UserError, match="same stages and classes"):
        main(TrainConfig(data=relabelled, epochs=1, out=tmp_path, init=start, fer2013_head=4,
                         fer2013_head_from=narrow))


def test_a_fer2013_head_needs_trained_vgg48_weights(folder_dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--init"):
        main(TrainConfig(data=folder_dataset, epochs=1, out=tmp_path, fer2013_head=1))
