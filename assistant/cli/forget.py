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

    The taste learned from ratings stays when single sessions go; --all removes it too.
    """
    if (session_id is None) == (not all_sessions):
        raise UserError("give a SESSION_ID or --all (one of them)")
    path = db_path(db)
    with database(path) as engine:
        target = forgetting.describe(engine, None if all_sessions else [session_id])
        which = (f"all {len(target.session_ids)} sessions and the learned taste" if all_sessions
                 else f"session {session_id}")
        counts = (f"{target.samples} mood samples, {target.suggestions} suggestions, {target.ratings} ratings"
                  + ("" if all_sessions else "; the taste learned from them stays"))
        if not yes:
            typer.confirm(f"Delete {which} ({counts}) from {path}?", abort=True, err=True)
        forgetting.forget(engine, path, target.session_ids, taste=all_sessions)
    if as_json:
        print_json({"deleted_sessions": target.session_ids, "samples": target.samples,
                    "suggestions": target.suggestions, "ratings": target.ratings, "taste_forgotten": all_sessions})
    else:
        console.print(f"Deleted {which}: {target.samples} mood samples, {target.suggestions} suggestions and "
                      f"{target.ratings} ratings; {path} vacuumed.")


def register(app: typer.Typer) -> None:
    app.command()(forget)
