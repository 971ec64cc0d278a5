"""Options and argument parsing shared by the commands that read the session database."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from sqlalchemy import Engine

from assistant.cli.output import print_note
from assistant.reports import queries
from config.errors import UserError

if TYPE_CHECKING:
    from config.settings import Settings
    from recognizer.calibration import Calibrator

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def db_option() -> Any:
    return typer.Option(None, "--db", metavar="PATH", show_default=False,
                        help="Session database (default: $ASSISTANT_DB, else assistant.db in the platform's data "
                             "folder).")


def no_learning_option() -> Any:
    return typer.Option(False, "--no-learning", help="Suggest from the policy alone, not the taste learned from "
                                                     "your ratings (the recommend.learn setting, for this command).")


def profile_option(help: str) -> Any:
    return typer.Option(None, "--profile", metavar="NAME", show_default=False, help=help)


def json_option(what: str) -> Any:
    return typer.Option(False, "--json", help=f"Print {what} as JSON on stdout instead of text.")


def since_option() -> Any:
    return typer.Option(None, "--since", metavar="WHEN",
                        help="Only sessions started since then: a duration back from now (30m, 12h, 7d, 2w) or a date "
                             "(2025-01-31).")


def parse_since(text: str, now: float | None = None) -> float:
    """Unix seconds of ``--since``: "7d" is seven days before ``now``, a date or datetime is local time."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if match:
        # Further back than 1970 is since the beginning: no session is older.
        return max(0.0, (time.time() if now is None else now) - int(match[1]) * _UNITS[match[2]])
    try:
        return max(0.0, datetime.fromisoformat(text.strip()).timestamp())
    except (ValueError, OverflowError, OSError):
        raise UserError("--since takes a duration like 30m, 12h, 7d or 2w, or a date like 2025-01-31; "
                        f"not {text!r}") from None


def check_seconds(flag: str, seconds: float) -> None:
    """A length of time to watch: more than 0 and finite (nan passes every comparison, so a session
    told to run for nan seconds would never stop)."""
    if not (math.isfinite(seconds) and seconds > 0):
        raise UserError(f"{flag} must be a number of seconds more than 0, not {seconds:g}")


#: SQLite's largest row id: a session id beyond it cannot exist (and would overflow the query).
MAX_SESSION_ID = 2**63 - 1


def pick_session(engine: Engine, session_id: int | None, last: bool) -> int:
    """SESSION_ID or --last (the default), never both."""
    if session_id is not None and last:
        raise UserError("give a SESSION_ID or --last, not both")
    if session_id is not None and not 0 < session_id <= MAX_SESSION_ID:
        raise UserError(f"no session {session_id}; `assistant history` lists the sessions")
    return session_id if session_id is not None else queries.last_session_id(engine)


def refuse_to_overwrite(path: Path, force: bool) -> None:
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a file name")
    if path.exists() and not force:
        raise UserError(f"{path} already exists; add --force to overwrite it")


def profile_calibration(settings: Settings, weights: Path | None, profile: str | None,
                         db: Path | None) -> Calibrator | None:
    """--profile's correction for these weights (None without one); a profile from other weights is
    ignored with a note, a missing one is refused before any model loads."""
    if profile is None:
        return None
    from assistant.session.calibration import profile_calibration
    from assistant.storage.database import db_path
    from assistant.storage.profiles import check_name
    from recognizer.from_settings import weights_file
    from recognizer.weights import read_manifest

    calibration, ignored = profile_calibration(db_path(db), check_name(profile),
                                               read_manifest(weights_file(settings, weights)), required=True)
    if ignored is not None:
        print_note(ignored)
    return calibration
