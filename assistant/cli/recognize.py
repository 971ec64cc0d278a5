"""Commands around the recognizer: train it, evaluate it, use it on photos."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from assistant.cli.output import err_console


def train(
    data: Path = typer.Option(..., "--data", help="FER-2013 folder (train/, test/) or fer2013.csv."),
    arch: str = typer.Option("vgg48", "--arch", help="vgg48 (compact, fast on CPU) or a torchvision backbone: resnet18, resnet34, resnet50."),
    epochs: int = typer.Option(70, "--epochs", min=1, help="Passes over the training set."),
    batch_size: int = typer.Option(128, "--batch-size", min=1, help="Faces per step (per process under torchrun)."),
    lr: float = typer.Option(0.1, "--lr", min=0.0, help="Peak learning rate of the warm-up + cosine schedule."),
    out: Path = typer.Option(Path("runs/train"), "--out", help="Folder for checkpoints, metrics.csv and best.safetensors."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Checkpoint (last.pt) to continue from."),
    seed: int = typer.Option(0, "--seed", help="Seed for shuffling, augmentation and initialisation."),
    workers: int = typer.Option(1, "--workers", min=0, help="Data-loading processes for augmentation."),
    pretrained: bool = typer.Option(False, "--pretrained", help="Start torchvision backbones from ImageNet weights (needs internet)."),
    val_split: str = typer.Option("PublicTest", "--val-split", help="Split that selects the best epoch."),
) -> None:
    """Train the emotion classifier; Ctrl-C saves a checkpoint to resume from.

    Runs on every process of `torchrun --nproc-per-node N --no-python assistant train ...`.
    """
    from training.train import TrainConfig, main

    config = TrainConfig(data=data, arch=arch, epochs=epochs, batch_size=batch_size, lr=lr, out=out, resume=resume,
                         seed=seed, workers=workers, pretrained=pretrained, val_split=val_split,
                         command=shlex.join(["assistant", *sys.argv[1:]]))
    summary = main(config, err_console)
    best = summary["best"]
    if best.get("val_acc") is not None:
        err_console.print(f"best {val_split} accuracy {best['val_acc']:.4f} at epoch {best['epoch']}; weights: {summary['weights']}")


def register(app: typer.Typer) -> None:
    app.command()(train)
