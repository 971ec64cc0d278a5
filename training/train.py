"""Train the emotion classifier: reads top to bottom like torchvision's reference scripts.

`train_one_epoch` → `evaluate` → `load_data` → `main`. One checkpoint dict per epoch
(model, optimizer, scheduler, EMA, epoch, step, config) makes any run resumable; Ctrl-C
writes one mid-epoch and `--resume` picks up at the very batch it stopped at. The weights
that ship are the EMA weights of the epoch with the best validation accuracy.

The loss is cross-entropy against a distribution per face: FER+'s taggers' votes
(Barsoum's "probability" mode), or a one-hot majority label (``labels="majority"``, and
every single-label set). ``init`` starts from existing weights, to fine-tune a model
already trained on one label set on another; with ``fer2013_head`` only a new FER-2013
head is trained on them (see `recognizer.models.vgg48`), and everything the product's
output depends on stays bit for bit as it was.
"""

from __future__ import annotations

import csv
import json
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn
from torch.optim.swa_utils import AveragedModel

from config.errors import UserError
from recognizer.inference import batched_probabilities, bf16_by_default
from recognizer.models import HEAD_METRICS_SUFFIX, add_fer2013_head, build_model, freeze_stages
from recognizer.models.vgg48 import Fer2013Head
from recognizer.weights import load_weights, save_weights
from training.augment import BatchAugment, WebcamEffects
from training.config import TrainConfig
from training.datasets import FaceSet, load_split, one_hot
from training.distributed import DistInfo, all_reduce_sum, cleanup, init_distributed, resolve_device
from training.metrics import classification_report
from training.mix import MixedBatches, TrainingSource, class_mass, load_sources
from training.original_labels import original_labels


def mix_original(targets: np.ndarray, original: np.ndarray | None, original_weight: float) -> np.ndarray:
    """``targets`` with ``original`` (FER-2013 labels, -1 where unknown) mixed in at ``original_weight``."""
    if original is None or not original_weight:
        return targets
    known = original >= 0
    mixed = targets.copy()
    mixed[known] = (1.0 - original_weight) * targets[known] + original_weight * one_hot(original[known])
    return mixed


def apply_original_labels(config: TrainConfig, sources: list[TrainingSource]) -> np.ndarray | None:
    """Mix FER-2013's label of each FER+ training face (the first source) into its target,
    when ``config.original`` names FER-2013; return those labels for the log."""
    if config.original is None:
        return None
    first = sources[0]
    original = original_labels(first.faces, load_split(config.original, "train"))
    first.targets = mix_original(first.targets, original, config.original_weight)
    return original


def ema_update(decay: float):
    """EMA whose decay ramps up as (1 + n) / (10 + n): the average follows the fast early
    changes instead of dragging the random initialisation along for thousands of steps."""

    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], num_averaged: torch.Tensor) -> None:
        if not torch.is_floating_point(averaged[0]):  # batch norm's step counters
            torch._foreach_copy_(averaged, current)
            return
        n = float(num_averaged)
        torch._foreach_lerp_(averaged, current, 1.0 - min(decay, (1.0 + n) / (10.0 + n)))

    return update


def class_weights(counts: np.ndarray, power: float) -> torch.Tensor:
    """Per-class loss weights ∝ frequency ** -power, from (possibly fractional) class counts."""
    frequency = counts / counts.sum()
    weights = np.where(counts > 0, (1.0 / np.maximum(frequency, 1e-12)) ** power, 0.0)
    weights = weights / (weights * frequency).sum()  # keep the mean loss on the same scale
    return torch.tensor(weights, dtype=torch.float32)


def make_progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]:.3f} acc {task.fields[acc]:.3f}"),
                    TimeRemainingColumn(), console=console, transient=True)


@dataclass
class Optimization:
    """What a training step scores a batch with and what it moves: the loss (with the logit
    adjustment it trains under, if any), the optimizer, its schedule and the EMA of the weights."""

    criterion: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    ema: AveragedModel
    logit_offset: torch.Tensor | None = None


