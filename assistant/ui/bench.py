"""The benchmarks' results as lines and tables (`assistant bench ...`); `assistant.bench` measures."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


def recognizer_line(result: dict[str, Any]) -> Text:
    return Text(f"{result['faces_per_s']:.0f} faces/s batched ({result['batch_size']} per call), "
                f"{result['ms_per_face']:.2f} ms per single face (p95 {result['ms_per_face_p95']:.2f} ms), "
                f"{result['dtype']}, {result['threads']} threads")


def session_line(result: dict[str, Any]) -> Text:
    return Text(f"{result['fps']:.1f} fps over {result['frames']} frames (a face in {result['face_share']:.0%}); "
                f"latency p50 {result['latency_ms_p50']:.2f} ms, p95 {result['latency_ms_p95']:.2f} ms, "
                f"max {result['latency_ms_max']:.2f} ms; {result['torch_threads']} torch thread(s)")


def crop_table(result: dict[str, Any]) -> RenderableType:
    rows = result["rows"]
    table = Table(title=f"{result['data']} ({rows[0]['n']} photos, {rows[0]['no_face']} without a face), best first",
                  title_justify="left")
    for column in ("margin", "shift", "eyes levelled", "accuracy", "macro-F1", "neutral recall"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(f"{row['margin']:g}", f"{row['shift']:+g}", "yes" if row["level_eyes"] else "no",
                      f"{row['accuracy']:.4f}", f"{row['macro_f1']:.4f}", f"{row['neutral_recall']:.3f}")
    return table


def calibration_table(result: dict[str, Any]) -> RenderableType:
    watched = list(next(iter(result["modes"].values()))["recall"])  # the classes the benchmark watches
    table = Table(title=f"{result['data']}: {result['photos']} photos of {result['people']} people "
                        f"({result['no_face']} without a face; {result['refused_calibrations']} calibrations "
                        "refused, left uncorrected)",
                  title_justify="left")
    for column in ("calibration", "accuracy", "macro-F1", *(f"{name} recall" for name in watched),
                   "happy/surprise read as neutral"):
        table.add_column(column, justify="right")
    for mode, figures in result["modes"].items():
        table.add_row(mode, f"{figures['accuracy']:.4f}", f"{figures['macro_f1']:.4f}",
                      *(f"{figures['recall'][name]:.3f}" for name in watched),
                      str(figures["happy_or_surprise_read_as_neutral"]))
    return table


def report_line(result: dict[str, Any]) -> Text:
    return Text(f"report over {result['samples']:,} samples: {result['seconds']:.3f} s "
                f"(building the database took {result['build_seconds']:.1f} s)")


#: The rounds `bench taste` shows (and always the last one).
TASTE_ROUNDS = (1, 5, 10, 20, 30, 50, 100)


def taste_table(result: dict[str, Any]) -> RenderableType:
    a, b = result["listener_prior"]
    rounds = result["rounds"]
    table = Table(title=f"Like rate by round: {result['listeners']} listeners with hidden tastes from "
                        f"Beta({a:g}, {b:g}), {result['suggestions_per_round']} suggestions a round, "
                        f"seed {result['seed']}", title_justify="left")
    for column in ("round", "static", "learned", "oracle", "learned / static", "learned / oracle"):
        table.add_column(column, justify="right")
    for r in sorted({n for n in TASTE_ROUNDS if n <= rounds} | {rounds}):
        static, learned, oracle = (result[f"{name}_like_rate"][r - 1] for name in ("static", "learned", "oracle"))
        table.add_row(str(r), f"{static:.3f}", f"{learned:.3f}", f"{oracle:.3f}", f"{learned / static:.2f}×",
                      f"{learned / oracle:.1%}")
    return table


def taste_json(result: dict[str, Any]) -> dict[str, Any]:
    """The result with its like rates to 4 decimals: more would be noise of the simulation."""
    return {key: [round(rate, 4) for rate in value] if key.endswith("_like_rate") else value
            for key, value in result.items()}
