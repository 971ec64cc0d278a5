"""`assistant calibrate`: measure a person's resting face so the session reads it as resting; list and remove profiles.

torch, OpenCV and mediapipe are imported inside the command, so `--show` and `--reset`
start quickly.
"""

from __future__ import annotations

import math
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from assistant.cli import options, state
from assistant.cli.output import console, err_console, print_json
from assistant.storage.database import database, db_path
from assistant.storage.profiles import DEFAULT_PROFILE, Profile, check_name, list_profiles, remove_profile
from assistant.ui.tables import profiles_table
from config.errors import UserError
from recognizer.classes import EMOTIONS


def calibrate(
    source: str = typer.Option("0", "--source", metavar="0|1|PATH",
                               help="A camera index, a video file, or a folder of photos of your relaxed face "
                                    "(one photo is enough)."),
    seconds: float = typer.Option(5.0, "--seconds", help="How long to watch, in seconds of the source's time."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", metavar="NAME",
                                help="Whose calibration this is, so several people can share a machine."),
    show: bool = typer.Option(False, "--show", help="List the profiles with when each was made, and change nothing."),
    reset: Optional[str] = typer.Option(None, "--reset", metavar="NAME", show_default=False,
                                        help="Remove profile NAME."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("the result"),
) -> None:
    """Watch your relaxed face for a few seconds and store how the model reads it (numbers, never an image).

    `assistant start --profile NAME` (and `predict`, `evaluate --detect`) then correct the
    model's output so that your resting face reads as neutral; see docs/calibration.md.
    """
    if show and reset is not None:
        raise UserError("give --show or --reset, not both")
    options.check_seconds("--seconds", seconds)
    path = db_path(db)
    if show:
        _show(path, as_json)
    elif reset is not None:
        _reset(path, check_name(reset), as_json)
    else:
        _calibrate(source, seconds, check_name(profile), path, as_json)


def _calibrate(source: str, seconds: float, name: str, path: Path, as_json: bool) -> None:
    from assistant.session.calibration import measure
    from assistant.session.sources import open_source
    from recognizer.calibration import Calibration, neutral_reference, softmax
    from recognizer.from_settings import build_pipeline

    if path.exists():  # a file that is not a usable database is refused before the person sits still for nothing
        with database(path):
            pass
    settings = state.settings()
    with closing(open_source(source)) as frames, closing(build_pipeline(settings, video=True)) as pipeline:
        err_console.print(f"Look at the screen with a relaxed face for {seconds:g} s ...", highlight=False)
        measured = measure(pipeline, frames, seconds, name)
        shift = Calibration.of(measured.baseline, neutral_reference(pipeline.classifier.manifest)).shift
    with database(path, create=True) as engine:
        measured.save(engine)
    reads = softmax(measured.baseline)  # how the model read the resting face
    if as_json:
        print_json({"profile": name, "frames": measured.frames, "spread": round(measured.spread, 4),
                    "resting_face": {emotion: round(float(p), 4) for emotion, p in zip(EMOTIONS, reads, strict=True)},
                    "correction": {emotion: round(float(d), 4)
                                   for emotion, d in zip(EMOTIONS, shift, strict=True) if d},
                    "db": str(path)})
        return
    leading = EMOTIONS[int(reads.argmax())]
    raised = ", ".join(f"{emotion} ×{math.exp(d):.1f}" for emotion, d in zip(EMOTIONS, shift, strict=True) if d > 0)
    if not shift.any():
        effect = "it reads as neutral as a typical face does, so nothing will be corrected"
    elif leading != "neutral":
        effect = f"it read as {leading} ({reads.max():.0%}); with this profile it reads as neutral"
    else:
        effect = (f"it reads as neutral ({reads.max():.0%}), more purely than a typical face, so what it "
                  f"leans to less counts more ({raised})")
    console.print(f"Profile {name!r} calibrated on {measured.frames} frame{'s' if measured.frames != 1 else ''} "
                  f"with a face: {effect}. `assistant start --profile {name}` uses it.", highlight=False,
                  soft_wrap=True)


def _show(path: Path, as_json: bool) -> None:
    from recognizer.from_settings import weights_file
    from recognizer.weights import read_manifest

    profiles: list[Profile] = []
    if path.exists():
        with database(path) as engine:
            profiles = list_profiles(engine)
    current = read_manifest(weights_file(state.settings())).get("sha256")
    rows = [{"profile": p.name, "created_at": datetime.fromtimestamp(p.created_at).isoformat(timespec="seconds"),
             "frames": p.frames, "resting_face": EMOTIONS[int(p.baseline.argmax())],
             "current_weights": p.weights_sha256 == current} for p in profiles]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"No calibration profiles in {path}; `assistant calibrate` makes one.", markup=False,
                      highlight=False)
        return
    console.print(profiles_table(path, rows))


def _reset(path: Path, name: str, as_json: bool) -> None:
    if not path.exists():
        raise UserError(f"no profile {name!r}: there is no database at {path} yet")
    with database(path) as engine:
        remove_profile(engine, name)
    if as_json:
        print_json({"removed": name})
    else:
        console.print(f"Removed profile {name!r}.", highlight=False)
