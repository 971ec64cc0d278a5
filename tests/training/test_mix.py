"""Training on several datasets at once: each its share of every batch, its kind of label and its
held-out people; one-line refusals of what cannot be mixed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from assistant.cli import app
from config.errors import UserError
from recognizer.classes import EMOTIONS
from tests.support.synthetic import make_samples
from training.config import TrainConfig
from training.datasets import group_of, held_out_groups, list_images, load_split
from training.distributed import DistInfo
from training.mix import MixedBatches, faces_per_batch, load_sources
from training.train import main

runner = CliRunner()


def write_people_dataset(root: Path, people: int = 10, per_class: int = 2, seed: int = 5) -> Path:
    """ROOT/<class>/P<n>_<seq>_<frame>.png, as CK+ and SFEW name their files: a person (or film) per prefix."""
    samples = make_samples(per_class * people, seed)
    for index, (image, label) in enumerate(samples):
        person = index % people
        folder = root / EMOTIONS[label]
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"P{person:03d}_{index:03d}_{index % 3:08d}.png"), image)
    return root


@pytest.fixture(scope="module")
def people_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_people_dataset(tmp_path_factory.mktemp("people"))


def test_whole_people_are_held_out_and_never_trained_on(people_dataset: Path) -> None:
    items = list_images(people_dataset, "train")
    held = held_out_groups(items, 0.2)
    assert held == held_out_groups(list(reversed(items)), 0.2)  # not the listing order
    assert 0 < len(held) < 10
    held_faces = [path for path, _ in items if group_of(path) in held]
    assert 0.2 <= len(held_faces) / len(items) < 0.4
    assert set(held) == {group_of(path) for path, _ in list_images(people_dataset, "held-out")}
    assert len(load_split(people_dataset, "held-out")) == len(held_faces)


def test_a_larger_held_out_fraction_holds_out_the_same_people_and_more(people_dataset: Path) -> None:
    items = list_images(people_dataset, "train")
    assert held_out_groups(items, 0.2) <= held_out_groups(items, 0.4)


def test_a_batch_is_shared_by_the_shares_and_each_source_cycles_its_own_faces(folder_dataset: Path,
                                                                               people_dataset: Path) -> None:
    assert faces_per_batch([4 / 6, 1 / 6, 1 / 6], 96) == [64, 16, 16]
    assert faces_per_batch([0.98, 0.01, 0.01], 10) == [8, 1, 1]
    sources = load_sources([folder_dataset, people_dataset], [3, 1], "votes", "PublicTest", 0.2)
    batches = MixedBatches(sources, 16, seed=1, info=DistInfo(), augment=lambda x: x, device=torch.device("cpu"))
    first_size = len(sources[0].faces)
    assert batches.counts == [12, 4] and batches.steps_per_epoch == -(-first_size // 12)
    batches.set_epoch(0)
    indices = batches._epoch_indices()[:, 0]
    assert ((indices[:, :12] < first_size).all() and (indices[:, 12:] >= first_size).all())
    batches.set_epoch(0, skip_batches=3)
    assert torch.equal(batches._epoch_indices()[3:, 0], indices[3:])  # a resumed epoch goes on where it stopped


def test_a_mixed_run_learns_records_its_mix_and_selects_on_balanced_recall(folder_dataset: Path, people_dataset: Path,
                                                                           tmp_path: Path) -> None:
    summary = main(TrainConfig(data=[folder_dataset, people_dataset], shares=[3, 1], epochs=3, batch_size=16,
                               lr=0.05, out=tmp_path, seed=1))
    assert summary["best"]["val_balanced"] >= 0.6
    manifest = json.loads((tmp_path / "best.json").read_text())
    sources = manifest["training"]["sources"]
    assert [source["share"] for source in sources] == [0.75, 0.25]
    assert [source["labels"] for source in sources] == ["one label", "one label"]
    assert sources[1]["held_out"] == "by person or film, 20%" and sources[1]["held_out_faces"] > 0
    with (tmp_path / "metrics.csv").open() as handle:
        row = next(csv.DictReader(handle))
    assert {"val_balanced", f"{people_dataset.name}_acc", f"{people_dataset.name}_balanced"} <= set(row)


def test_fine_tuning_with_frozen_stages_keeps_them_and_a_fer2013_head_reading_them(trained_run: Path,
                                                                                    folder_dataset: Path,
                                                                                    people_dataset: Path,
                                                                                    tmp_path: Path) -> None:
    from recognizer.weights import load_weights

    with_head = tmp_path / "head"
    main(TrainConfig(data=folder_dataset, init=trained_run / "best.safetensors", fer2013_head=2, epochs=1,
                     batch_size=16, lr=0.01, out=with_head, seed=1))
    before, _ = load_weights(with_head / "best.safetensors")
    main(TrainConfig(data=[folder_dataset, people_dataset], init=with_head / "best.safetensors", freeze=2, epochs=1,
                     batch_size=16, lr=0.05, out=tmp_path / "tuned", seed=1))
    after, manifest = load_weights(tmp_path / "tuned" / "best.safetensors")
    assert manifest["config"]["fer2013_head_stages"] == 2
    kept = {k: v for k, v in before.state_dict().items()
            if k.startswith(("features.0.", "features.1.", "fer2013_head."))}
    assert all(torch.equal(v, after.state_dict()[k]) for k, v in kept.items())
    assert not torch.equal(before.state_dict()["head.3.weight"], after.state_dict()["head.3.weight"])
    faces = np.stack([image for image, _ in make_samples(2, 9)])
    x = torch.from_numpy(faces).float().unsqueeze(1)
    assert torch.equal(before.forward_fer2013(x), after.forward_fer2013(x))  # the benchmark head still reads the same


def make_folder(root: Path, names: dict[str, list[str]]) -> Path:
    image = make_samples(1, 0)[0][0]
    for folder, files in names.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in files:
            cv2.imwrite(str(root / folder / name), image)
    return root


@pytest.mark.parametrize(("layout", "message"), [
    (None, "does not exist"),
    ({"faces": ["a.png"]}, "has no class folders"),
    ({"happy": ["P1_1_1.png", "P2_1_1.png"], "contempt": ["P3_1_1.png"]},
     "has faces of contempt: the recognizer knows only"),
    ({"happy": ["one.png", "two.png"], "sad": ["three.png"]}, "does not say whose face it is"),
    ({"happy": ["P1_1_1.png", "P1_1_2.png"], "sad": ["P1_2_1.png"]}, "all its faces are of one person or film"),
])
def test_what_cannot_be_mixed_is_one_line(folder_dataset: Path, tmp_path: Path, layout, message: str) -> None:
    second = tmp_path / "second" if layout is None else make_folder(tmp_path / "second", layout)
    with pytest.raises(UserError, match=message) as refused:
        main(TrainConfig(data=[folder_dataset, second], epochs=1, out=tmp_path / "run"))
    assert "\n" not in str(refused.value)


def test_the_cli_takes_several_data_and_checks_the_shares(folder_dataset: Path, people_dataset: Path,
                                                          tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--data", str(folder_dataset), "--data", str(people_dataset),
                                 "--share", "1", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: --share is given 1 time(s) for 2 --data source(s): give one per source"
