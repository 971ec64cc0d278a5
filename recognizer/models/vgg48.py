"""A compact VGG-style CNN for 48x48 grayscale faces.

Why this shape: on FER-2013 the best *single* CNNs trained without extra data are plain
VGG-style stacks with batch norm (Khaireddin & Chen 2021, 73.28%). Depth matters more
than width at 48x48, so this keeps four stages of two 3x3 convolutions but narrows the
channels so the whole net stays near 0.3 GMAC, which is what lets it train in under two
hours on two CPU cores and answer a single face in about a millisecond.

FER-2013's own labels and FER+'s taggers disagree on a third of the faces (a resting face
that FER-2013 calls sad, FER+ calls neutral), so no one output can score well on both.
The product's output learns FER+; an optional second head (``fer2013_head_stages`` > 0)
reads the same shared early stages as a FER-2013 annotator would, with its own copy of
the last stages, as annotation-specific heads do for inconsistently labelled sets (Zeng
et al., "Facial Expression Recognition with Inconsistently Annotated Datasets", ECCV
2018). Whole networks of their own may join it (``fer2013_peers``): the FER-2013 output
is then the mean of their probabilities, because on FER-2013 averaged networks beat any
one of this size. The live session never runs them; they make the FER-2013 benchmark
comparable.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import torch
from torch import nn


@dataclass(frozen=True)
class Vgg48Config:
    # Output channels of the four stages; each stage halves the resolution (48→24→12→6→3).
    widths: tuple[int, ...] = (32, 64, 128, 256)
    # Convolutions per stage. Extra depth is cheap at the low-resolution stages.
    depths: tuple[int, ...] = (2, 2, 3, 3)
    # Dropout before the classifier; FER-2013 overfits fast without it.
    dropout: float = 0.4
    in_channels: int = 1
    num_classes: int = 7
    # Final stages the FER-2013 head has of its own (0: no FER-2013 head).
    fer2013_head_stages: int = 0
    # Whole networks beside that head whose FER-2013 probabilities are averaged with its own.
    fer2013_peers: int = 0


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class Vgg48(nn.Module):
    def __init__(self, config: Vgg48Config) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        cin = config.in_channels
        for width, depth in zip(config.widths, config.depths, strict=True):
            for _ in range(depth):
                layers += _conv_bn_relu(cin, width)
                cin = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(config.dropout),
            nn.Linear(cin, config.num_classes),
        )
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        self.fer2013_head = self._branch(config.fer2013_head_stages) if config.fer2013_head_stages else None
        self.fer2013_peers = nn.ModuleList(self._branch(len(config.widths)) for _ in range(config.fer2013_peers))
        self.frozen_layers = 0

    def train(self, mode: bool = True) -> Vgg48:
        super().train(mode)
        self.features[:self.frozen_layers].eval()
        return self

    def freeze_stages(self, stages: int) -> None:
        """Keep the first ``stages`` stages as they are while the rest trains: no gradients, and
        batch norm's running statistics untouched (those layers stay in eval mode)."""
        if not 0 <= stages < len(self.config.widths):
            raise ValueError(f"0 to {len(self.config.widths) - 1} stages can be frozen, not {stages}")
        self.frozen_layers = self._shared_layers(len(self.config.widths) - stages) if stages else 0
        for parameter in self.features[:self.frozen_layers].parameters():
            parameter.requires_grad_(False)

    def drop_fer2013_head(self) -> None:
        self.fer2013_head, self.fer2013_peers = None, nn.ModuleList()
        self.config = replace(self.config, fer2013_head_stages=0, fer2013_peers=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def _shared_layers(self, own_stages: int) -> int:
        """How many layers of ``features`` come before the last ``own_stages`` stages."""
        if not 0 < own_stages <= len(self.config.widths):
            raise ValueError(f"a head can own 1 to {len(self.config.widths)} stages, not {own_stages}")
        pools = [index for index, layer in enumerate(self.features) if isinstance(layer, nn.MaxPool2d)]
        return 0 if own_stages == len(pools) else pools[-own_stages - 1] + 1

    def _branch(self, own_stages: int) -> nn.Sequential:
        return copy.deepcopy(nn.Sequential(*self.features[self._shared_layers(own_stages):], *self.head))

    def add_fer2013_head(self, own_stages: int, start: Vgg48 | None = None, join: bool = False) -> None:
        """Give the model a FER-2013 head that starts as a copy of the last stages and head of
        ``start``'s FER-2013 network (`fer2013_network`): by default its own network, or one
        already trained on FER-2013's labels, which then only has to learn this model's inputs.
        ``join`` keeps the FER-2013 head the model has and adds the new one, a whole network,
        as a peer."""
        start = start or self
        if (start.config.widths, start.config.depths, start.config.in_channels, start.config.num_classes) != (
                self.config.widths, self.config.depths, self.config.in_channels, self.config.num_classes):
            raise ValueError("the head's starting weights must have the same stages and classes as the model")
        layers = list(start.fer2013_network())
        own_layers = len(self.features) - self._shared_layers(own_stages) + len(self.head)
        new = copy.deepcopy(nn.Sequential(*layers[-own_layers:]))
        if join and self.fer2013_head is not None:
            if own_stages != len(self.config.widths):
                raise ValueError(f"a peer beside the head is a whole network: it owns all "
                                 f"{len(self.config.widths)} stages, not {own_stages}")
            self.fer2013_peers.append(new)
            self.config = replace(self.config, fer2013_peers=len(self.fer2013_peers))
        else:
            self.fer2013_head, self.fer2013_peers = new, nn.ModuleList()
            self.config = replace(self.config, fer2013_head_stages=own_stages, fer2013_peers=0)

    @property
    def fer2013_head_is_whole(self) -> bool:
        """Whether the FER-2013 head owns every stage, and so is a network of its own."""
        return self.fer2013_head is not None and self.config.fer2013_head_stages == len(self.config.widths)

    def fer2013_network(self) -> nn.Sequential:
        """The layers that read a face as FER-2013's annotators would on their own: a FER-2013
        head owning every stage, or else the model's own network (weights trained on FER-2013)."""
        if self.fer2013_head_is_whole:
            if len(self.fer2013_peers):
                raise ValueError("its FER-2013 output averages several networks: start from one of them")
            return self.fer2013_head
        return nn.Sequential(*self.features, *self.head)

    def fer2013_head_reads(self) -> nn.Sequential:
        """The product's first layers, whose output the FER-2013 head reads: the head stays
        valid only while they stay as they are."""
        if self.fer2013_head is None:
            raise ValueError("this model has no FER-2013 head")
        return self.features[:self._shared_layers(self.config.fer2013_head_stages)]

    def forward_fer2013(self, x: torch.Tensor) -> torch.Tensor:
        """Logits as FER-2013's annotators would label the face (see the module docstring): with
        peers, the log of the mean of every network's probabilities, which softmax turns back
        into that mean."""
        logits = self.fer2013_head(self.fer2013_head_reads()(x))
        if not len(self.fer2013_peers):
            return logits
        readings = [logits.softmax(1), *(peer(x).softmax(1) for peer in self.fer2013_peers)]
        return torch.stack(readings).mean(0).log()


class Fer2013Head(nn.Module):
    """A model's FER-2013 output as a module of its own, to train, evaluate or trace it.

    Training changes only its newest network (``trained``: the last peer, or else the head),
    which alone answers in training mode; in eval mode the module answers with the whole
    FER-2013 output, so the epoch kept is the one whose joined output is best. The product's
    output stays exactly as it was: every other parameter has its gradient switched off and
    stays in eval mode, so batch norm statistics do not move either.
    """

    def __init__(self, model: Vgg48) -> None:
        super().__init__()
        if model.fer2013_head is None:
            raise ValueError("this model has no FER-2013 head")
        self.model = model
        trained = f"fer2013_peers.{len(model.fer2013_peers) - 1}." if len(model.fer2013_peers) else "fer2013_head."
        for name, parameter in model.named_parameters():
            parameter.requires_grad_(name.startswith(trained))

    @property
    def trained(self) -> nn.Module:
        return self.model.fer2013_peers[-1] if len(self.model.fer2013_peers) else self.model.fer2013_head

    def train(self, mode: bool = True) -> Fer2013Head:
        super().train(mode)
        self.model.eval()
        self.trained.train(mode)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and len(self.model.fer2013_peers):
            return self.trained(x)
        return self.model.forward_fer2013(x)
