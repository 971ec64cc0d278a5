"""Save suggested tracks as a playlist in the user's Spotify account.

Uses the 2026 endpoints: POST /me/playlists (spotipy's ``current_user_playlist_create``)
and POST /playlists/{id}/items (``playlist_add_items``); the installed spotipy (2.26)
already calls exactly these, so no private spotipy API is needed.
"""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

from spotipy.oauth2 import SpotifyPKCE

from config.errors import UserError
from config.settings import SpotifySettings
from recommenders.base import Track
from recommenders.faults import Deadline, call_with_backoff
from recommenders.spotify import describe_post, spotify_client

ITEMS_PER_CALL = 100  # the most /playlists/{id}/items accepts in one request
T = TypeVar("T")


def export_playlist(tracks: Sequence[Track], name: str, auth: SpotifyPKCE, settings: SpotifySettings, *,
                    budget_s: float = 10.0, description: str = "", public: bool = False) -> str:
    """Create playlist ``name`` with the tracks that have a Spotify URI; returns its web URL.

    ``auth`` comes from ``spotify_auth.logged_in_auth``. Offline-catalog tracks have no URI
    and are left out; if none has one, nothing is created. Faults raise a one-line
    ``ServiceFault`` (a UserError) within ``budget_s``.
    """
    uris = list(dict.fromkeys(track.uri for track in tracks if track.uri))
    if not uris:
        raise UserError("none of these tracks has a Spotify URI (offline suggestions cannot be exported)")
    client = spotify_client(auth, settings, budget_s)
    deadline = Deadline(budget_s)

    def run(request: Callable[[], T]) -> T:
        def call(timeout_s: float) -> T:
            auth.requests_timeout = client.requests_timeout = timeout_s
            return request()
        return call_with_backoff(call, deadline, describe_post, "Spotify")

    playlist = run(lambda: client.current_user_playlist_create(name, public=public, description=description))
    try:
        playlist_id, url = playlist["id"], playlist["external_urls"]["spotify"]
    except (TypeError, KeyError):
        raise UserError("Spotify: malformed response to creating the playlist") from None
    for start in range(0, len(uris), ITEMS_PER_CALL):
        chunk = uris[start:start + ITEMS_PER_CALL]
        run(lambda chunk=chunk: client.playlist_add_items(playlist_id, chunk))
    return url
