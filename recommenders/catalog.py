"""The offline catalog: suggestions with no keys and no network, from ``catalog.toml``.

Everything in it is a real, well-known song or film; it carries no Spotify URI or TMDB id,
because an identifier that is not looked up would be a guess.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from recommenders.base import Movie, Track, genre_groups, pick
from recommenders.policy import TMDB_GENRES, Choice

CATALOG_FILE = Path(__file__).resolve().parent / "catalog.toml"


@dataclass(frozen=True)
class CatalogMovie:
    movie: Movie
    genre_ids: frozenset[int]


@dataclass(frozen=True)
class Catalog:
    tracks: Mapping[str, tuple[Track, ...]]  # Spotify genre name -> tracks
    movies: tuple[CatalogMovie, ...]

    def movies_of(self, genre_id: int, avoid: tuple[int, ...] = ()) -> list[Movie]:
        return [entry.movie for entry in self.movies
                if genre_id in entry.genre_ids and not entry.genre_ids.intersection(avoid)]


@lru_cache(maxsize=1)
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    """The shipped catalog (read once per process: the live session asks every round)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    tracks = {genre: tuple(Track(title=t["title"], artist=t["artist"], genre=genre) for t in entries)
              for genre, entries in data["music"].items()}
    movies = tuple(
        CatalogMovie(Movie(title=m["title"], year=m["year"], genres=tuple(TMDB_GENRES[g] for g in m["genres"])),
                     frozenset(m["genres"]))
        for m in data["movies"])
    return Catalog(tracks=tracks, movies=movies)


class OfflineMusic:
    """Tracks of the policy's genres, in a shuffled order so two sessions differ."""

    name = "offline catalog"
    online = False

    def __init__(self, catalog: Catalog, rng: random.Random) -> None:
        self._catalog, self._rng = catalog, rng

    def suggest(self, choice: Choice, limit: int, seen: frozenset[str]) -> list[Track]:
        tracks = self._catalog.tracks
        genres = [genre for genre in choice.music if genre in tracks]
        return pick(genre_groups(genres, lambda genre: self._rng.sample(tracks[genre], len(tracks[genre]))),
                    limit, seen)


class OfflineMovies:
    """Films of the policy's TMDB genres, in a shuffled order so two sessions differ."""

    name = "offline catalog"
    online = False

    def __init__(self, catalog: Catalog, rng: random.Random) -> None:
        self._catalog, self._rng = catalog, rng

    def suggest(self, choice: Choice, limit: int, seen: frozenset[str]) -> list[Movie]:
        def shuffled(genre_id: int) -> list[Movie]:
            films = self._catalog.movies_of(genre_id, choice.avoid_movies)
            return self._rng.sample(films, len(films))

        return pick(genre_groups(choice.movies, shuffled), limit, seen)
