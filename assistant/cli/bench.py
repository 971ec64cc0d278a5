"""`assistant bench ...`: benchmarks that print numbers (speed and learning are measured here, not asserted in tests)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Optional

import typer

from assistant.cli import state
from assistant.cli.output import console, print_json
from assistant.cli.report import bench_report
from config.errors import UserError

app = typer.Typer(help="Measure speed on this machine, how crop and calibration choices do on real photos, "
                       "and how much learning a taste improves suggestions.",
                  no_args_is_help=True)


@app.command("recognizer")
def bench_recognizer(
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="Faces per batched call."),
    seconds: float = typer.Option(3.0, "--seconds", min=0.1, help="How long to measure the batched throughput."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Faces per second batched and milliseconds per single face."""
    from assistant.components import load_classifier
    from recognizer.benchmark import benchmark_classifier

    result = benchmark_classifier(load_classifier(state.settings(), weights), batch_size=batch_size, seconds=seconds)
    if as_json:
        print_json(result)
    else:
        console.print(f"{result['faces_per_s']:.0f} faces/s batched ({result['batch_size']} per call), "
                      f"{result['ms_per_face']:.2f} ms per single face (p95 {result['ms_per_face_p95']:.2f} ms), "
                      f"{result['dtype']}, {result['threads']} threads")


