"""Music and movie suggestions for a mood, and the API logins behind them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from assistant.cli import options, state
from assistant.cli.output import console, err_console, print_json, print_note
from recognizer.classes import EMOTIONS
from recommenders.service import MAX_LIMIT, Recommendations, Suggestions
from recommenders.spotify_auth import LOGIN_WAIT_S, login, login_status, token_file
from recommenders.tmdb import ATTRIBUTION


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
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
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
    _print_tables(suggestions)


def _print_tables(suggestions: Suggestions) -> None:
    console.print(f"[bold]{suggestions.mood}[/bold] · {suggestions.strategy} · {suggestions.source}", highlight=False)
    music = Table(title=f"Music ({_marked(suggestions.music_source)})", title_justify="left")
    for column in ("Title", "Artist", "Genre"):
        music.add_column(column)
    for track in suggestions.music:
        music.add_row(Text(track.title), Text(track.artist), Text(track.genre))
    movies = Table(title=f"Movies ({_marked(suggestions.movie_source)})", title_justify="left")
    for column in ("Title", "Year", "Genres"):
        movies.add_column(column)
    for movie in suggestions.movies:
        movies.add_row(Text(movie.title), str(movie.year or ""), Text(", ".join(movie.genres)))
    console.print(music, movies)
    if suggestions.shows_tmdb:
        console.print(ATTRIBUTION, style="dim", highlight=False)
    for note in suggestions.notes:
        print_note(note)


def _marked(source: str) -> str:
    return "offline" if source == "offline catalog" else source


auth_app = typer.Typer(help="Log in to Spotify and see which API keys are configured (secrets are never shown).",
                       no_args_is_help=True)


@auth_app.command("spotify")
def auth_spotify(
    timeout: float = typer.Option(LOGIN_WAIT_S, "--timeout", metavar="SECONDS",
                                  help="How long to wait for the login in the browser."),
) -> None:
    """Log in to your Spotify account in the browser, to export suggestions as playlists.

    Needs SPOTIPY_CLIENT_ID (PKCE: no secret) and the spotify.redirect_uri setting as a redirect URI of the app.

    The default is http://127.0.0.1:8888/callback: Spotify refuses localhost. Without a browser on this
    machine (a server, SSH), open the printed address elsewhere and forward the port (ssh -L 8888:127.0.0.1:8888).
    """
    options.check_seconds("--timeout", timeout)
    settings = state.settings()

    def show(url: str) -> None:
        err_console.print(f"Open this address to log in to Spotify (waiting up to {timeout:g} s for "
                          f"{settings.spotify.redirect_uri}):\n{url}", markup=False, highlight=False, soft_wrap=True)

    name = login(settings.spotify, settings.recommend.budget_s, wait_s=timeout, show_url=show)
    console.print(f"Logged in to Spotify as {name}; token saved to {token_file()} (readable only by you).",
                  markup=False, highlight=False, soft_wrap=True)


@auth_app.command("status")
def auth_status() -> None:
    """Say which keys and logins are configured, without showing any of them."""
    settings = state.settings()
    login = login_status()
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("SPOTIPY_CLIENT_ID", _is_set("SPOTIPY_CLIENT_ID"))
    table.add_row("SPOTIPY_CLIENT_SECRET", _is_set("SPOTIPY_CLIENT_SECRET"))
    if login.logged_in:
        expiry = "" if login.expires_in_s is None else (
            f", access token renews itself (expired {-login.expires_in_s} s ago)" if login.expires_in_s < 0
            else f", access token valid {login.expires_in_s // 60} min more")
        table.add_row("Spotify login", f"logged in ({login.scopes or 'no scopes'}{expiry}); {login.token_file}")
    else:
        table.add_row("Spotify login", "not logged in (assistant auth spotify); only needed to export playlists")
    table.add_row("TMDB_READ_ACCESS_TOKEN", _is_set("TMDB_READ_ACCESS_TOKEN"))
    table.add_row("TMDB_API_KEY", _is_set("TMDB_API_KEY"))
    table.add_row("Spotify API", settings.spotify.api_base)
    table.add_row("Spotify accounts", settings.spotify.accounts_base)
    table.add_row("TMDB API", settings.tmdb.api_base)
    table.add_row("offline setting", "on: the catalog only" if settings.recommend.offline else "off")
    console.print(table)


def _is_set(variable: str) -> str:
    return "set" if os.environ.get(variable, "").strip() else "not set"


def register(app: typer.Typer) -> None:
    app.command()(recommend)
    app.add_typer(auth_app, name="auth")
