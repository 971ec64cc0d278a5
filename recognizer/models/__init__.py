"""Every architecture the recognizer can train and load, by name.

A weights manifest stores the name and the config dict, so `build_model` rebuilds exactly
the network the weights came from without guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from torch import nn

from config.errors import UserError
from recognizer.models.torchvision_backbone import SUPPORTED, BackboneConfig, build_backbone
from recognizer.models.vgg48 import Fer2013Head, Vgg48, Vgg48Config

ARCHITECTURES: tuple[str, ...] = ("vgg48", *SUPPORTED)
#: The outputs a model can have: the product's (FER+ taggers) and, where trained, FER-2013's annotators'.
HEADS = ("product", "fer2013")
#: What a figure's manifest key (``DATASET/SPLIT``) is followed by when it was measured through each head.
HEAD_METRICS_SUFFIX = {"product": "", "fer2013": "+fer2013-head"}


def build_model(arch: str, config: dict[str, Any] | None = None,
                pretrained: bool = False) -> tuple[nn.Module, dict[str, Any]]:
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


def head_module(model: nn.Module, head: str) -> nn.Module:
    """The module whose output is ``head``'s: the model itself for the product's head."""
    if head not in HEADS:
        raise UserError(f"unknown head {head!r}: choose {' or '.join(HEADS)}")
    if head == "product":
        return model
    if getattr(model, "fer2013_head", None) is None:
        raise UserError("these weights have no FER-2013 head (train one with `assistant train --fer2013-head`)")
    return Fer2013Head(model)


def add_fer2013_head(model: nn.Module, own_stages: int, start: nn.Module | None = None,
                     join: bool = False) -> Fer2013Head:
    """Give trained weights a FER-2013 head of ``own_stages`` last stages, or with ``join`` a peer
    beside the head they have, ready to train alone (see `Vgg48.add_fer2013_head`)."""
    if start is not None and not isinstance(start, Vgg48):
        raise UserError("--fer2013-head-from needs vgg48 weights")
    _change_vgg48(model, "--fer2013-head", lambda vgg: vgg.add_fer2013_head(own_stages, start, join))
    return Fer2013Head(model)


def freeze_stages(model: nn.Module, stages: int) -> None:
    """Fine-tune only what comes after the first ``stages`` stages (see `Vgg48.freeze_stages`)."""
    if stages:
        _change_vgg48(model, "--freeze", lambda vgg: vgg.freeze_stages(stages))


def _change_vgg48(model: nn.Module, flag: str, change: Callable[[Vgg48], None]) -> None:
    """Apply a training option that only vgg48 has; its refusals become one line naming the option."""
    if not isinstance(model, Vgg48):
        raise UserError(f"{flag} is for vgg48 weights only")
    try:
        change(model)
    except ValueError as error:
        raise UserError(f"{flag}: {error}") from None
