"""`assistant export`: keep a session's suggestions as a playlist or a file."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from assistant.cli import options, state
from assistant.cli.output import console, print_json
from assistant.reports import exports, queries
from assistant.storage.database import database, db_path
from config.errors import UserError


class Format(str, Enum):
    m3u = "m3u"
    csv = "csv"
    json = "json"
    spotify = "spotify"


def _to_spotify(tracks: list[queries.ExportItem], name: str) -> str:
    from recommenders.base import Track
    from recommenders.playlist import export_playlist
    from recommenders.spotify_auth import logged_in_auth

    settings = state.settings()
    budget = settings.recommend.budget_s
    auth = logged_in_auth(settings.spotify, budget)
    moods = ", ".join(dict.fromkeys(t.mood for t in tracks if t.mood))
    return export_playlist([Track(t.title, t.artist or "", t.genre or "", t.uri) for t in tracks], name, auth,
                           settings.spotify, budget_s=budget, description=f"Suggested by assistant for: {moods}")


def export(
    session_id: Optional[int] = typer.Argument(None, metavar="SESSION_ID", show_default=False,
                                               help="Session whose suggestions to export; default: the last one."),
    last: bool = typer.Option(False, "--last", help="Export the most recent session."),
    fmt: Format = typer.Option(..., "--format", case_sensitive=False,
                               help="m3u: M3U8 playlist of the music; csv, json: every suggestion, movies too; "
                                    "spotify: a new private playlist in your account "
                                    "(after `assistant auth spotify`)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="PATH",
                                          help="File to write; default: stdout."),
    force: bool = typer.Option(False, "--force", help="Overwrite --output if it exists."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("a summary of the export"),
) -> None:
    """Save a session's suggestions as a playlist (M3U8, Spotify) or as CSV/JSON."""
    if fmt is Format.spotify and output is not None:
        raise UserError("--format spotify creates a playlist in your account; it takes no --output")
    if as_json and output is None and fmt is not Format.spotify:
        raise UserError("--json prints a summary, which would mix with the export on stdout; add --output")
    if output is not None:
        options.refuse_to_overwrite(output, force)
    with database(db_path(db)) as engine:
        chosen = options.pick_session(engine, session_id, last)
        start, items = queries.export_items(engine, chosen)
    exported = exports.playlist(items) if fmt in (Format.m3u, Format.spotify) else items
    if not exported:
        raise UserError(f"session {chosen} has no {'music ' if fmt in (Format.m3u, Format.spotify) else ''}"
                        "suggestions to export")
    name = f"Mood session {chosen} · {datetime.fromtimestamp(start):%Y-%m-%d %H:%M}"
    summary = {"session_id": chosen, "format": fmt.value, "items": len(exported)}
    if fmt is Format.spotify:
        summary["url"] = _to_spotify(exported, name)
    else:
        text = {Format.m3u: lambda: exports.to_m3u(exported, name), Format.csv: lambda: exports.to_csv(exported),
                Format.json: lambda: exports.to_json(chosen, exported)}[fmt]()
        if output is None:
            sys.stdout.write(text)
            return
        try:
            exports.write_atomically(output, text, overwrite=force)
        except OSError as error:
            raise UserError(f"cannot write {output}: {error.strerror}") from None
        summary["output"] = str(output)
    if as_json:
        print_json(summary)
    elif fmt is Format.spotify:
        console.print(f"Playlist with {len(exported)} songs: {summary['url']}", markup=False, highlight=False)
    else:
        console.print(f"Wrote {len(exported)} {'songs' if fmt is Format.m3u else 'suggestions'} to {output}",
                      markup=False, highlight=False)
