"""The user's Spotify login (Authorization Code with PKCE), needed to export playlists and to
queue suggestions on the user's device (`start --play`).

PKCE needs the app's client id but not its secret. Spotify refuses ``localhost`` redirects,
so the redirect is a loopback IP such as ``http://127.0.0.1:8888/callback``, where spotipy
listens once for the browser. The token is cached in the platform's data dir in a file only
the user can read (created 0600, never chmod-ed after the fact, and replaced whole by a rename).
"""

from __future__ import annotations

import json
import os
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import platformdirs
from spotipy import SpotifyException
from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyOauthError, SpotifyPKCE

from config.errors import UserError
from config.settings import SpotifySettings
from recommenders.cache import write_private_json
from recommenders.faults import DeadlineSession, register_secret, scrub
from recommenders.login_listener import RedirectListener, new_state
from recommenders.spotify import accounts_url, describe, spotify_client

PLAYLIST_SCOPES = "playlist-modify-private playlist-modify-public"
PLAYBACK_SCOPES = "user-modify-playback-state user-read-playback-state"
# A login asks for everything; a command checks only what it needs, so a login made before
# playback existed still exports playlists.
SCOPES = f"{PLAYLIST_SCOPES} {PLAYBACK_SCOPES}"
PERMISSIONS = {"playlist": PLAYLIST_SCOPES, "playback": PLAYBACK_SCOPES}
# How long `auth spotify` waits for the person to log in, unless --timeout says otherwise.
LOGIN_WAIT_S = 300.0


def token_file() -> Path:
    return Path(platformdirs.user_data_dir("assistant")) / "spotify-token.json"


class PrivateTokenFile(CacheHandler):
    """spotipy's token cache, but the file is born 0600 in a 0700 dir (spotipy's own writes
    it with the umask's mode first and chmods afterwards)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get_cached_token(self) -> dict | None:
        try:
            token = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(token, dict):
            register_secret(token.get("access_token"))
            register_secret(token.get("refresh_token"))
            return token
        return None

    def save_token_to_cache(self, token_info: dict) -> None:
        register_secret(token_info.get("access_token"))
        register_secret(token_info.get("refresh_token"))
        # Renamed over the old file: a crash mid-refresh leaves the old login whole, not an empty file.
        write_private_json(self.path, token_info, durable=True)


def require_client_id() -> str:
    """The app's client id; the login needs no secret (that is the point of PKCE)."""
    client_id = os.environ.get("SPOTIPY_CLIENT_ID", "").strip()
    if not client_id:
        raise UserError("SPOTIPY_CLIENT_ID is not set: create an app in Spotify's developer dashboard and "
                        "export its client id")
    return client_id


class SavedLogin(SpotifyPKCE):
    """The auth manager of a command that runs on a saved login: where spotipy would ask for
    a new one (the token file vanished mid-session) it fails instead of waiting on stdin."""

    def get_authorization_code(self, response: str | None = None) -> str:
        raise SpotifyOauthError("the saved login is gone; run `assistant auth spotify`")


def user_auth(settings: SpotifySettings, timeout_s: float, *, open_browser: bool = True,
              scope: str = SCOPES) -> SpotifyPKCE:
    """The PKCE auth manager on the configured accounts service, caching in ``token_file()``;
    ``scope`` is what a cached token must grant to be used."""
    redirect = urlparse(settings.redirect_uri)
    if redirect.hostname == "localhost":
        raise UserError(f"spotify.redirect_uri {settings.redirect_uri}: Spotify refuses localhost; "
                        "use a loopback IP such as http://127.0.0.1:8888/callback")
    kind = SpotifyPKCE if open_browser else SavedLogin
    auth = kind(client_id=require_client_id(), redirect_uri=settings.redirect_uri, scope=scope,
                cache_handler=PrivateTokenFile(token_file()), requests_timeout=timeout_s, open_browser=open_browser,
                requests_session=DeadlineSession())
    auth.OAUTH_AUTHORIZE_URL = accounts_url(settings, "authorize")
    auth.OAUTH_TOKEN_URL = accounts_url(settings, "api/token")
    return auth


def login(settings: SpotifySettings, timeout_s: float, *, wait_s: float = LOGIN_WAIT_S,
          show_url: Callable[[str], None] = lambda url: None) -> str:
    """Show the consent page's address (``show_url``) and open it in a browser where there is one,
    wait up to ``wait_s`` for the redirect (`login_listener`), cache the token; returns the name
    of the account that logged in."""
    auth = user_auth(settings, timeout_s)
    state = new_state()
    url = auth.get_authorize_url(state)
    with RedirectListener(settings.redirect_uri, state) as listener:
        show_url(url)  # first: on a server or over SSH no browser opens, and this is the way in
        try:
            webbrowser.open(url)
        except webbrowser.Error:
            pass  # the address is on the terminal already
        code = listener.wait(wait_s)
    try:
        auth.get_access_token(code, check_cache=False)
        profile = spotify_client(auth, settings, timeout_s).me()
    except Exception as error:  # noqa: BLE001 - one line, never a traceback
        if isinstance(error, SpotifyException) and error.http_status == 403:
            reason = scrub(describe(error).reason)
            hint = "" if "Premium" in reason else (
                "; a development-mode app works only for the accounts (at most 5) listed under User Management "
                "in the developer dashboard")
            raise UserError(f"Spotify refused this login: {reason}{hint}") from None
        raise UserError(f"Spotify login failed: {scrub(describe(error).reason)}") from None
    if not isinstance(profile, dict):
        raise UserError("Spotify login failed: malformed response from /me")
    return str(profile.get("display_name") or profile.get("id") or "unknown user")


def logged_in_auth(settings: SpotifySettings, timeout_s: float,
                   need: Literal["playlist", "playback"] = "playlist") -> SpotifyPKCE:
    """The auth manager for a user who already logged in with the ``need`` permissions
    ("playlist" or "playback"); never starts an interactive login (which would wait for a
    browser), so a command can fail fast instead."""
    auth = user_auth(settings, timeout_s, open_browser=False, scope=PERMISSIONS[need])
    token = auth.cache_handler.get_cached_token()
    if not token or not token.get("refresh_token"):
        raise UserError("not logged in to Spotify: run `assistant auth spotify` first")
    try:
        valid = auth.validate_token(token)  # refreshes an expired token: a network call
    except Exception as error:  # noqa: BLE001 - one line, never a traceback
        raise UserError(f"cannot renew the saved Spotify login ({scrub(describe(error).reason)}); "
                        "try again, or run `assistant auth spotify`") from None
    if valid is None:
        raise UserError(f"the saved Spotify login lacks {need} permissions: run `assistant auth spotify` again")
    return auth


@dataclass(frozen=True)
class LoginStatus:
    token_file: Path
    logged_in: bool
    expires_in_s: int | None
    scopes: str


def login_status() -> LoginStatus:
    """What the cached login says, read locally (no network, no secret in the result)."""
    path = token_file()
    token = PrivateTokenFile(path).get_cached_token()
    if not token:
        return LoginStatus(path, False, None, "")
    expires_at = token.get("expires_at")
    expires_in = int(expires_at - time.time()) if isinstance(expires_at, (int, float)) else None
    return LoginStatus(path, bool(token.get("refresh_token")), expires_in, str(token.get("scope", "")))
