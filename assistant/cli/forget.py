"""`assistant forget`: delete sessions and everything recorded with them, for good."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from assistant.cli import options
from assistant.cli.output import console, print_json
from assistant.storage import forget as forgetting
from assistant.storage.database import database, db_path
from config.errors import UserError


def forget(
    session_id: Optional[int] = typer.Argument(None, metavar="SESSION_ID", show_default=False,
                                               help="Session to delete (see `assistant history`)."),
    all_sessions: bool = typer.Option(False, "--all", help="Delete every session."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("what was deleted"),
) -> None:
    """Delete a session (or --all, calibration profiles too) with its mood samples and suggestions, then vacuum
    the file so the data is gone."""
    if (session_id is None) == (not all_sessions):
        raise UserError("give a SESSION_ID or --all (one of them)")
    path = db_path(db)
    with database(path) as engine:
        target = forgetting.describe(engine, None if all_sessions else [session_id])
        which = f"all {len(target.session_ids)} sessions" if all_sessions else f"session {session_id}"
        profiles = f" and {target.profiles} calibration profile{'s' if target.profiles != 1 else ''}" if target.profiles else ""
        if not yes:
            typer.confirm(f"Delete {which} ({target.samples} mood samples, {target.suggestions} suggestions){profiles} "
                          f"from {path}?", abort=True, err=True)
        forgetting.forget(engine, path, target)
    if as_json:
        print_json({"deleted_sessions": target.session_ids, "samples": target.samples, "suggestions": target.suggestions,
                    "profiles": target.profiles})
    else:
        console.print(f"Deleted {which}: {target.samples} mood samples and {target.suggestions} suggestions{profiles}; "
                      f"{path} vacuumed.")


def register(app: typer.Typer) -> None:
    app.command()(forget)
