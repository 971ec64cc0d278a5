"""Commands around the recognizer: train it, evaluate it, use it on photos.

torch, OpenCV and mediapipe are imported inside the commands that need them, so that
`assistant history` or `--help` do not pay seconds of start-up for them.
"""

from __future__ import annotations

import shlex
import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from assistant.cli import options, state
from assistant.cli.output import console, err_console, print_error, print_json, print_note
from config.errors import UserError
from config.settings import Settings

if TYPE_CHECKING:
    from recognizer.calibration import Calibrator
    from recognizer.pipeline import EmotionPipeline


def train(
    data: list[Path] = typer.Option(..., "--data", help="A dataset to train on; give it several times to mix sets in every batch. FER-2013 folder (train/, test/) or fer2013.csv; FER+ folder (FER2013Train/...) or fer2013new.csv; a folder per class (CK+, SFEW) whose file names say the person or film."),
    share: Optional[list[float]] = typer.Option(None, "--share", help="Each --data's share of a batch, in the same order (default: in proportion to their sizes)."),
    held_out: float = typer.Option(0.2, "--held-out", min=0.05, max=0.5, help="Fraction of a folder-per-class set held out by person or film to judge it (sets with their own splits use --val-split)."),
    arch: str = typer.Option("vgg48", "--arch", help="vgg48 (compact, fast on CPU) or a torchvision backbone: resnet18, resnet34, resnet50."),
    epochs: int = typer.Option(70, "--epochs", min=1, help="Passes over the first --data's training faces."),
    batch_size: int = typer.Option(128, "--batch-size", min=1, help="Faces per step (per process under torchrun)."),
    lr: float = typer.Option(0.1, "--lr", min=0.0, help="Peak learning rate of the warm-up + cosine schedule."),
    warmup_epochs: int = typer.Option(2, "--warmup-epochs", min=0, help="Epochs of linear warm-up before the cosine decay."),
    out: Path = typer.Option(Path("runs/train"), "--out", help="Folder for checkpoints, metrics.csv and best.safetensors."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Checkpoint (last.pt) to continue from."),
    seed: int = typer.Option(0, "--seed", help="Seed for shuffling, augmentation and initialisation."),
    webcam: str = typer.Option("none", "--webcam", help="Webcam effects to simulate, comma-separated: blur, noise, dark, jpeg; all or none."),
    pretrained: bool = typer.Option(False, "--pretrained", help="Start torchvision backbones from ImageNet weights (needs internet)."),
    val_split: str = typer.Option("PublicTest", "--val-split", help="Split that judges sets with splits of their own (FER-2013, FER+)."),
    labels: str = typer.Option("votes", "--labels", help="FER+: learn each face's vote distribution (votes) or its majority label (majority)."),
    logit_adjust: float = typer.Option(0.0, "--logit-adjust", min=0.0, metavar="TAU", help="Train on logits + TAU·log(class prior) so no class wins for being frequent (0: off)."),
    original: Optional[Path] = typer.Option(None, "--original", help="FER+ first: FER-2013 (folders or CSV) whose original labels join the votes."),
    original_weight: float = typer.Option(0.3, "--original-weight", min=0.0, max=1.0, help="Share of the target given to the original label (with --original)."),
    init: Optional[Path] = typer.Option(None, "--init", help="Start from these weights (fine-tuning) instead of a random initialisation."),
    freeze: int = typer.Option(0, "--freeze", min=0, metavar="STAGES", help="With --init: keep the first STAGES stages as they are (a FER-2013 head reading only those stays valid)."),
    fer2013_head: int = typer.Option(0, "--fer2013-head", min=0, metavar="STAGES", help="With --init and FER-2013 data: train only a second head, owning the last STAGES stages, that labels faces as FER-2013 did (for that benchmark; the product's output is kept as it is)."),
    device: str = typer.Option("auto", "--device", help="cuda when a GPU is visible, else cpu; or name one."),
) -> None:
    """Train the emotion classifier; Ctrl-C saves a checkpoint to resume from.

    Runs on every process of `torchrun --nproc-per-node N --no-python assistant train ...`.
    """
    from training.train import TrainConfig, main

    config = TrainConfig(data=data, shares=share or None, held_out_fraction=held_out, arch=arch, epochs=epochs,
                         batch_size=batch_size, lr=lr, warmup_epochs=warmup_epochs, out=out, resume=resume, seed=seed,
                         webcam=webcam, pretrained=pretrained, val_split=val_split, labels=labels,
                         logit_adjust=logit_adjust, original=original, original_weight=original_weight, init=init,
                         freeze=freeze, fer2013_head=fer2013_head, device=device,
                         command=shlex.join(["assistant", *sys.argv[1:]]))
    summary = main(config, err_console)
    best = summary["best"]
    if best.get("val_balanced") is not None and best["val_balanced"] >= 0:
        err_console.print(f"best epoch {best['epoch']}: balanced recall over the held-out faces {best['val_balanced']:.4f}"
                          + (f", {val_split} accuracy {best['val_acc']:.4f}" if best.get("val_acc") is not None else "")
                          + f"; weights: {summary['weights']}")


def predict(
    images: list[Path] = typer.Argument(..., help="Photos to analyse (JPEG, PNG, ...)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    tta: Optional[bool] = typer.Option(None, "--tta/--no-tta", help="Average with the mirrored face (default: the recognizer.tta setting)."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    profile: Optional[str] = options.profile_option("Correct every face for this person's resting face "
                                                    "(`assistant calibrate --profile NAME`)."),
    db: Optional[Path] = options.db_option(),
) -> None:
    """Every face in each photo with its box, emotion, confidence and all 7 probabilities."""
    from assistant.components import build_pipeline
    from assistant.ui.recognition import render_predictions

    settings = state.settings()
    calibration = _profile_calibration(settings, weights, profile, db)
    pipeline = build_pipeline(settings, video=False, weights=weights, tta=tta, calibration=calibration)
    with closing(pipeline):
        results, failed = _predict_each(pipeline, images)
    if as_json:
        print_json(results)
    else:
        render_predictions(console, results)
    if failed:
        raise typer.Exit(1)


def _profile_calibration(settings: Settings, weights: Path | None, profile: str | None,
                         db: Path | None) -> Calibrator | None:
    """--profile's correction for these weights (None without one); a profile from other weights is
    ignored with a note, a missing one is refused before any model loads."""
    if profile is None:
        return None
    from assistant.calibration import profile_calibration
    from assistant.components import weights_file
    from assistant.storage.database import db_path
    from assistant.storage.profiles import check_name
    from recognizer.weights import read_manifest

    calibration, ignored = profile_calibration(db_path(db), check_name(profile),
                                               read_manifest(weights_file(settings, weights)), required=True)
    if ignored is not None:
        print_note(ignored)
    return calibration


def _predict_each(pipeline: EmotionPipeline, images: list[Path]) -> tuple[list[dict], int]:
    """Each image's faces, or its error; and how many images could not be read."""
    import cv2

    results, failed = [], 0
    for path in images:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
        if image is None:
            failed += 1
            reason = "does not exist" if not path.exists() else "is not a readable image"
            print_error(f"{path} {reason}")
            results.append({"image": str(path), "error": reason})
            continue
        results.append({"image": str(path), "faces": [r.to_dict() for r in pipeline.analyze(image)]})
    return results, failed


def evaluate(
    data: Path = typer.Option(..., "--data", help="FER-2013 folder or CSV, or any folder with one sub-folder per emotion."),
    split: str = typer.Option("test", "--split", help="test, PublicTest or PrivateTest (FER-2013, FER+); for a folder per class (CK+, SFEW): test (every face) or held-out (the people or films `assistant train` holds out)."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    detect: bool = typer.Option(False, "--detect", help="Find and crop each face with the photo detector (detector.photo_model), as `predict` does."),
    live: bool = typer.Option(False, "--live", help="With --detect: see faces exactly as the live session does (detector.video_model, the recognizer.tta setting)."),
    tta: Optional[bool] = typer.Option(None, "--tta/--no-tta", help="Average each face with its mirror image (default: on; with --live, the recognizer.tta setting)."),
    report_dir: Optional[Path] = typer.Option(None, "--report-dir", help="Write confusion-matrix (and training-curve) PNGs here."),
    metrics_log: Optional[Path] = typer.Option(None, "--metrics-log", help="metrics.csv of a training run, plotted into --report-dir."),
    record: bool = typer.Option(False, "--record", help="Write accuracy and macro-F1 into the manifest of --weights, under DATASET/SPLIT (how shipped weights get their figures)."),
    record_reference: bool = typer.Option(False, "--record-reference", help="Also write the model's mean output on the faces labelled neutral into the manifest of --weights: the typical neutral face calibration aims for (use the split that selected the weights)."),
    head: str = typer.Option("product", "--head", help="product (what the assistant uses) or fer2013: the weights' second head, which labels faces as FER-2013's annotators did, for comparing on that benchmark."),
    profile: Optional[str] = options.profile_option("With --detect: correct every face for this person's resting face (`assistant calibrate --profile NAME`)."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1/ROC-AUC and the confusion matrix."""
    from assistant.components import build_pipeline, detector_model, load_classifier
    from assistant.ui.recognition import render_evaluation
    from recognizer.models import HEAD_METRICS_SUFFIX
    from recognizer.weights import record_metrics, record_neutral_reference
    from training.datasets import check_split
    from training.evaluate import evaluate_aligned, evaluate_detected, measure_neutral_reference

    check_split(split)
    if (record or record_reference) and weights is None:
        flag = "--record" if record else "--record-reference"
        raise UserError(f"{flag} needs --weights: the bundled weights' manifest is not rewritten in place")
    if live and not detect:
        raise UserError("--live needs --detect: it chooses how faces are found and cropped")
    if record_reference and detect:
        raise UserError("--record-reference takes aligned faces (no --detect): the reference is the model's own view of neutral faces")
    if profile is not None and not detect:
        raise UserError("--profile needs --detect: a profile corrects one person's faces found in photos")
    if profile is not None and record:
        raise UserError("--record keeps the model's own figures; leave out --profile")
    if head != "product" and (profile is not None or record_reference):
        raise UserError(f"--head {head} is for benchmark figures: --profile and --record-reference work on the product's head")
    settings = state.settings()
    if tta is None:  # the live session's own setting, else the more accurate choice
        tta = settings.recognizer.tta if live else True
    if detect:
        calibration = _profile_calibration(settings, weights, profile, db)
        pipeline = build_pipeline(settings, video=live, weights=weights, tta=tta, calibration=calibration, head=head)
        with closing(pipeline):
            report = evaluate_detected(pipeline, data, split)
        detector = detector_model(settings, video=live)
    else:
        classifier = load_classifier(settings, weights, head)
        report = evaluate_aligned(classifier, data, split, tta)
        detector = None
        if record_reference:
            record_neutral_reference(weights, {**measure_neutral_reference(classifier, data, split, tta),
                                               "command": shlex.join(["assistant", *sys.argv[1:]])})
    report = {**report, "split": split, "detect": detect, "detector": detector, "tta": tta,
              "weights": str(weights or settings.recognizer.weights or "bundled"), "head": head, "profile": profile}
    if record:
        mode = "+live" if live else "+detect" if detect else ""
        record_metrics(weights, f"{data.name}/{split}{mode}{HEAD_METRICS_SUFFIX[head]}",
                       {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "n": report["n"],
                        "no_face": report["no_face"], "tta": tta, "detector": detector, "command": shlex.join(["assistant", *sys.argv[1:]])})
    if report_dir:
        from training.plots import plot_confusion_matrix, plot_training_curves

        report_dir.mkdir(parents=True, exist_ok=True)
        plot_confusion_matrix(report["confusion_matrix"], report["classes"], report_dir / "confusion_matrix.png",
                              f"{data.name} {split}: accuracy {report['accuracy']:.4f}")
        if metrics_log:
            plot_training_curves(metrics_log, report_dir / "training_curves.png")
    if as_json:
        print_json(report)
    else:
        render_evaluation(console, report)


def register(app: typer.Typer) -> None:
    app.command()(predict)
    app.command()(evaluate)
    app.command()(train)
