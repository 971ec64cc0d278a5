"""Queue a round's tracks on the person's active Spotify device (`assistant start --play`).

Spotify's player API needs a Premium account and a device that is playing (or was just
now): ``GET /me/player/devices`` names the active one and ``POST /me/player/queue`` adds
one track a call. Every fault is a one-line note for the session, never an exception, and
a round's queueing never takes longer than the budget (a 429 asking for an hour is not
waited; a queue POST that failed with a 5xx is not repeated, it may have been carried out).

Skips are not read back as dismissals: the API can only be polled (``currently-playing``
every few seconds, itself rate-limited), so a track skipped within its first seconds is
often never seen playing, and a track that is seen briefly cannot be told from one the
person moved on from for another reason.
"""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

import spotipy
from spotipy.oauth2 import SpotifyPKCE

from config.settings import SpotifySettings
from recommenders.base import Track
from recommenders.faults import Deadline, Failure, ServiceFault, call_with_backoff
from recommenders.spotify import describe, describe_post, spotify_client

T = TypeVar("T")
NOTE = "play"  # notes read "play: ..."; the session shows them with the recommenders' own


def _player_reason(error: Exception) -> Failure | None:
    """The player API's own reasons, which say more than the HTTP status does."""
    if not isinstance(error, spotipy.SpotifyException):
        return None
    if error.reason == "PREMIUM_REQUIRED":
        return Failure("playing needs a Premium account (HTTP 403 PREMIUM_REQUIRED)")
    if error.reason == "NO_ACTIVE_DEVICE":  # the device went idle between listing and queueing
        return Failure("no active device (HTTP 404 NO_ACTIVE_DEVICE); start playing on a phone or computer")
    if error.http_status == 401:
        return Failure("rejected the login (HTTP 401); run `assistant auth spotify` again")
    return None


def _describe_read(error: Exception) -> Failure:
    return _player_reason(error) or describe(error)


def _describe_queue(error: Exception) -> Failure:
    return _player_reason(error) or describe_post(error)


class Player:
    """Adds tracks to the queue of the logged-in person's active device.

    ``auth`` comes from ``spotify_auth.logged_in_auth(..., need="playback")``. One instance
    is used by one thread (the session's suggestion worker).
    """

    def __init__(self, auth: SpotifyPKCE, settings: SpotifySettings, budget_s: float) -> None:
        self._auth, self._budget_s = auth, budget_s
        self._client = spotify_client(auth, settings, budget_s)

    def queue(self, tracks: Sequence[Track]) -> str | None:
        """Queue the tracks that have a Spotify URI, in order; returns the note to show
        (what was queued where, or why not), or None when no track has a URI (offline
        suggestions: the music note already says why)."""
        uris = list(dict.fromkeys(track.uri for track in tracks if track.uri))
        if not uris:
            return None
        deadline = Deadline(self._budget_s)
        queued = 0
        try:
            name, device_id = self._active_device(deadline)
            for uri in uris:
                self._run(lambda uri=uri: self._client.add_to_queue(uri, device_id), deadline, _describe_queue)
                queued += 1
        except ServiceFault as fault:
            done = f"queued {queued} of {len(uris)} tracks, then " if queued else ""
            return f"{NOTE}: {done}{fault}; the session goes on without playing"
        return f"{NOTE}: queued {queued} tracks on {name}"

    def _active_device(self, deadline: Deadline) -> tuple[str, str]:
        answer = self._run(self._client.devices, deadline, _describe_read)
        if not isinstance(answer, dict) or not isinstance(answer.get("devices"), list):
            raise ServiceFault("Spotify: malformed response (not the JSON expected)")
        for device in answer["devices"]:
            if isinstance(device, dict) and device.get("is_active") and device.get("id"):
                if device.get("is_restricted"):
                    raise ServiceFault(f"Spotify: the active device {device.get('name')!r} accepts no commands")
                return str(device.get("name") or "the active device"), str(device["id"])
        raise ServiceFault("Spotify: no device is playing; start playing on a phone or computer")

    def _run(self, request: Callable[[], T], deadline: Deadline, describe_fault: Callable[[Exception], Failure]) -> T:
        def call(timeout_s: float) -> T:
            self._auth.requests_timeout = self._client.requests_timeout = timeout_s
            return request()
        return call_with_backoff(call, deadline, describe_fault, "Spotify")
