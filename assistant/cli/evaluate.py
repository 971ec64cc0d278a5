"""`assistant evaluate`: how well the recognizer does on a labelled dataset.

torch, OpenCV and mediapipe are imported inside the command, so that `--help` does not pay
seconds of start-up for them.
"""

from __future__ import annotations

import shlex
import sys
from contextlib import closing
from pathlib import Path
from typing import Any, Optional

import typer

from assistant.cli import options, state
from assistant.cli.output import console, print_json
from config.errors import UserError
from config.settings import Settings


def evaluate(
    data: Path = typer.Option(..., "--data",
                              help="FER-2013 folder or CSV, or any folder with one sub-folder per emotion."),
    split: str = typer.Option("test", "--split", help="test, PublicTest or PrivateTest (FER-2013, FER+); for a folder "
                                                      "per class (CK+, SFEW): test (every face) or held-out (the "
                                                      "people or films `assistant train` holds out)."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    detect: bool = typer.Option(False, "--detect", help="Find and crop each face with the photo detector "
                                                        "(detector.photo_model), as `predict` does."),
    live: bool = typer.Option(False, "--live", help="With --detect: see faces exactly as the live session does "
                                                    "(detector.video_model, the recognizer.tta setting)."),
    tta: Optional[bool] = typer.Option(None, "--tta/--no-tta",
                                       help="Read each face from three crops and their mirror images (default: on; "
                                            "with --live, the recognizer.tta setting)."),
    report_dir: Optional[Path] = typer.Option(None, "--report-dir",
                                              help="Write confusion-matrix (and training-curve) PNGs here."),
    metrics_log: Optional[Path] = typer.Option(None, "--metrics-log",
                                               help="metrics.csv of a training run, plotted into --report-dir."),
    record: bool = typer.Option(False, "--record",
                                help="Write accuracy and macro-F1 into the manifest of --weights, under DATASET/SPLIT "
                                     "(how shipped weights get their figures)."),
    record_reference: bool = typer.Option(False, "--record-reference",
                                          help="Also write the model's mean output on the faces labelled neutral into "
                                               "the manifest of --weights: the typical neutral face calibration aims "
                                               "for (use the split that selected the weights)."),
    head: str = typer.Option("product", "--head",
                             help="product (what the assistant uses) or fer2013: the weights' second head, which "
                                  "labels faces as FER-2013's annotators did, for comparing on that benchmark."),
    profile: Optional[str] = options.profile_option("With --detect: correct every face for this person's resting face "
                                                    "(`assistant calibrate --profile NAME`)."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("the report"),
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1/ROC-AUC and the confusion matrix."""
    from assistant.ui.recognition import render_evaluation
    from training.datasets import check_split

    check_split(split)
    _check_flags(weights=weights, detect=detect, live=live, record=record, record_reference=record_reference,
                 head=head, profile=profile)
    settings = state.settings()
    if tta is None:  # the live session's own setting, else the more accurate choice
        tta = settings.recognizer.tta if live else True
    command = shlex.join(["assistant", *sys.argv[1:]])
    report = _measure(settings, data, split, weights=weights, detect=detect, live=live, tta=tta, head=head,
                      profile=profile, db=db, record_reference=record_reference, command=command)
    if record:
        _record(weights, data, split, report, live=live, command=command)
    if report_dir:
        _plot(report, data, split, report_dir, metrics_log)
    if as_json:
        print_json(report)
    else:
        render_evaluation(console, report)


def _check_flags(*, weights: Path | None, detect: bool, live: bool, record: bool, record_reference: bool, head: str,
                 profile: str | None) -> None:
    """Refuse combinations that cannot mean anything, before any model loads."""
    if (record or record_reference) and weights is None:
        flag = "--record" if record else "--record-reference"
        raise UserError(f"{flag} needs --weights: the bundled weights' manifest is not rewritten in place")
    if live and not detect:
        raise UserError("--live needs --detect: it chooses how faces are found and cropped")
    if record_reference and detect:
        raise UserError("--record-reference takes aligned faces (no --detect): the reference is the model's own view "
                        "of neutral faces")
    if profile is not None and not detect:
        raise UserError("--profile needs --detect: a profile corrects one person's faces found in photos")
    if profile is not None and record:
        raise UserError("--record keeps the model's own figures; leave out --profile")
    if head != "product" and (profile is not None or record_reference):
        raise UserError(f"--head {head} is for benchmark figures: --profile and --record-reference work on the "
                        "product's head")


def _measure(settings: Settings, data: Path, split: str, *, weights: Path | None, detect: bool, live: bool,
             tta: bool, head: str, profile: str | None, db: Path | None, record_reference: bool,
             command: str) -> dict[str, Any]:
    """The report on ``data``'s ``split``: photos through the detector (``detect``) or aligned faces
    straight into the classifier, which may also record its view of a neutral face."""
    from recognizer.from_settings import build_pipeline, detector_model, load_classifier
    from recognizer.weights import record_neutral_reference
    from training.evaluate import evaluate_aligned, evaluate_detected, measure_neutral_reference

    if detect:
        calibration = options.profile_calibration(settings, weights, profile, db)
        pipeline = build_pipeline(settings, video=live, weights=weights, tta=tta, calibration=calibration, head=head)
        with closing(pipeline):
            report = evaluate_detected(pipeline, data, split)
        detector = detector_model(settings, video=live)
    else:
        classifier = load_classifier(settings, weights, head)
        report = evaluate_aligned(classifier, data, split, tta)
        detector = None
        if record_reference:
            assert weights is not None  # _check_flags
            record_neutral_reference(weights, {**measure_neutral_reference(classifier, data, split, tta),
                                               "command": command})
    return {**report, "split": split, "detect": detect, "detector": detector, "tta": tta,
            "weights": str(weights or settings.recognizer.weights or "bundled"), "head": head, "profile": profile}


def _record(weights: Path | None, data: Path, split: str, report: dict[str, Any], *, live: bool, command: str) -> None:
    """Write the figures into the weights' manifest, under DATASET/SPLIT with how faces were found."""
    from recognizer.models import HEAD_METRICS_SUFFIX
    from recognizer.weights import record_metrics

    assert weights is not None  # _check_flags
    mode = "+live" if live else "+detect" if report["detect"] else ""
    record_metrics(weights, f"{data.name}/{split}{mode}{HEAD_METRICS_SUFFIX[report['head']]}",
                   {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "n": report["n"],
                    "no_face": report["no_face"], "tta": report["tta"], "detector": report["detector"],
                    "command": command})


def _plot(report: dict[str, Any], data: Path, split: str, report_dir: Path, metrics_log: Path | None) -> None:
    from training.plots import plot_confusion_matrix, plot_training_curves

    report_dir.mkdir(parents=True, exist_ok=True)
    plot_confusion_matrix(report["confusion_matrix"], report["classes"], report_dir / "confusion_matrix.png",
                          f"{data.name} {split}: accuracy {report['accuracy']:.4f}")
    if metrics_log:
        plot_training_curves(metrics_log, report_dir / "training_curves.png")
