"""`assistant train`: train the emotion classifier, on this machine's CPUs, a GPU or under torchrun.

Every default is `training.config.TrainConfig`'s, so the command line and the library
cannot drift apart; torch is imported only once the command runs.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from assistant.cli.output import err_console
from training.config import TrainConfig, default


def train(
    data: list[Path] = typer.Option(..., "--data",
                                    help="A dataset to train on; give it several times to mix sets in every batch. "
                                         "FER-2013 folder (train/, test/) or fer2013.csv; FER+ folder "
                                         "(FER2013Train/...) or fer2013new.csv; a folder per class (CK+, SFEW) whose "
                                         "file names say the person or film."),
    share: Optional[list[float]] = typer.Option(None, "--share",
                                                help="Each --data's share of a batch, in the same order (default: in "
                                                     "proportion to their sizes)."),
    held_out: float = typer.Option(default("held_out_fraction"), "--held-out", min=0.05, max=0.5,
                                   help="Fraction of a folder-per-class set held out by person or film to judge it "
                                        "(sets with their own splits use --val-split)."),
    arch: str = typer.Option(default("arch"), "--arch", help="vgg48 (compact, fast on CPU) or a torchvision backbone: "
                                                             "resnet18, resnet34, resnet50."),
    epochs: int = typer.Option(default("epochs"), "--epochs", min=0,
                               help="Passes over the first --data's training faces (0: only measure and keep the "
                                    "head --fer2013-head-from gives, as it is)."),
    batch_size: int = typer.Option(default("batch_size"), "--batch-size", min=1,
                                   help="Faces per step (per process under torchrun)."),
    lr: float = typer.Option(default("lr"), "--lr", min=0.0,
                             help="Peak learning rate of the warm-up + cosine schedule."),
    warmup_epochs: int = typer.Option(default("warmup_epochs"), "--warmup-epochs", min=0,
                                      help="Epochs of linear warm-up before the cosine decay."),
    out: Path = typer.Option(default("out"), "--out", help="Folder for checkpoints, metrics.csv and best.safetensors."),
    resume: Optional[Path] = typer.Option(default("resume"), "--resume", help="Checkpoint (last.pt) to continue from."),
    seed: int = typer.Option(default("seed"), "--seed", help="Seed for shuffling, augmentation and initialisation."),
    webcam: str = typer.Option(default("webcam"), "--webcam", help="Webcam effects to simulate, comma-separated: "
                                                                   "blur, noise, dark, jpeg; all or none."),
    pretrained: bool = typer.Option(default("pretrained"), "--pretrained",
                                    help="Start torchvision backbones from ImageNet weights (needs internet)."),
    val_split: str = typer.Option(default("val_split"), "--val-split",
                                  help="Split that judges sets with splits of their own (FER-2013, FER+)."),
    labels: str = typer.Option(default("labels"), "--labels", help="FER+: learn each face's vote distribution (votes) "
                                                                   "or its majority label (majority)."),
    logit_adjust: float = typer.Option(default("logit_adjust"), "--logit-adjust", min=0.0, metavar="TAU",
                                       help="Train on logits + TAU·log(class prior) so no class wins for being "
                                            "frequent (0: off)."),
    original: Optional[Path] = typer.Option(default("original"), "--original",
                                            help="FER+ first: FER-2013 (folders or CSV) whose original labels join "
                                                 "the votes."),
    original_weight: float = typer.Option(default("original_weight"), "--original-weight", min=0.0, max=1.0,
                                          help="Share of the target given to the original label (with --original)."),
    init: Optional[Path] = typer.Option(default("init"), "--init", help="Start from these weights (fine-tuning) "
                                                                        "instead of a random initialisation."),
    freeze: int = typer.Option(default("freeze"), "--freeze", min=0, metavar="STAGES",
                               help="With --init: keep the first STAGES stages as they are (a FER-2013 head reading "
                                    "only those stays valid)."),
    fer2013_head: int = typer.Option(default("fer2013_head"), "--fer2013-head", min=0, metavar="STAGES",
                                     help="With --init and FER-2013 data: train only a second head, owning the last "
                                          "STAGES stages, that labels faces as FER-2013 did (for that benchmark; the "
                                          "product's output is kept as it is)."),
    fer2013_head_from: Optional[Path] = typer.Option(default("fer2013_head_from"), "--fer2013-head-from",
                                                     metavar="WEIGHTS",
                                                     help="With --fer2013-head: start that head from these vgg48 "
                                                          "weights' last stages (a network trained on FER-2013) "
                                                          "instead of a copy of --init's."),
    fer2013_join: bool = typer.Option(default("fer2013_join"), "--fer2013-join",
                                      help="With --fer2013-head: keep --init's FER-2013 head and add the new one, a "
                                           "whole network, beside it; the FER-2013 output averages them."),
    device: str = typer.Option(default("device"), "--device",
                               help="cuda when a GPU is visible, else cpu; or name one."),
) -> None:
    """Train the emotion classifier; Ctrl-C saves a checkpoint to resume from.

    Runs on every process of `torchrun --nproc-per-node N --no-python assistant train ...`.
    """
    from training.train import main

    config = TrainConfig(data=data, shares=share or None, held_out_fraction=held_out, arch=arch, epochs=epochs,
                         batch_size=batch_size, lr=lr, warmup_epochs=warmup_epochs, out=out, resume=resume, seed=seed,
                         webcam=webcam, pretrained=pretrained, val_split=val_split, labels=labels,
                         logit_adjust=logit_adjust, original=original, original_weight=original_weight, init=init,
                         freeze=freeze, fer2013_head=fer2013_head, fer2013_head_from=fer2013_head_from,
                         fer2013_join=fer2013_join, device=device,
                         command=shlex.join(["assistant", *sys.argv[1:]]))
    summary = main(config, err_console)
    best = summary["best"]
    if best.get("val_balanced") is not None and best["val_balanced"] >= 0:
        err_console.print(f"best epoch {best['epoch']}: balanced recall over the held-out faces "
                          f"{best['val_balanced']:.4f}"
                          + (f", {val_split} accuracy {best['val_acc']:.4f}" if best.get("val_acc") is not None else "")
                          + f"; weights: {summary['weights']}")