@app.command("session")
def bench_session(
    source: str = typer.Option(..., "--source", metavar="PATH",
                               help="Video file to analyse headless, looped until enough frames are done."),
    frames: int = typer.Option(600, "--frames", min=1, help="Frames to measure, after 10 warm-up frames."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Frames per second and per-frame latency of the live session (decode, detect, classify, track, record)."""
    from assistant.session.bench import benchmark_session

    result = benchmark_session(state.settings(), source, frames)
    if as_json:
        print_json(result)
    else:
        console.print(f"{result['fps']:.1f} fps over {result['frames']} frames (a face in {result['face_share']:.0%}); "
                      f"latency p50 {result['latency_ms_p50']:.2f} ms, p95 {result['latency_ms_p95']:.2f} ms, "
                      f"max {result['latency_ms_max']:.2f} ms; {result['torch_threads']} torch thread(s)",
                      highlight=False)


@app.command("crop")
def bench_crop(
    data: Path = typer.Option(..., "--data", help="Folder of real photos, one sub-folder per emotion."),
    margins: str = typer.Option("0,0.1,0.2,0.3", "--margins", help="Crop margins to try (fractions of the face box, comma-separated)."),
    shifts: str = typer.Option("-0.1,0,0.1", "--shifts", help="Downward shifts of the crop centre to try (fractions of the box height)."),
    live: bool = typer.Option(False, "--live", help="Detect with detector.video_model and no TTA, as the live session does."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Accuracy for each crop geometry (margin, shift, eyes levelled or not) on real photos: how the defaults were chosen."""
    from assistant.components import build_detector, load_classifier
    from recognizer.crop import CropGeometry
    from training.evaluate import detect_and_crop, report_detected

    settings = state.settings()
    grid = [CropGeometry(margin, shift, level) for margin in _floats(margins, "--margins")
            for shift in _floats(shifts, "--shifts") for level in (True, False)]
    detector = build_detector(settings, video=live)
    with closing(detector):
        photos = detect_and_crop(detector, data, "test", grid)
    classifier = load_classifier(settings, weights)
    rows = []
    for geometry in grid:
        report = report_detected(classifier, photos, geometry, tta=not live)
        rows.append({"margin": geometry.margin, "shift": geometry.shift, "level_eyes": geometry.level_eyes,
                     "accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
                     "neutral_recall": report["per_class"]["neutral"]["recall"], "n": report["n"], "no_face": report["no_face"]})
    rows.sort(key=lambda row: row["macro_f1"] + row["accuracy"], reverse=True)
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"{data} ({rows[0]['n']} photos, {rows[0]['no_face']} without a face), best first", title_justify="left")
    for column in ("margin", "shift", "eyes levelled", "accuracy", "macro-F1", "neutral recall"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(f"{row['margin']:g}", f"{row['shift']:+g}", "yes" if row["level_eyes"] else "no",
                      f"{row['accuracy']:.4f}", f"{row['macro_f1']:.4f}", f"{row['neutral_recall']:.3f}")
    console.print(table)


@app.command("calibration")
def bench_calibration(
    data: Path = typer.Option(..., "--data", help="Folder of real photos, one sub-folder per emotion, files named "
                                                  "after the person (Name_Surname_0012.jpg)."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file instead of the bundled ones."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Accuracy on each person's photos with and without their calibration (their neutral photos), and with "auto"."""
    from assistant.calibration_bench import WATCHED, bench_calibration as measure
    from assistant.components import build_pipeline

    if not data.is_dir():
        raise UserError(f"--data {data} is not a folder of photos")
    pipeline = build_pipeline(state.settings(), video=False, weights=weights, tta=True)
    with closing(pipeline):
        result = measure(pipeline, data)
    if as_json:
        print_json(result)
        return
    if not result["photos"]:
        raise UserError(f"no person in {data} has a neutral photo and another one (files named Name_0001.jpg)")
    from rich.table import Table

    table = Table(title=f"{data}: {result['photos']} photos of {result['people']} people ({result['no_face']} without "
                        f"a face; {result['refused_calibrations']} calibrations refused, left uncorrected)",
                  title_justify="left")
    for column in ("calibration", "accuracy", "macro-F1", *(f"{name} recall" for name in WATCHED),
                   "happy/surprise read as neutral"):
        table.add_column(column, justify="right")
    for mode, figures in result["modes"].items():
        table.add_row(mode, f"{figures['accuracy']:.4f}", f"{figures['macro_f1']:.4f}",
                      *(f"{figures['recall'][name]:.3f}" for name in WATCHED),
                      str(figures["happy_or_surprise_read_as_neutral"]))
    console.print(table)


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of numbers", param_hint=option) from None


app.command("report")(bench_report)


@app.command("taste")
def bench_taste(
    rounds: int = typer.Option(100, "--rounds", min=1, help="Rounds of suggestions each simulated listener answers."),
    listeners: int = typer.Option(500, "--listeners", min=1, help="Simulated listeners, each in one mood, strategy "
                                                                   "and kind of the policy."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulation, so a run can be repeated exactly."),
    listener_prior: str = typer.Option("0.5,0.5", "--listener-prior", metavar="A,B",
                                       help="Beta(A, B) that each listener's hidden like probability per genre is "
                                            "drawn from (1,1: uniform; below 1: stronger likes and dislikes)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: every round's like rates."),
) -> None:
    """Like rates of the fixed policy, the learning one and an oracle, for simulated listeners with hidden tastes.

    Each listener likes each genre with a hidden probability, drawn apart from the policy,
    and answers every suggestion; only the learning policy hears the answers.
    """
    from recommenders.policy import load_policy
    from recommenders.taste_bench import run_bench

    prior = _floats(listener_prior, "--listener-prior")
    if len(prior) != 2 or min(prior) <= 0:
        raise typer.BadParameter(f"{listener_prior!r} is not two positive numbers A,B", param_hint="--listener-prior")
    settings = state.settings()
    result = run_bench(load_policy(settings.recommend.policy or None), rounds=rounds, listeners=listeners,
                       limit=settings.session.suggestion_limit, seed=seed, listener_prior=(prior[0], prior[1]))
    if as_json:
        print_json({"rounds": rounds, "listeners": listeners, "suggestions_per_round": result.limit, "seed": seed,
                    "listener_prior": list(result.listener_prior),
                    **{f"{name}_like_rate": [round(rate, 4) for rate in getattr(result, name)]
                       for name in ("static", "learned", "oracle")}})
        return
    from rich.table import Table

    a, b = result.listener_prior
    table = Table(title=f"Like rate by round: {listeners} listeners with hidden tastes from Beta({a:g}, {b:g}), "
                        f"{result.limit} suggestions a round, seed {seed}", title_justify="left")
    for column in ("round", "static", "learned", "oracle", "learned / static", "learned / oracle"):
        table.add_column(column, justify="right")
    for r in sorted({n for n in (1, 5, 10, 20, 30, 50, 100) if n <= rounds} | {rounds}):
        static, learned, oracle = result.static[r - 1], result.learned[r - 1], result.oracle[r - 1]
        table.add_row(str(r), f"{static:.3f}", f"{learned:.3f}", f"{oracle:.3f}", f"{learned / static:.2f}×",
                      f"{learned / oracle:.1%}")
    console.print(table)
