"""What every source of suggestions shares: the items, the one protocol, and how a list is picked.

Spotify, TMDB and the offline catalog all answer the same question (this policy choice,
this many items, none of these again), so the service and the tests can swap them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Callable, Hashable, Iterable, Iterator, Protocol, Sequence, TypeVar

if TYPE_CHECKING:
    from recommenders.policy import Choice

# Diversity: a list with three songs by one artist feels like a playlist of that artist.
MAX_PER_ARTIST = 2


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def track_key(artist: str, title: str) -> str:
    """Identity for "already suggested": the song, not the release, so a remaster or the
    offline catalog's copy of a Spotify result still counts as a repeat."""
    return f"track:{_fold(artist)}|{_fold(title)}"


def movie_key(title: str, year: int | None) -> str:
    return f"movie:{_fold(title)}|{year or ''}"


@dataclass(frozen=True)
class Track:
    title: str
    artist: str
    genre: str
    uri: str | None = None

    @property
    def key(self) -> str:
        return track_key(self.artist, self.title)

    def to_json(self) -> dict:
        data = asdict(self)
        if self.uri is None:
            del data["uri"]
        return data


@dataclass(frozen=True)
class Movie:
    title: str
    year: int | None
    genres: tuple[str, ...]
    tmdb_id: int | None = None

    @property
    def key(self) -> str:
        return movie_key(self.title, self.year)

    def to_json(self) -> dict:
        data = {"title": self.title, "year": self.year, "genres": list(self.genres)}
        if self.tmdb_id is not None:
            data["tmdb_id"] = self.tmdb_id
        return data


Item = TypeVar("Item", Track, Movie)
ItemT_co = TypeVar("ItemT_co", Track, Movie, covariant=True)


class Recommender(Protocol[ItemT_co]):
    """One source of one kind of item (Spotify and the offline music catalog give tracks,
    TMDB and the offline movie catalog give movies)."""

    #: Shown to the user: "Spotify", "TMDB" or "offline catalog".
    name: str
    #: True for the network sources, whose faults send the service to the offline catalog.
    online: bool

    def suggest(self, choice: Choice, limit: int, seen: frozenset[str]) -> list[ItemT_co]:
        """At most ``limit`` items for ``choice`` whose keys are not in ``seen``.

        Online sources raise ``recommenders.faults.ServiceFault`` with a one-line reason.
        """
        ...


Genre = TypeVar("Genre", bound=Hashable)


def genre_groups(genres: Sequence[Genre], items_of: Callable[[Genre], Iterable[Item]]) -> list[Iterator[Item]]:
    """The groups `pick` takes turns over: one per entry of ``genres``, and one shared stream
    of items per distinct genre, so a genre a choice names twice (the taste gave it two
    slots) gets two turns in each cycle without the same items twice."""
    streams = {genre: iter(items_of(genre)) for genre in dict.fromkeys(genres)}
    return [streams[genre] for genre in genres]


def pick(groups: Sequence[Iterable[Item]], limit: int, seen: frozenset[str]) -> list[Item]:
    """Up to ``limit`` new items, taking from each group (one per genre slot) in turn.

    Round-robin keeps a three-genre choice from becoming all one genre; an item already in
    ``seen`` or already picked is skipped, and no artist gets more than MAX_PER_ARTIST.
    """
    iterators = [iter(group) for group in groups]
    picked: list[Item] = []
    keys: set[str] = set(seen)
    per_artist: dict[str, int] = {}
    while iterators and len(picked) < limit:
        for iterator in list(iterators):
            item = _next_acceptable(iterator, keys, per_artist)
            if item is None:
                iterators.remove(iterator)
                continue
            picked.append(item)
            keys.add(item.key)
            if isinstance(item, Track):
                artist = _fold(item.artist)
                per_artist[artist] = per_artist.get(artist, 0) + 1
            if len(picked) == limit:
                break
    return picked


def _next_acceptable(iterator: Iterator[Item], keys: set[str], per_artist: dict[str, int]) -> Item | None:
    for item in iterator:
        if item.key in keys:
            continue
        if isinstance(item, Track) and per_artist.get(_fold(item.artist), 0) >= MAX_PER_ARTIST:
            continue
        return item
    return None
