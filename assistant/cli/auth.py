"""`assistant auth ...`: the Spotify login, and which API keys are configured (never their values)."""

from __future__ import annotations

import os

import typer

from assistant.cli import options, state
from assistant.cli.output import console, err_console
from assistant.ui.tables import status_table
from recommenders.spotify_auth import LOGIN_WAIT_S, login, login_status, token_file

app = typer.Typer(help="Log in to Spotify and see which API keys are configured (secrets are never shown).",
                       no_args_is_help=True)


@app.command("spotify")
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


@app.command("status")
def auth_status() -> None:
    """Say which keys and logins are configured, without showing any of them."""
    settings = state.settings()
    login = login_status()
    status: dict[str, str] = {}
    status["SPOTIPY_CLIENT_ID"] = _is_set("SPOTIPY_CLIENT_ID")
    status["SPOTIPY_CLIENT_SECRET"] = _is_set("SPOTIPY_CLIENT_SECRET")
    if login.logged_in:
        expiry = "" if login.expires_in_s is None else (
            f", access token renews itself (expired {-login.expires_in_s} s ago)" if login.expires_in_s < 0
            else f", access token valid {login.expires_in_s // 60} min more")
        status["Spotify login"] = f"logged in ({login.scopes or 'no scopes'}{expiry}); {login.token_file}"
    else:
        status["Spotify login"] = "not logged in (assistant auth spotify); only needed to export playlists"
    status["TMDB_READ_ACCESS_TOKEN"] = _is_set("TMDB_READ_ACCESS_TOKEN")
    status["TMDB_API_KEY"] = _is_set("TMDB_API_KEY")
    status["Spotify API"] = settings.spotify.api_base
    status["Spotify accounts"] = settings.spotify.accounts_base
    status["TMDB API"] = settings.tmdb.api_base
    status["offline setting"] = "on: the catalog only" if settings.recommend.offline else "off"
    console.print(status_table(status))


def _is_set(variable: str) -> str:
    return "set" if os.environ.get(variable, "").strip() else "not set"
