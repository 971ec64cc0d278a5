"""The one entry point for suggestions, used by the live session and by `assistant recommend`.

Given a mood, a strategy, a round number and what the session already suggested, it asks
Spotify and TMDB (at the same time, each within the budget) and answers from the offline
catalog for whichever of them has no keys or fails, saying why in a one-line note.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Generic, Literal

from config.errors import UserError
from config.settings import Settings
from recommenders.base import Item, Movie, Recommender, Track
from recommenders.cache import ResponseCache
from recommenders.catalog import OfflineMovies, OfflineMusic, load_catalog
from recommenders.faults import ServiceFault
from recommenders.policy import Choice, load_policy
from recommenders.spotify import SpotifyCredentials, SpotifyMusic
from recommenders.taste import Taste
from recommenders.tmdb import ATTRIBUTION, TmdbCredentials, TmdbMovies

MAX_LIMIT = 50
# A source's own calls stop by the budget; this covers the thread noticing and returning.
GRACE_S = 0.5


@dataclass(frozen=True)
class Suggestions:
    mood: str
    strategy: str
    music: tuple[Track, ...]
    movies: tuple[Movie, ...]
    music_source: str  # "Spotify" or "offline catalog"
    movie_source: str  # "TMDB" or "offline catalog"
    notes: tuple[str, ...]

    @property
    def source(self) -> Literal["online", "offline"]:
        """"online" only when nothing came from the offline catalog, which is always marked."""
        offline = "offline catalog" in (self.music_source, self.movie_source)
        return "offline" if offline else "online"

    @property
    def shows_tmdb(self) -> bool:
        """Whether TMDB's attribution must be shown next to these suggestions."""
        return self.movie_source == "TMDB" and bool(self.movies)

    def keys(self) -> set[str]:
        """Add these to the session's "already suggested" set."""
        return {item.key for item in (*self.music, *self.movies)}

    def to_json(self) -> dict:
        """The shape `assistant recommend --json` prints; TMDB's attribution travels in the notes."""
        notes = [*self.notes, ATTRIBUTION] if self.shows_tmdb else list(self.notes)
        return {"mood": self.mood, "strategy": self.strategy, "source": self.source,
                "music": [track.to_json() for track in self.music],
                "movies": [movie.to_json() for movie in self.movies], "notes": notes}


class Recommendations:
    """Sources chosen once (keys are read from the environment here), asked every round."""

    def __init__(self, settings: Settings, *, offline: bool | None = None, rng: random.Random | None = None,
                 taste: Taste | None = None) -> None:
        """``taste``: what this person has liked and dismissed, to steer each round by; None
        for the policy alone. Only the thread that calls `suggest` may change it."""
        self.policy = load_policy(settings.recommend.policy or None)
        self.taste = taste
        rng = rng or random.Random()
        catalog = load_catalog()
        self._offline_music = OfflineMusic(catalog, random.Random(rng.random()))
        self._offline_movies = OfflineMovies(catalog, random.Random(rng.random()))
        self._rng = random.Random(rng.random())  # the taste's draws
        self._music: Recommender[Track] = self._offline_music
        self._movies: Recommender[Movie] = self._offline_movies
        self._setup_notes: list[str] = []
        self._budget_s = settings.recommend.budget_s
        if settings.recommend.offline if offline is None else offline:
            self._setup_notes.append("offline mode: suggestions from the built-in catalog")
            return
        cache, budget = ResponseCache(settings.recommend.cache_ttl_s), self._budget_s
        spotify = SpotifyCredentials.from_env()
        if spotify is None:
            self._setup_notes.append("music: no Spotify keys (set SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET); "
                                     "offline catalog")
        else:
            self._music = SpotifyMusic(settings.spotify, spotify, cache, budget, random.Random(rng.random()))
        tmdb = TmdbCredentials.from_env()
        if tmdb is None:
            self._setup_notes.append("movies: no TMDB key (set TMDB_READ_ACCESS_TOKEN or TMDB_API_KEY); "
                                     "offline catalog")
        else:
            self._movies = TmdbMovies(settings.tmdb, tmdb, cache, budget, random.Random(rng.random()))

    def suggest(self, mood: str, strategy: str, *, limit: int, round_no: int = 0,
                seen: frozenset[str] | set[str] = frozenset()) -> Suggestions:
        """Up to ``limit`` tracks and ``limit`` movies for round ``round_no`` (0 = first) of a
        session, none of whose keys is in ``seen``. Never raises for a source's fault."""
        if not 1 <= limit <= MAX_LIMIT:
            raise UserError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        choice = self.policy.choice(mood, strategy, round_no)
        seen = frozenset(seen)
        if self.taste is not None:
            choice = self.taste.steer(choice, mood, strategy, limit, self._rng)
            seen |= self.taste.excluded(self._rng)
        # Both asked at once, each in a daemon thread: the round ends by the budget (plus a
        # little grace) even if a call is stuck where no timeout reaches, such as a DNS
        # lookup, and a stuck thread cannot hold up the program's exit either.
        until = time.monotonic() + self._budget_s + GRACE_S
        music = _Attempt(self._music, choice, limit, seen)
        movies = _Attempt(self._movies, choice, limit, seen)
        tracks, music_source, music_notes = music.settle(until, self._offline_music, "music")
        films, movie_source, movie_notes = movies.settle(until, self._offline_movies, "movies")
        return Suggestions(mood=mood, strategy=strategy, music=tuple(tracks), movies=tuple(films),
                           music_source=music_source, movie_source=movie_source,
                           notes=(*self._setup_notes, *music_notes, *movie_notes))


class _Attempt(Generic[Item]):
    """One source's answer to one round, asked in a daemon thread when the source is online."""

    def __init__(self, source: Recommender[Item], choice: Choice, limit: int, seen: frozenset[str]) -> None:
        self.source, self.choice, self.limit, self.seen = source, choice, limit, seen
        self.items: list[Item] = []
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"recommend-{source.name}")
        if source.online:
            self._thread.start()

    def _run(self) -> None:
        try:
            self.items = self.source.suggest(self.choice, self.limit, self.seen)
        except Exception as error:  # noqa: BLE001 - reported by settle() as one line
            self.error = error

    def settle(self, until: float, fallback: Recommender[Item], kind: str) -> tuple[list[Item], str, list[str]]:
        """The online answer if it came in time, else the offline catalog's, with a note why."""
        notes: list[str] = []
        if self.source.online:
            self._thread.join(max(0.0, until - time.monotonic()))
            name = self.source.name
            if self._thread.is_alive():
                notes.append(f"{kind}: {name}: no answer within the time budget; offline catalog instead")
            elif isinstance(self.error, ServiceFault):
                notes.append(f"{kind}: {self.error}; offline catalog instead")
            elif self.error is not None:  # a surprise from a client is still one line, not a traceback
                notes.append(f"{kind}: {name}: unexpected {type(self.error).__name__}; offline catalog instead")
            elif self.items:
                return self.items, name, notes
            else:
                notes.append(f"{kind}: {name} had nothing new for this choice; offline catalog instead")
        items = fallback.suggest(self.choice, self.limit, self.seen)
        if len(items) < self.limit:
            notes.append(f"{kind}: the offline catalog has only {len(items)} new for this choice")
        return items, fallback.name, notes
