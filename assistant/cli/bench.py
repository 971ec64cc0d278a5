"""`assistant bench ...`: benchmarks that print numbers (speed is measured here, not asserted in tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from assistant.cli import state
from assistant.cli.output import console, print_json
from assistant.cli.report import bench_report

app = typer.Typer(help="Measure speed on this machine.", no_args_is_help=True)


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


app.command("report")(bench_report)
