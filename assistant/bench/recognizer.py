"""`bench recognizer`: how fast the classifier runs on this machine, batched and one face at a time.

Single-face latency includes turning a webcam-sized BGR crop into the model input, since
that is what the live session pays per frame.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import torch

from config.settings import Settings
from recognizer.from_settings import load_classifier


def run(settings: Settings, weights: Path | None = None, *, batch_size: int = 256, seconds: float = 3.0,
        single_calls: int = 300, seed: int = 0) -> dict[str, float | int | str]:
    """Faces per second in batches of ``batch_size`` for ``seconds``, then the median and p95 of
    ``single_calls`` one-face calls."""
    classifier = load_classifier(settings, weights)
    rng = np.random.default_rng(seed)
    faces = rng.integers(0, 256, size=(batch_size, 48, 48), dtype=np.uint8)
    classifier.predict_gray48(faces)  # warm-up
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        classifier.predict_gray48(faces)
        done += batch_size
    faces_per_s = done / (time.perf_counter() - started)

    crop = rng.integers(0, 256, size=(160, 160, 3), dtype=np.uint8)
    for _ in range(20):
        classifier.predict([crop])
    timings = []
    for _ in range(single_calls):
        started = time.perf_counter()
        classifier.predict([crop])
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "faces_per_s": round(faces_per_s, 1),
        "ms_per_face": round(statistics.median(timings), 3),
        "ms_per_face_p95": round(float(np.percentile(timings, 95)), 3),
        "batch_size": batch_size,
        "dtype": str(classifier.dtype).removeprefix("torch."),
        "threads": torch.get_num_threads(),
    }
