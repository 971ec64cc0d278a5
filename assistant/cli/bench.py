"""`assistant bench ...`: benchmarks that print numbers (speed and learning are measured here, not asserted in
tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import RenderableType

from assistant.cli import options, state
from assistant.cli.output import console, print_json
from assistant.ui import bench as ui
from config.errors import UserError

app = typer.Typer(help="Measure speed on this machine, how crop and calibration choices do on real photos, "
                       "and how much learning a taste improves suggestions.",
                  no_args_is_help=True)


@app.command("recognizer")
def bench_recognizer(
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="Faces per batched call."),
    seconds: float = typer.Option(3.0, "--seconds", min=0.1, help="How long to measure the batched throughput."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    as_json: bool = options.json_option("the figures"),
) -> None:
    """Faces per second batched and milliseconds per single face."""
    from assistant.bench import recognizer

    result = recognizer.run(state.settings(), weights, batch_size=batch_size, seconds=seconds)
    _show(result, as_json, ui.recognizer_line)


@app.command("session")
def bench_session(
    source: str = typer.Option(..., "--source", metavar="PATH",
                               help="Video file to analyse headless, looped until enough frames are done."),
    frames: int = typer.Option(600, "--frames", min=1, help="Frames to measure, after 10 warm-up frames."),
    as_json: bool = options.json_option("the figures"),
) -> None:
    """Frames per second and per-frame latency of the live session (decode, detect, classify, track, record)."""
    from assistant.bench import session

    result = session.run(state.settings(), source, frames)
    _show(result, as_json, ui.session_line)


@app.command("crop")
def bench_crop(
    data: Path = typer.Option(..., "--data", help="Folder of real photos, one sub-folder per emotion."),
    margins: str = typer.Option("0,0.1,0.2,0.3", "--margins",
                                help="Crop margins to try (fractions of the face box, comma-separated)."),
    shifts: str = typer.Option("-0.1,0,0.1", "--shifts",
                               help="Downward shifts of the crop centre to try (fractions of the box height)."),
    live: bool = typer.Option(False, "--live",
                              help="Detect with detector.video_model and no TTA, as the live session does."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    as_json: bool = options.json_option("the figures"),
) -> None:
    """Accuracy for each crop geometry (margin, shift, eyes levelled or not) on real photos: how the defaults were
    chosen."""
    from assistant.bench import crop

    result = crop.run(state.settings(), data, margins=_floats(margins, "--margins"), shifts=_floats(shifts, "--shifts"),
                      live=live, weights=weights)
    _show(result, as_json, ui.crop_table, as_data=result["rows"])


@app.command("calibration")
def bench_calibration(
    data: Path = typer.Option(..., "--data", help="Folder of real photos, one sub-folder per emotion, files named "
                                                  "after the person (Name_Surname_0012.jpg)."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    as_json: bool = options.json_option("the figures"),
) -> None:
    """Accuracy on each person's photos with and without their calibration (their neutral photos), and with "auto"."""
    from assistant.bench import calibration

    result = calibration.run(state.settings(), data, weights)
    if as_json:
        print_json(result)
        return
    if not result["photos"]:
        raise UserError(f"no person in {data} has a neutral photo and another one (files named Name_0001.jpg)")
    console.print(ui.calibration_table(result))


def _show(result: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], RenderableType], *,
          as_data: Any = None) -> None:
    """The result as JSON (``as_data`` when that differs from the result itself), or rendered."""
    if as_json:
        print_json(result if as_data is None else as_data)
    else:
        console.print(render(result))


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of numbers", param_hint=option) from None


@app.command("report")
def bench_report(
    samples: int = typer.Option(1_000_000, "--samples", min=1, help="Mood samples (frames) in the synthetic session."),
    as_json: bool = options.json_option("the timings"),
) -> None:
    """Time `assistant report` on a synthetic session of N samples built in a temporary folder."""
    from assistant.bench import report

    result = report.run(samples)
    _show(result, as_json, ui.report_line)


@app.command("taste")
def bench_taste(
    rounds: int = typer.Option(100, "--rounds", min=1, help="Rounds of suggestions each simulated listener answers."),
    listeners: int = typer.Option(500, "--listeners", min=1, help="Simulated listeners, each in one mood, strategy "
                                                                   "and kind of the policy."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulation, so a run can be repeated exactly."),
    listener_prior: str = typer.Option("0.5,0.5", "--listener-prior", metavar="A,B",
                                       help="Beta(A, B) that each listener's hidden like probability per genre is "
                                            "drawn from (1,1: uniform; below 1: stronger likes and dislikes)."),
    as_json: bool = options.json_option("every round's like rates"),
) -> None:
    """Like rates of the fixed policy, the learning one and an oracle, for simulated listeners with hidden tastes.

    Each listener likes each genre with a hidden probability, drawn apart from the policy,
    and answers every suggestion; only the learning policy hears the answers.
    """
    from assistant.bench import taste

    prior = _floats(listener_prior, "--listener-prior")
    if len(prior) != 2 or min(prior) <= 0:
        raise typer.BadParameter(f"{listener_prior!r} is not two positive numbers A,B", param_hint="--listener-prior")
    result = taste.run(state.settings(), rounds=rounds, listeners=listeners, seed=seed,
                       listener_prior=(prior[0], prior[1]))
    _show(result, as_json, ui.taste_table, as_data=ui.taste_json(result))
