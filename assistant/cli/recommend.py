"""`assistant recommend`: music and movie suggestions for a mood, without a session."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from assistant.cli import options, state
from assistant.cli.output import console, print_json, print_note
from assistant.ui.suggestions import render_suggestions
from recognizer.classes import EMOTIONS
from recommenders.service import MAX_LIMIT, Recommendations


def recommend(
    mood: str = typer.Option(..., "--mood", help=f"The mood to suggest for: {', '.join(EMOTIONS)}."),
    strategy: Optional[str] = typer.Option(None, "--strategy", help="match (suits the mood), uplift (starts with the "
                                           "mood, then moves towards positive, calmer choices round by round) or calm "
                                           "(lower arousal whatever the mood). Default: the session.strategy setting."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, max=MAX_LIMIT,
                                        help="Tracks and movies to suggest, each. Default: session.suggestion_limit."),
    round_no: int = typer.Option(0, "--round", min=0, help="Round of a session, from 0: uplift moves a step a round."),
    offline: bool = typer.Option(False, "--offline", help="Only the built-in catalog: no network, no keys needed."),
    db: Optional[Path] = options.db_option(),
    no_learning: bool = options.no_learning_option(),
    as_json: bool = options.json_option("the suggestions"),
) -> None:
    """Suggest music (Spotify) and movies (TMDB) for a mood, or from the offline catalog.

    Spotify needs SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET; TMDB needs TMDB_READ_ACCESS_TOKEN or TMDB_API_KEY.

    Without them, or when a service fails, the offline catalog answers and a note says why.

    The genres follow the taste learned from your ratings in the session database (see `assistant taste`).
    """
    from assistant.storage.database import db_path
    from assistant.storage.taste import load_taste

    settings = state.settings()
    taste = load_taste(db_path(db)) if settings.recommend.learn and not no_learning else None
    service = Recommendations(settings, offline=offline or None, taste=taste)
    suggestions = service.suggest(mood, strategy or settings.session.strategy,
                                  limit=limit or settings.session.suggestion_limit, round_no=round_no)
    if as_json:
        print_json(suggestions.to_json())
        return
    for part in render_suggestions(suggestions):
        console.print(part)
    for note in suggestions.notes:
        print_note(note)
