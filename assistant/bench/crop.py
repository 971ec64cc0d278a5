"""`bench crop`: how each crop geometry (margin, shift, eyes levelled or not) does on real photos.

This is how the crop defaults were chosen: the photos are detected once and cropped every
way, so the geometries are compared on exactly the same faces.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

from config.settings import Settings
from recognizer.from_settings import build_detector, crop_geometry, load_classifier
from training.evaluate import detect_and_crop, report_detected


def run(settings: Settings, data: Path, *, margins: list[float], shifts: list[float], live: bool = False,
        weights: Path | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1 and neutral recall for every margin × shift × levelled eyes, best first.

    ``live`` detects with the live session's detector and without test-time augmentation."""
    # Each cut at the resolution the product gives it (a live frame's face warped to 96 px, a photo's at its own size).
    base = crop_geometry(settings, video=live)
    grid = [replace(base, margin=margin, shift=shift, level_eyes=level)
            for margin in margins for shift in shifts for level in (True, False)]
    with closing(build_detector(settings, video=live)) as detector:
        photos = detect_and_crop(detector, data, "test", list(dict.fromkeys(view for geometry in grid
                                                                            for view in geometry.views(not live))))
    classifier = load_classifier(settings, weights)
    rows = []
    for geometry in grid:
        report = report_detected(classifier, photos, geometry, tta=not live)
        rows.append({"margin": geometry.margin, "shift": geometry.shift, "level_eyes": geometry.level_eyes,
                     "accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
                     "neutral_recall": report["per_class"]["neutral"]["recall"], "n": report["n"],
                     "no_face": report["no_face"]})
    rows.sort(key=lambda row: row["macro_f1"] + row["accuracy"], reverse=True)
    return {"data": str(data), "rows": rows}
