import pytest
import torch

from config.errors import UserError
from recognizer.models import ARCHITECTURES, build_model


@pytest.mark.parametrize("arch", ["vgg48", "resnet18"])
def test_architectures_take_48x48_gray_faces_and_give_7_logits(arch: str) -> None:
    model, config = build_model(arch)
    with torch.no_grad():
        assert model.eval()(torch.zeros(2, 1, 48, 48)).shape == (2, 7)
    rebuilt, _ = build_model(arch, config)
    rebuilt.load_state_dict(model.state_dict())


def test_unknown_architecture_lists_the_supported_ones() -> None:
    with pytest.raises(UserError) as error:
        build_model("alexnet")
    assert all(name in str(error.value) for name in ARCHITECTURES)


def test_vgg48_has_no_pretrained_weights() -> None:
    with pytest.raises(UserError, match="pretrained"):
        build_model("vgg48", pretrained=True)


def test_weights_without_a_fer2013_head_say_so_when_it_is_asked_for() -> None:
    from recognizer.models import head_module

    model, _ = build_model("vgg48")
    with pytest.raises(UserError, match="no FER-2013 head"):
        head_module(model, "fer2013")
    with pytest.raises(UserError, match="product or fer2013"):
        head_module(model, "ferplus")


def test_a_fer2013_head_may_own_one_to_all_four_stages() -> None:
    from recognizer.models import add_fer2013_head

    faces = torch.rand(2, 1, 48, 48)
    for stages in (1, 4):
        model, _ = build_model("vgg48")
        head = add_fer2013_head(model, stages).eval()
        with torch.no_grad():
            # A new head is a copy of the product's own path, so it starts out giving the same answer.
            torch.testing.assert_close(head(faces), model(faces))
        rebuilt, _ = build_model("vgg48", {"fer2013_head_stages": stages})
        rebuilt.load_state_dict(model.state_dict())
    with pytest.raises(UserError, match="1 to 4 stages"):
        add_fer2013_head(build_model("vgg48")[0], 5)


def test_peers_beside_a_fer2013_head_average_its_readings_and_leave_the_product_alone(tmp_path) -> None:
    from dataclasses import asdict

    from recognizer.models import add_fer2013_head
    from recognizer.weights import load_weights, peers_path, save_weights

    torch.manual_seed(0)
    faces = torch.rand(4, 1, 48, 48)
    model, _ = build_model("vgg48")
    other, _ = build_model("vgg48")  # another network, as one trained on FER-2013 would be
    add_fer2013_head(model, 2)
    model.eval()
    with torch.no_grad():
        product, head = model(faces), model.forward_fer2013(faces).softmax(1)
    joined = add_fer2013_head(model, 4, start=other, join=True).eval()
    assert [name for name, p in model.named_parameters() if p.requires_grad][0].startswith("fer2013_peers.0.")
    with torch.no_grad():
        torch.testing.assert_close(joined(faces).softmax(1), (head + other.eval()(faces).softmax(1)) / 2)
        torch.testing.assert_close(model(faces), product)
    path = tmp_path / "joined.safetensors"
    save_weights(model, "vgg48", asdict(model.config), path)
    loaded, manifest = load_weights(path)
    assert manifest["config"]["fer2013_peers"] == 1
    with torch.no_grad():
        assert torch.equal(loaded(faces), product)
        # Peers are stored in half precision: the benchmark's readings move by far less than a vote.
        torch.testing.assert_close(loaded.forward_fer2013(faces), joined(faces), atol=2e-3, rtol=0)
    # They live in a file of their own, which the product neither needs nor reads...
    peers = peers_path(path).read_bytes()
    peers_path(path).unlink()
    with torch.no_grad():
        assert torch.equal(load_weights(path, fer2013_peers=False)[0](faces), product)
    with pytest.raises(UserError, match="is missing"):
        load_weights(path)
    # ...and which is checked like the weights when the benchmark asks for it.
    peers_path(path).write_bytes(peers[:-1] + bytes([peers[-1] ^ 1]))
    with pytest.raises(UserError, match="corrupt"):
        load_weights(path)
    joined.train()
    assert not model.fer2013_head.training and joined.trained.training
    joined(faces).sum().backward()  # training: the new peer alone answers, and alone learns
    assert all(p.grad is None for p in model.fer2013_head.parameters())
    assert all(p.grad is not None for p in joined.trained.parameters())
    with pytest.raises(UserError, match="whole network"):
        add_fer2013_head(model, 2, start=other, join=True)
