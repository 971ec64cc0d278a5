"""torchvision classification backbones adapted to 48x48 grayscale faces.

ImageNet stems downsample by 4 before the first block, which leaves a 48x48 face as a
12x12 map; replacing the stem with a stride-1 3x3 convolution on one channel keeps the
resolution the expression details live at. With ``pretrained`` every other layer starts
from torchvision's ImageNet weights (the new stem cannot use them).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from config.errors import UserError

SUPPORTED = ("resnet18", "resnet34", "resnet50")


@dataclass(frozen=True)
class BackboneConfig:
    arch: str = "resnet18"
    num_classes: int = 7


def build_backbone(config: BackboneConfig, pretrained: bool = False) -> nn.Module:
    import torchvision  # its import costs a second; only these architectures need it

    weights = "DEFAULT" if pretrained else None
    try:
        model = torchvision.models.get_model(config.arch, weights=weights)
    except (OSError, RuntimeError) as error:  # urllib's URLError is an OSError
        raise UserError(
            f"could not download ImageNet weights for {config.arch} ({error}); "
            "the internet is not reachable from here: train without --pretrained"
        ) from None
    model.conv1 = nn.Conv2d(1, 64, 3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    model.fc = nn.Linear(model.fc.in_features, config.num_classes)
    return model

