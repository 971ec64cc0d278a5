"""One network from several fine-tunes of one start, by averaging their weights ("model soup").

Fine-tunes of the same start that differ in seed or mix stay in one basin of the loss, so
the mean of their weights is a network that costs what each costs to run and usually reads
faces none of them was chosen on better than any of them (Wortsman et al., "Model soups",
ICML 2022); with the start itself among them, it keeps some of what fine-tuning gave up
(WiSE-FT, Wortsman et al., CVPR 2022). The alternative, running the networks side by side,
would multiply the live session's cost by their number.

A FER-2013 head reads the first stages of the product's network (see
`recognizer.models.vgg48`); it stays valid only if those stages are the same in every
network averaged (fine-tunes with `--freeze`), and is kept, with its peers and its figures,
from the first weights named. Every other figure belongs to the networks averaged, not to
their mean, so the new manifest has none: `assistant evaluate` measures and records them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from config.errors import UserError
from recognizer.models import HEAD_METRICS_SUFFIX
from recognizer.weights import load_weights, save_weights

FER2013_PARTS = ("fer2013_head.", "fer2013_peers.")


def average_weights(paths: list[Path], shares: list[float] | None, out: Path, command: str,
                    say: Callable[[str], Any] = print) -> dict[str, Any]:
    """Write the weighted mean of ``paths``' networks to ``out``; returns its manifest."""
    if len(paths) < 2:
        raise UserError("averaging needs two or more weights files")
    shares = shares or [1.0] * len(paths)
    if len(shares) != len(paths):
        raise UserError(f"{len(shares)} --share for {len(paths)} weights files: give one for each, in their order")
    if min(shares) < 0 or sum(shares) <= 0:
        raise UserError("--share takes weights of zero or more, not all zero")
    first, manifest = load_weights(paths[0])
    others = [load_weights(path, fer2013_peers=False) for path in paths[1:]]
    for path, (_, other) in zip(paths[1:], others, strict=True):
        if (other["arch"], _shape(other)) != (manifest["arch"], _shape(manifest)):
            raise UserError(f"{path} is not the same network as {paths[0]} ({other['arch']} {_shape(other)} against "
                            f"{manifest['arch']} {_shape(manifest)}): only one network's fine-tunes can be averaged")
    states = [first.state_dict(), *(model.state_dict() for model, _ in others)]
    same = {name for name, tensor in states[0].items()
            if all(name in state and torch.equal(tensor, state[name]) for state in states[1:])}
    config = dict(manifest["config"])
    head_reads = tuple(f"features.{index}." for index in range(len(first.fer2013_head_reads())))
    keeps_head = bool(config.get("fer2013_head_stages")) and all(
        name in same for name in states[0] if name.startswith(head_reads))
    if config.get("fer2013_head_stages") and not keeps_head:
        first.drop_fer2013_head()
        config.update(fer2013_head_stages=0, fer2013_peers=0)
        say(f"note: the FER-2013 head of {paths[0]} is dropped: the stages it reads differ between these weights")
    first.load_state_dict(_mean(list(first.state_dict()), states, shares, same))
    record = {"command": command,
              "averaged": [{"weights": str(path), "share": share, "sha256": m["sha256"], "training": m.get("training")}
                           for path, share, m in zip(paths, shares, [manifest, *(m for _, m in others)], strict=True)]}
    extra: dict[str, Any] = {"training": record, "metrics": {}}
    if keeps_head:
        extra["metrics"] = {key: value for key, value in manifest.get("metrics", {}).items()
                            if key.endswith(HEAD_METRICS_SUFFIX["fer2013"])}
        extra["fer2013_head_training"] = manifest.get("fer2013_head_training")
    return save_weights(first, manifest["arch"], config, out, **extra)


def _shape(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's network config without its FER-2013 parts, which averaging leaves aside."""
    return {key: value for key, value in manifest["config"].items()
            if key not in ("fer2013_head_stages", "fer2013_peers")}


def _mean(names: list[str], states: list[dict[str, torch.Tensor]], shares: list[float], same: set[str]
          ) -> dict[str, torch.Tensor]:
    """The weighted mean of each named floating tensor. A tensor equal in every state (frozen
    stages) is kept bit for bit, as are counters and the first state's FER-2013 head and peers
    (the others' heads, trained on other stages or not at all, do not belong to it)."""
    total = sum(shares)
    mean = {}
    for name in names:
        tensor = states[0][name]
        if name.startswith(FER2013_PARTS) or not tensor.is_floating_point() or name in same:
            mean[name] = tensor
        else:
            mean[name] = (sum(state[name].double() * share for state, share in zip(states, shares, strict=True))
                          / total).to(tensor.dtype)
    return mean
