"""A person's taste, learned from likes and dismissals: Beta–Bernoulli Thompson sampling per genre.

The model. A context is (mood, strategy, kind): what someone wants to hear when sad and
being uplifted need not be what they want when happy, and music and films are separate.
In a context, each genre g that the policy offers there has an unknown chance θ_g that
the person likes an item of that genre. Every rating is a Bernoulli observation of θ_g:
a like is a success, a dismissal a failure. Items shown and not rated are no evidence.

Prior: the policy's table. It decides which genres are arms at all (a genre the policy
does not offer for a mood is never tried for it) and ranks none above another, so each
starts at θ_g ~ Beta(α0, β0) with α0 = β0 = 1: uniform, worth two ratings. With L likes
and D dismissals the posterior is Beta(α0 + L, β0 + D) (the Beta is conjugate to the
Bernoulli), with mean (α0 + L) / (α0 + β0 + L + D). A film has several genres; a rating
counts for each of them.

Each round (Thompson sampling, with one draw per slot): each of the ``limit`` slots draws
θ̃_g from every offered genre's posterior and goes to the genre with the largest draw. A
genre thus gets slots in proportion to the probability that it is the person's best, so
an uncertain genre keeps being tried (the policy still explores), a clearly disliked one
fades without ever being ruled out, and a clear favourite fills most of the list. Until a
context has any rating the policy's own round-robin is used unchanged.

Items: a dismissed item is never suggested again; a liked one returns in a round with
probability LIKED_RETURN_P (rarely, so favourites resurface without crowding out new things).

Plain data only: the assistant reads the counts from its database and passes them in.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace
from typing import Callable, Literal, Sequence, TypeVar

from recognizer.classes import EMOTIONS
from recommenders.policy import STRATEGIES, TMDB_GENRES, Choice, Policy

Verdict = Literal["like", "dismiss"]
VERDICTS: tuple[Verdict, ...] = ("like", "dismiss")
KINDS = ("music", "movie")
PRIOR_LIKES = 1.0  # α0
PRIOR_DISMISSALS = 1.0  # β0
LIKED_RETURN_P = 0.1

#: (mood, strategy, kind, genre); movie genres by their English TMDB name, as suggestions record them.
CountKey = tuple[str, str, str, str]
Arm = TypeVar("Arm", str, int)


def genres_of(kind: str, genre: str | None) -> tuple[str, ...]:
    """The genres a rating of a recorded suggestion counts for: a song's one genre (the one it
    was found under), a film's every genre (recorded as "Comedy, Family")."""
    if not genre:
        return ()
    return (genre,) if kind == "music" else tuple(name.strip() for name in genre.split(",") if name.strip())


@dataclass(frozen=True)
class Counts:
    likes: int = 0
    dismissals: int = 0

    @property
    def ratings(self) -> int:
        return self.likes + self.dismissals

    @property
    def mean(self) -> float:
        """The posterior mean of θ: the like rate the model now expects of this genre."""
        return (PRIOR_LIKES + self.likes) / (PRIOR_LIKES + PRIOR_DISMISSALS + self.ratings)

    def rated(self, verdict: Verdict, previous: Verdict | None = None) -> Counts:
        """These counts with ``verdict`` added and ``previous``, the verdict it replaces (a like
        changed to a dismissal), taken back: an item counts once however often it is rated."""
        likes = self.likes + (verdict == "like") - (previous == "like")
        dismissals = self.dismissals + (verdict == "dismiss") - (previous == "dismiss")
        return Counts(max(likes, 0), max(dismissals, 0))


@dataclass
class Taste:
    """Counts per (mood, strategy, kind, genre) and the items rated (by `recommenders.base` key)."""

    counts: dict[CountKey, Counts] = field(default_factory=dict)
    dismissed: set[str] = field(default_factory=set)
    liked: set[str] = field(default_factory=set)

    def counts_of(self, mood: str, strategy: str, kind: str, genre: str) -> Counts:
        return self.counts.get((mood, strategy, kind, genre), Counts())

    def learn(self, mood: str, strategy: str, kind: str, genres: Sequence[str], key: str, verdict: Verdict,
              previous: Verdict | None = None) -> None:
        """One rating of an item of ``genres``, replacing ``previous`` if it was rated before."""
        for genre in genres:
            counts = self.counts_of(mood, strategy, kind, genre)
            self.counts[(mood, strategy, kind, genre)] = counts.rated(verdict, previous)
        (self.liked if verdict == "like" else self.dismissed).add(key)
        (self.dismissed if verdict == "like" else self.liked).discard(key)

    def steer(self, choice: Choice, mood: str, strategy: str, limit: int, rng: random.Random) -> Choice:
        """The policy's ``choice`` with one genre per slot, sampled from the posteriors."""
        music = self._slots(choice.music, lambda genre: genre, mood, strategy, "music", limit, rng)
        movies = self._slots(choice.movies, lambda genre_id: TMDB_GENRES[genre_id], mood, strategy, "movie", limit, rng)
        return replace(choice, music=music, movies=movies)

    def _slots(self, arms: tuple[Arm, ...], name_of: Callable[[Arm], str], mood: str, strategy: str, kind: str,
               limit: int, rng: random.Random) -> tuple[Arm, ...]:
        posteriors = [self.counts_of(mood, strategy, kind, name_of(arm)) for arm in arms]
        if not any(counts.ratings for counts in posteriors):
            return arms
        return tuple(max(zip(arms, posteriors, strict=True), key=lambda pair: rng.betavariate(
            PRIOR_LIKES + pair[1].likes, PRIOR_DISMISSALS + pair[1].dismissals))[0] for _ in range(limit))

    def excluded(self, rng: random.Random) -> frozenset[str]:
        """Keys to leave out of this round: every dismissed item, and each liked one unless it is its turn to return."""
        return frozenset(self.dismissed) | {key for key in sorted(self.liked) if rng.random() >= LIKED_RETURN_P}


@dataclass(frozen=True)
class Preference:
    """What the taste says about one context: the genres the policy offers there, best first."""

    mood: str
    strategy: str
    kind: str
    genres: tuple[tuple[str, Counts], ...]

    @property
    def likes(self) -> int:
        return sum(counts.likes for _, counts in self.genres)

    @property
    def dismissals(self) -> int:
        return sum(counts.dismissals for _, counts in self.genres)


def offered(policy: Policy, mood: str, strategy: str, kind: str) -> tuple[str, ...]:
    """The genres the policy offers for a context in any of its steps, named as the taste counts them."""
    steps = policy.entries[(strategy, mood)]
    if kind == "music":
        return tuple(dict.fromkeys(genre for step in steps for genre in step.music))
    return tuple(dict.fromkeys(TMDB_GENRES[genre_id] for step in steps for genre_id in step.movies))


def preferences(taste: Taste, policy: Policy) -> list[Preference]:
    """Every context with a rating of a genre the policy offers there, mood by mood; genres by
    their posterior mean, best first (ties: the policy's order)."""
    found = []
    for mood, strategy, kind in itertools.product(EMOTIONS, STRATEGIES, KINDS):
        genres = [(genre, taste.counts_of(mood, strategy, kind, genre))
                  for genre in offered(policy, mood, strategy, kind)]
        if any(counts.ratings for _, counts in genres):
            genres.sort(key=lambda pair: -pair[1].mean)
            found.append(Preference(mood, strategy, kind, tuple(genres)))
    return found
