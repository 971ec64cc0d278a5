import subprocess
import sys
from pathlib import Path

import pytest
import torch

from config.errors import UserError
from recognizer.inference import faces_to_tensor
from recognizer.models import add_fer2013_head
from recognizer.weights import load_weights, save_weights
from training.average import average_weights
from training.config import TrainConfig
from training.datasets import load_split
from training.train import main


@pytest.fixture(scope="module")
def with_head(trained_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained weights with a FER-2013 head reading their first two stages, as the bundled ones have."""
    model, manifest = load_weights(trained_run / "best.safetensors")
    add_fer2013_head(model, 2)
    path = tmp_path_factory.mktemp("with_head") / "w.safetensors"
    save_weights(model, "vgg48", {**manifest["config"], "fer2013_head_stages": 2}, path,
                 training=manifest["training"], fer2013_head_training={"command": "assistant train --fer2013-head 2"})
    return path


@pytest.fixture(scope="module")
def fine_tune(with_head: Path, folder_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fine-tune of those weights with the stages the head reads frozen, as `runs/mix_c` was."""
    out = tmp_path_factory.mktemp("fine_tune")
    main(TrainConfig(data=folder_dataset, epochs=1, batch_size=16, lr=0.02, warmup_epochs=0, out=out, seed=2,
                     init=with_head, freeze=2))
    return out / "best.safetensors"


def test_averaged_fine_tunes_read_the_faces_and_keep_the_fer2013_output(
        with_head: Path, fine_tune: Path, folder_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "soup.safetensors"
    average_weights([fine_tune, with_head], [3, 1], out, "assistant average ...", say=lambda _: None)
    soup, manifest = load_weights(out)
    (tuned, _), (start, _) = load_weights(fine_tune), load_weights(with_head)
    test = load_split(folder_dataset, "test")
    faces, labels = faces_to_tensor(test.images), torch.from_numpy(test.labels)
    with torch.no_grad():
        # The mean is a network that still reads the generated classes...
        assert (soup(faces).argmax(1) == labels).float().mean() >= 0.6
        # ...and the FER-2013 output, which reads only the frozen stages, is the fine-tune's, bit for bit.
        assert torch.equal(soup.forward_fer2013(faces), tuned.forward_fer2013(faces))
    for name, tensor in soup.state_dict().items():
        if name.startswith("features.0."):
            assert torch.equal(tensor, start.state_dict()[name]), name
        elif name.startswith("head.") and tensor.is_floating_point():
            torch.testing.assert_close(tensor, (3 * tuned.state_dict()[name] + start.state_dict()[name]) / 4)
    assert [(entry["weights"], entry["share"]) for entry in manifest["training"]["averaged"]] == [
        (str(fine_tune), 3), (str(with_head), 1)]
    # Its own figures are measured afterwards; only the FER-2013 output's carry over.
    assert not [key for key in manifest["metrics"] if not key.endswith("+fer2013-head")]
    assert manifest["fer2013_head_training"]["command"] == "assistant train --fer2013-head 2"


def test_a_first_file_with_no_share_gives_only_its_fer2013_head(
        with_head: Path, fine_tune: Path, folder_dataset: Path, tmp_path: Path) -> None:
    # How the bundled weights take the FER-2013 head and peers of the weights before them.
    out = tmp_path / "soup.safetensors"
    average_weights([with_head, fine_tune], [0, 1], out, "assistant average ...", say=lambda _: None)
    soup, manifest = load_weights(out)
    (tuned, _), (start, _) = load_weights(fine_tune), load_weights(with_head)
    faces = faces_to_tensor(load_split(folder_dataset, "test").images)
    with torch.no_grad():
        assert torch.equal(soup(faces), tuned(faces))
        assert torch.equal(soup.forward_fer2013(faces), start.forward_fer2013(faces))
    assert manifest["training"]["averaged"][0]["share"] == 0


def test_a_fer2013_head_whose_stages_were_averaged_is_dropped(with_head: Path, tmp_path: Path) -> None:
    model, manifest = load_weights(with_head)
    with torch.no_grad():
        model.features[0].weight.add_(0.01)  # as a fine-tune without --freeze moves the first stage
    moved = tmp_path / "moved.safetensors"
    save_weights(model, "vgg48", manifest["config"], moved, training=manifest["training"])
    notes: list[str] = []
    out = tmp_path / "soup.safetensors"
    average_weights([with_head, moved], None, out, "assistant average ...", say=notes.append)
    assert "FER-2013 head" in notes[0] and "dropped" in notes[0]
    soup, manifest = load_weights(out)
    assert soup.fer2013_head is None and manifest["config"]["fer2013_head_stages"] == 0


def test_averaging_refuses_what_it_cannot_average(with_head: Path, tmp_path: Path) -> None:
    out = tmp_path / "soup.safetensors"
    with pytest.raises(UserError, match="two or more"):
        average_weights([with_head], None, out, "")
    with pytest.raises(UserError, match="one for each"):
        average_weights([with_head, with_head], [1, 2, 3], out, "")
    from recognizer.models import build_model

    narrow = tmp_path / "narrow.safetensors"
    model, config = build_model("vgg48", {"widths": (8, 16, 32, 64)})
    save_weights(model, "vgg48", config, narrow)
    result = subprocess.run([sys.executable, "-m", "assistant", "average", str(with_head), str(narrow),
                             "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "not the same network" in result.stderr
    assert not out.exists()
