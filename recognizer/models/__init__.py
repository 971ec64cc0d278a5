"""Every architecture the recognizer can train and load, by name.

A weights manifest stores the name and the config dict, so `build_model` rebuilds exactly
the network the weights came from without guessing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from torch import nn

from config.errors import UserError
from recognizer.models.torchvision_backbone import SUPPORTED, BackboneConfig, build_backbone
from recognizer.models.vgg48 import Vgg48, Vgg48Config

ARCHITECTURES: tuple[str, ...] = ("vgg48", *SUPPORTED)


def build_model(arch: str, config: dict[str, Any] | None = None, pretrained: bool = False) -> tuple[nn.Module, dict[str, Any]]:
    """Return the model and the config dict that rebuilds it."""
    config = dict(config or {})
    if arch == "vgg48":
        if pretrained:
            raise UserError("vgg48 has no pretrained weights: --pretrained is for torchvision backbones")
        for key in ("widths", "depths"):
            if key in config:
                config[key] = tuple(config[key])
        try:
            vgg_config = Vgg48Config(**config)
        except TypeError as error:
            raise UserError(f"bad vgg48 config: {error}") from None
        return Vgg48(vgg_config), asdict(vgg_config)
    if arch in SUPPORTED:
        backbone_config = BackboneConfig(arch=arch, **{k: v for k, v in config.items() if k != "arch"})
        return build_backbone(backbone_config, pretrained), asdict(backbone_config)
    raise UserError(f"unknown architecture {arch!r}: choose one of {', '.join(ARCHITECTURES)}")