def train_one_epoch(model: nn.Module, steps: Optimization, loader: MixedBatches, *, epoch: int, config: TrainConfig,
                    info: DistInfo, progress: Progress | None, device: torch.device) -> dict[str, float]:
    """One pass over ``loader``: every batch is one optimizer step; the loss and accuracy are
    summed over every process."""
    criterion, optimizer, scheduler, ema, logit_offset = (steps.criterion, steps.optimizer, steps.scheduler,
                                                          steps.ema, steps.logit_offset)
    model.train()
    totals = torch.zeros(3, dtype=torch.float64)  # loss sum, correct, seen
    task = (progress.add_task(f"epoch {epoch + 1}/{config.epochs}", total=len(loader), loss=0.0, acc=0.0)
            if progress else None)
    for images, targets in loader:
        images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp):
            logits = model(images)
        logits = logits.float()
        loss = criterion(logits if logit_offset is None else logits + logit_offset, targets)
        labels = targets.argmax(1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        ema.update_parameters(model)
        totals += torch.tensor([loss.item() * len(labels), (logits.argmax(1) == labels).sum().item(), len(labels)],
                               dtype=torch.float64)
        if progress:
            progress.update(task, advance=1, loss=totals[0].item() / totals[2].item(),
                            acc=totals[1].item() / totals[2].item())
    if progress:
        progress.remove_task(task)
    totals = all_reduce_sum(totals, info, device)
    seen = max(totals[2].item(), 1.0)
    return {"train_loss": totals[0].item() / seen, "train_acc": totals[1].item() / seen}


def evaluate(model: nn.Module, faces: FaceSet, amp: bool, device: torch.device) -> dict[str, Any]:
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
        probabilities = batched_probabilities(model.eval(), faces.images, device=device)
    return classification_report(faces.labels, probabilities)


def validate(model: nn.Module, sources: list[TrainingSource], amp: bool, device: torch.device) -> dict[str, float]:
    """Each source's held-out accuracy and balanced recall, and the figure that selects the epoch:
    balanced recall averaged over the sources, so that neither a frequent class nor a large
    source decides alone. ``val_acc`` stays the first source's accuracy, comparable with single-set runs."""
    row: dict[str, float] = {}
    balanced = []
    for index, source in enumerate(sources):
        if source.held_out is None:
            continue
        report = evaluate(model, source.held_out, amp, device)
        if index == 0:
            row.update(val_acc=report["accuracy"], val_macro_f1=report["macro_f1"])
        if len(sources) > 1:
            row[f"{source.name}_acc"] = report["accuracy"]
            row[f"{source.name}_balanced"] = report["balanced_accuracy"]
        balanced.append(report["balanced_accuracy"])
    if balanced:
        row["val_balanced"] = float(np.mean(balanced))
    return row


def manifest_entries(config: TrainConfig, best: dict[str, Any], init_manifest: dict[str, Any],
                     sources: list[TrainingSource], head_from_training: dict[str, Any] | None) -> dict[str, Any]:
    """How the weights were trained and what they measured, for their manifest.

    A FER-2013 head changes nothing the product's output depends on, so those weights keep
    their own training record, figures and neutral reference, and the head's run is added
    beside them. Fine-tuning with the shared stages frozen keeps the init's FER-2013 head,
    and with it the head's own record and figures.
    """
    training = {"command": config.command, "epoch": best["epoch"], "epochs": config.epochs, "seed": config.seed,
                "data": ", ".join(str(path) for path in config.data), "labels": config.labels,
                "original_weight": config.original_weight if config.original else None,
                "webcam": config.webcam, "init": str(config.init) if config.init else None,
                "logit_adjust": config.logit_adjust, "freeze": config.freeze,
                "fer2013_head_from": str(config.fer2013_head_from) if config.fer2013_head_from else None,
                "sources": [source.record() for source in sources]}
    validated = best.get("val_acc") is not None
    figures = {k: best[k] for k in ("val_acc", "val_macro_f1", "val_balanced") if best.get(k) is not None}
    if not config.fer2013_head:
        entries: dict[str, Any] = {"training": training, "metrics": {config.val_split: figures} if validated else {}}
        if init_manifest.get("config", {}).get("fer2013_head_stages") and kept_fer2013_head(config, init_manifest):
            head_metrics = {key: value for key, value in init_manifest.get("metrics", {}).items()
                            if key.endswith(HEAD_METRICS_SUFFIX["fer2013"])}
            entries["metrics"].update(head_metrics)
            entries["fer2013_head_training"] = init_manifest.get("fer2013_head_training")
        return entries
    kept = {key: init_manifest[key] for key in ("training", "neutral_reference") if key in init_manifest}
    # The product head's figures stay; the init's FER-2013 output is replaced or joined, so its figures go.
    metrics = {key: value for key, value in init_manifest.get("metrics", {}).items()
               if not key.endswith(HEAD_METRICS_SUFFIX["fer2013"])}
    if validated:
        metrics[config.val_split + HEAD_METRICS_SUFFIX["fer2013"]] = figures
    head_training = {**training, "own_stages": config.fer2013_head}
    if config.fer2013_head_from:
        head_training["from_training"] = head_from_training
    if config.fer2013_join and init_manifest.get("fer2013_head_training"):
        head_training["beside"] = init_manifest["fer2013_head_training"]
    return {**kept, "fer2013_head_training": head_training, "metrics": metrics}


def kept_fer2013_head(config: TrainConfig, init_manifest: dict[str, Any]) -> bool:
    """Whether fine-tuning leaves every stage the init's FER-2013 head reads as it was."""
    model_config = init_manifest.get("config", {})
    own = model_config.get("fer2013_head_stages", 0)
    return bool(own) and config.freeze >= len(model_config.get("widths", ())) - own


def whole_model(module: nn.Module) -> nn.Module:
    """The model that is saved: a FER-2013 head is saved with the model it belongs to."""
    return module.model if isinstance(module, Fer2013Head) else module


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # an interrupted write never clobbers the previous checkpoint


def build_training_model(config: TrainConfig, say
                         ) -> tuple[nn.Module, dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The model to train (the init weights, or a new network), its config dict, the init's
    manifest, and how the network a FER-2013 head starts from was trained (``--fer2013-head-from``)."""
    if config.fer2013_head and not config.init:
        raise UserError("--fer2013-head adds a head to trained weights: name them with --init")
    if config.fer2013_head_from and not config.fer2013_head:
        raise UserError("--fer2013-head-from starts a FER-2013 head: say how many stages it owns with --fer2013-head")
    if config.fer2013_join and not config.fer2013_head:
        raise UserError("--fer2013-join adds a FER-2013 head: say how many stages it owns with --fer2013-head")
    if not config.epochs and not config.fer2013_head_from:
        raise UserError("--epochs 0 takes a FER-2013 head as it is: name it with --fer2013-head-from")
    init_manifest: dict[str, Any] = {}
    if config.init:
        model, init_manifest = load_weights(config.init)
        config.arch, model_config = init_manifest["arch"], init_manifest["config"]
        say(f"starting from {config.init} ({config.arch})")
    else:
        model, model_config = build_model(config.arch, pretrained=config.pretrained)
    if config.fer2013_head:
        start, start_manifest = load_weights(config.fer2013_head_from) if config.fer2013_head_from else (None, {})
        model = add_fer2013_head(model, config.fer2013_head, start, config.fer2013_join)  # checks start is vgg48
        head_from_training = start_manifest.get(
            "fer2013_head_training" if start is not None and start.fer2013_head_is_whole else "training")
        model_config = {**model_config, "fer2013_head_stages": model.model.config.fer2013_head_stages,
                        "fer2013_peers": model.model.config.fer2013_peers}
        say(f"training only a FER-2013 head of the last {config.fer2013_head} stage(s)"
            + (f", starting from those of {config.fer2013_head_from}" if start is not None else "") + "; "
            "the product's output is kept as it is")
        return model, model_config, init_manifest, head_from_training
    freeze_stages(model, config.freeze)
    if model_config.get("fer2013_head_stages") and not kept_fer2013_head(config, init_manifest):
        model.drop_fer2013_head()
        model_config = {**model_config, "fer2013_head_stages": 0, "fer2013_peers": 0}
        say(f"note: the FER-2013 head of {config.init} is dropped: it reads stages this run changes "
            f"(--freeze {len(model_config['widths']) - init_manifest['config']['fer2013_head_stages']} keeps it)")
    return model, model_config, init_manifest, None


def build_optimization(config: TrainConfig, model: nn.Module, steps_per_epoch: int):
    """SGD with Nesterov momentum; a linear warm-up, then cosine decay to zero, stepped every batch."""
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                                momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True)
    warmup = max(1, config.warmup_epochs * steps_per_epoch)
    total = max(warmup + 1, config.epochs * steps_per_epoch)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup),
    ], milestones=[warmup])
    return optimizer, scheduler


def describe_data(config: TrainConfig, sources: list[TrainingSource], original: np.ndarray | None) -> str:
    first = sources[0]
    if len(sources) == 1:
        text = (f"train: {len(first.faces)} faces ({first.faces.skipped} unreadable skipped"
                + (f", {first.faces.left_out} with no clear emotion left out" if first.faces.left_out else "") + ")"
                + (f", {config.val_split}: {len(first.held_out)}" if first.held_out is not None else ""))
    else:
        text = "\n".join(f"source {source.describe()}" for source in sources)
    return (text + f"\nlabels: {config.labels}"
            + (f" + FER-2013 labels at {config.original_weight:g} ({int((original >= 0).sum())} faces matched)"
               if original is not None else ""))


def main(config: TrainConfig, console: Console | None = None) -> dict[str, Any]:
    """Train; return the summary that also lands in ``OUT/summary.json``."""
    effects = WebcamEffects.parse(config.webcam)  # a typo fails before minutes of data loading
    device = resolve_device(config.device)
    config.amp = (device.type == "cuda" or bf16_by_default()) if config.amp is None else config.amp
    info = init_distributed(device)
    console = console or Console(stderr=True)
    say = console.print if info.is_main else (lambda *a, **k: None)
    torch.manual_seed(config.seed + info.rank)
    np.random.seed(config.seed + info.rank)
    torch.set_num_threads(max(1, torch.get_num_threads() // info.world_size))
    out = Path(config.out)
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)

    sources = load_sources(config.data, config.shares, config.labels, config.val_split, config.held_out_fraction)
    original = apply_original_labels(config, sources)
    validated = any(source.held_out is not None for source in sources)
    if not validated and info.is_main:
        print(f"note: no validation split ({config.val_split}); the last epoch's weights are kept", file=sys.stderr)
    say(describe_data(config, sources, original)
        + f"; webcam effects: {effects.describe()}; device: {device}; bf16: {'on' if config.amp else 'off'}"
        + (f"; logit adjustment τ={config.logit_adjust:g}" if config.logit_adjust else "")
        + f"; processes: {info.world_size}")

    model, model_config, init_manifest, head_from_training = build_training_model(config, say)
    model = model.to(device=device, memory_format=torch.channels_last)
    ema = AveragedModel(model, multi_avg_fn=ema_update(config.ema_decay), use_buffers=True)
    device_ids = [device.index] if device.type == "cuda" else None
    train_model = nn.parallel.DistributedDataParallel(model, device_ids=device_ids) if info.enabled else model

    augment = BatchAugment(effects, torch.Generator(device).manual_seed(config.seed + info.rank))
    loader = MixedBatches(sources, config.batch_size, config.seed, info, augment, device)
    mass = class_mass(sources)
    criterion = nn.CrossEntropyLoss(weight=class_weights(mass, config.class_weight_power).to(device),
                                    label_smoothing=config.label_smoothing)
    logit_offset = ((config.logit_adjust * torch.log(torch.tensor(mass, dtype=torch.float32).clamp_min(1e-4)))
                    .to(device) if config.logit_adjust else None)
    optimizer, scheduler = build_optimization(config, model, loader.steps_per_epoch)
    steps = Optimization(criterion, optimizer, scheduler, ema, logit_offset)

    start_epoch, skip_batches, best = 0, 0, {"val_acc": None, "val_balanced": -1.0, "epoch": None}
    if config.resume:
        try:
            checkpoint = torch.load(config.resume, map_location=device, weights_only=True)
            model.load_state_dict(checkpoint["model"])
            ema.load_state_dict(checkpoint["ema"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            scheduler.load_state_dict(checkpoint["scheduler"])
        except (OSError, RuntimeError, KeyError, EOFError, ValueError, pickle.UnpicklingError) as error:
            raise UserError(f"cannot resume from {config.resume}: {str(error).splitlines()[0]}") from None
        start_epoch, skip_batches, best = checkpoint["epoch"], checkpoint["step"], checkpoint["best"]
        say(f"resumed from {config.resume} at epoch {start_epoch + 1}, batch {skip_batches + 1}")

    def checkpoint_state(epoch: int, step: int) -> dict[str, Any]:
        return {"model": model.state_dict(), "ema": ema.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch, "step": step, "best": best,
                "config": config.to_dict(), "arch": config.arch, "model_config": model_config}

    metrics_path = out / "metrics.csv"

    def conclude(row: dict[str, Any], epoch: int, started: float) -> None:
        """Measure the EMA weights, keep them when they are the best so far, and log the epoch."""
        nonlocal best
        if validated:
            row.update(validate(ema.module, sources, config.amp, device))
        row["seconds"] = round(time.monotonic() - started, 1)
        improved = not validated or row["val_balanced"] > best["val_balanced"]
        if improved:
            best = {"val_acc": row.get("val_acc"), "val_macro_f1": row.get("val_macro_f1"),
                    "val_balanced": row.get("val_balanced", -1.0), "epoch": epoch}
            save_weights(whole_model(ema.module), config.arch, model_config, out / "best.safetensors",
                         **manifest_entries(config, best, init_manifest, sources, head_from_training))
        _append_metrics(metrics_path, row)
        say(" ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
            + (" *" if improved else ""))

    progress = make_progress(console) if info.is_main else None
    epoch = start_epoch
    try:
        if progress:
            progress.start()
        for epoch in range(start_epoch, config.epochs):
            started = time.monotonic()
            loader.set_epoch(epoch, skip_batches if epoch == start_epoch else 0)
            row: dict[str, Any] = {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"]}
            row.update(train_one_epoch(train_model, steps, loader, epoch=epoch, config=config, info=info,
                                       progress=progress, device=device))
            if info.is_main:
                conclude(row, epoch + 1, started)
                save_checkpoint(out / "last.pt", checkpoint_state(epoch + 1, 0))
        if not config.epochs and info.is_main:  # a FER-2013 head taken as it is: measured and kept
            conclude({"epoch": 0}, 0, time.monotonic())
    except KeyboardInterrupt:
        if progress:
            progress.stop()
        if info.is_main:
            done = max(0, scheduler.last_epoch - epoch * loader.steps_per_epoch)
            # Stopped after the epoch's last step (while validating): resume with the next one.
            state = checkpoint_state(epoch + 1, 0) if done >= loader.steps_per_epoch else checkpoint_state(epoch, done)
            save_checkpoint(out / "last.pt", state)
        raise UserError(f"interrupted: checkpoint saved; continue with --resume {out / 'last.pt'}") from None
    finally:
        if progress:
            progress.stop()
        cleanup(info)
    summary = {"best": best, "weights": str(out / "best.safetensors"), "metrics": str(metrics_path),
               "config": config.to_dict()}
    if info.is_main:
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _append_metrics(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
