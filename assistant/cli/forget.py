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
    """Delete a session (or --all) with its mood samples, suggestions and ratings, then vacuum the file so the data is gone.

    The taste learned from ratings and the calibration profiles stay when single sessions go; --all removes them too.
    """
    if (session_id is None) == (not all_sessions):
        raise UserError("give a SESSION_ID or --all (one of them)")
    path = db_path(db)
    with database(path) as engine:
        target = forgetting.describe(engine, None if all_sessions else [session_id])
        profiles = f"{target.profiles} calibration profile{'' if target.profiles == 1 else 's'}"
        which = (f"all {len(target.session_ids)} sessions, the learned taste and the calibration profiles"
                 if all_sessions else f"session {session_id}")
        counts = (f"{target.samples} mood samples, {target.suggestions} suggestions, {target.ratings} ratings"
                  + (f", {profiles}" if all_sessions
                     else "; the taste learned from them stays"))
        if not yes:
            typer.confirm(f"Delete {which} ({counts}) from {path}?", abort=True, err=True)
        forgetting.forget(engine, path, target)
    if as_json:
        print_json({"deleted_sessions": target.session_ids, "samples": target.samples,
                    "suggestions": target.suggestions, "ratings": target.ratings, "taste_forgotten": all_sessions,
                    "profiles": target.profiles})
    else:
        console.print(f"Deleted {which}: {target.samples} mood samples, {target.suggestions} suggestions, "
                      f"{target.ratings} ratings" + (f", {profiles}" if all_sessions else "")
                      + f"; {path} vacuumed.", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(forget)
