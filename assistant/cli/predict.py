"""`assistant predict`: the emotion of every face in some photos.

torch, OpenCV and mediapipe are imported inside the command, so that `--help` does not pay
seconds of start-up for them.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from assistant.cli import options, state
from assistant.cli.output import console, print_error, print_json

if TYPE_CHECKING:
    from recognizer.pipeline import EmotionPipeline


def predict(
    images: list[Path] = typer.Argument(..., help="Photos to analyse (JPEG, PNG, ...)."),
    as_json: bool = options.json_option("every face"),
    tta: bool = typer.Option(True, "--tta/--no-tta",
                             help="Read each face from three crops and their mirror images, as `evaluate --detect` "
                                  "measures it (--no-tta: one crop, as the live session reads a frame)."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    profile: Optional[str] = options.profile_option("Correct every face for this person's resting face "
                                                    "(`assistant calibrate --profile NAME`)."),
    db: Optional[Path] = options.db_option(),
) -> None:
    """Every face in each photo with its box, emotion, confidence and all 7 probabilities."""
    from assistant.ui.recognition import render_predictions
    from recognizer.from_settings import build_pipeline

    settings = state.settings()
    calibration = options.profile_calibration(settings, weights, profile, db)
    pipeline = build_pipeline(settings, video=False, weights=weights, tta=tta, calibration=calibration)
    with closing(pipeline):
        results, failed = _predict_each(pipeline, images)
    if as_json:
        print_json(results)
    else:
        render_predictions(console, results)
    if failed:
        raise typer.Exit(1)


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
