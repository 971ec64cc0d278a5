"""`bench session`: how fast the whole live path runs on a clip, frame by frame.

Each frame's latency runs from asking the source for it to its sample being buffered for
the database: decode + detect + classify + track + record, with suggestions (offline
catalog) fetched beside it as in a live session. The database is a temporary file, so a
benchmark never shows up in `assistant history`.
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import torch

from assistant.session.run import effective_settings, prepare, record
from assistant.session.sources import open_source
from assistant.session.stop import Stop
from config.errors import UserError
from config.settings import Settings

#: Frames analysed before measuring: the first calls of mediapipe and the frozen model are slow.
WARMUP_FRAMES = 10


def run(settings: Settings, source: str, frames: int) -> dict[str, Any]:
    """``frames`` measured frames of ``source`` (a video loops as often as needed), analysed flat out."""
    settings = effective_settings(settings, strategy=None, offline=True)
    latencies: list[float] = []
    with closing(open_source(source, loop=True)) as clip:
        pipeline, rounds = prepare(settings)
        with closing(pipeline), tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
            summary = record(settings, clip, Path(folder) / "bench.db", pipeline, rounds, Stop(),
                             max_frames=frames + WARMUP_FRAMES, latencies=latencies)
    measured = np.asarray(latencies[WARMUP_FRAMES:]) * 1000.0
    if measured.size == 0:
        raise UserError(f"{clip.label} ended within the {WARMUP_FRAMES} warm-up frames; nothing was measured")
    return {
        "source": clip.label,
        "frames": int(measured.size),
        "face_share": round(summary.frames_with_face / summary.frames, 3),  # warm-up frames included
        # The loop does nothing per frame outside the measured span, so this is its throughput.
        "fps": round(1000.0 * measured.size / float(measured.sum()), 1),
        "latency_ms_p50": round(float(np.percentile(measured, 50)), 2),
        "latency_ms_p95": round(float(np.percentile(measured, 95)), 2),
        "latency_ms_max": round(float(measured.max()), 2),
        "torch_threads": torch.get_num_threads(),
    }
