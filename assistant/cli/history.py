"""`assistant history`: the recorded sessions, newest first."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.table import Table

from assistant import reports
from assistant.cli import options
from assistant.cli.output import console, print_json
from assistant.ui.views import duration, mood, share_bar
from assistant.storage.database import database, db_path


def history(
    limit: int = typer.Option(20, "--limit", min=1, help="Show at most this many sessions."),
    since: Optional[str] = options.since_option(),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("the sessions"),
) -> None:
    """List recorded sessions: start, duration, dominant mood, face time, mood changes, suggestions."""
    since_ts = options.parse_since(since) if since is not None else None
    with database(db_path(db)) as engine:
        sessions = reports.history(engine, limit=limit, since=since_ts)
    if as_json:
        print_json([s.to_json() for s in sessions])
        return
    if not sessions:
        console.print(f"No sessions since {reports.iso(since_ts)}." if since_ts is not None else "No sessions.")
        return
    # No vertical rules and collapsed padding: the eight columns fit an 80-column terminal.
    table = Table(title="Sessions", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1),
                  collapse_padding=True, show_edge=False)
    for header, justify in (("id", "right"), ("start", "left"), ("length", "right"), ("mood", "left"),
                            ("moods", "left"), ("face", "right"), ("changes", "right"), ("suggested", "right")):
        table.add_column(header, justify=justify, no_wrap=True)
    for s in sessions:
        table.add_row(str(s.id), datetime.fromtimestamp(s.start).strftime("%Y-%m-%d %H:%M"), duration(s.totals.duration_s),
                      mood(s.totals.dominant_mood), share_bar(s.totals, 8), f"{s.face_share:.0%}",
                      str(s.mood_changes), str(s.suggestions))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(history)
