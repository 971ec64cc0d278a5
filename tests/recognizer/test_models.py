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
