"""`assistant history`: the recorded sessions, newest first."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from assistant.cli import options
from assistant.cli.output import console, print_json
from assistant.reports import queries
from assistant.storage.database import database, db_path
from assistant.ui.tables import history_table


def history(
    limit: int = typer.Option(20, "--limit", min=1, help="Show at most this many sessions."),
    since: Optional[str] = options.since_option(),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("the sessions"),
) -> None:
    """List recorded sessions: start, duration, dominant mood, face time, mood changes, suggestions."""
    since_ts = options.parse_since(since) if since is not None else None
    with database(db_path(db)) as engine:
        sessions = queries.history(engine, limit=limit, since=since_ts)
    if as_json:
        print_json([s.to_json() for s in sessions])
        return
    if not sessions:
        console.print(f"No sessions since {queries.iso(since_ts)}." if since_ts is not None else "No sessions.")
        return
    console.print(history_table(sessions))
