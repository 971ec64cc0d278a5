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
