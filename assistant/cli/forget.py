"""`assistant forget`: delete sessions and everything recorded with them, for good."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import typer

from assistant.cli import options
from assistant.cli.output import console, print_json
from assistant.storage import forget as forgetting
from assistant.storage.database import database, db_path
from config.errors import UserError
from recommenders.cache import default_cache_dir


def forget(
    session_id: Optional[int] = typer.Argument(None, metavar="SESSION_ID", show_default=False,
                                               help="Session to delete (see `assistant history`)."),
    all_sessions: bool = typer.Option(False, "--all", help="Delete every session."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("what was deleted"),
) -> None:
    """Delete a session (or --all) with its mood samples, suggestions and ratings, then vacuum the file so the data
    is gone.

    The taste learned from ratings and the calibration profiles stay when single sessions go; --all removes them too.
    """
    if (session_id is None) == (not all_sessions):
        raise UserError("give a SESSION_ID or --all (one of them)")
    if session_id is not None and not 0 < session_id <= options.MAX_SESSION_ID:
        raise UserError(f"no session {session_id}; `assistant history` lists the sessions")
    path = db_path(db)
    with database(path) as engine:
        target = forgetting.describe(engine, None if all_sessions else [session_id])
        if not yes:
            typer.confirm(f"Delete {_what(target, session_id)} ({_counts(target)}) from {path}?", abort=True, err=True)
        target = forgetting.forget(engine, path, target)
    if all_sessions:
        # Cached answers tell which moods were looked up, and when.
        shutil.rmtree(default_cache_dir(), ignore_errors=True)
    if as_json:
        print_json({"deleted_sessions": target.session_ids, "samples": target.samples,
                    "suggestions": target.suggestions, "ratings": target.ratings, "taste_forgotten": all_sessions,
                    "profiles": target.profiles})
    else:
        console.print(f"Deleted {_what(target, session_id)}: {_counts(target, asking=False)}; {path} vacuumed.",
                      markup=False, highlight=False)


def _what(target: forgetting.Forgettable, session_id: int | None) -> str:
    if target.everything:
        return f"all {len(target.session_ids)} sessions, the learned taste and the calibration profiles"
    return f"session {session_id}"


def _counts(target: forgetting.Forgettable, asking: bool = True) -> str:
    counts = f"{target.samples} mood samples, {target.suggestions} suggestions, {target.ratings} ratings"
    if target.everything:
        return counts + f", {target.profiles} calibration profile{'' if target.profiles == 1 else 's'}"
    return counts + ("; the taste learned from them stays" if asking else "")
