"""The emotion-to-genre policy: for each strategy and emotion, which music and movie genres.

The bundled policy is ``config/policy.toml``. A user's file (setting ``recommend.policy``)
has the same shape; each ``[strategy.emotion]`` table it has replaces the bundled one, so a
person can retune one mood without copying the rest. A typo is a one-line error naming it.

An entry is either one choice (``music``, ``movies``, optional ``avoid_movies``) or ``steps``, a list of choices that
a session walks through one round at a time and then stays on the last: that is how
``uplift`` follows the iso principle (start where the mood is, then move towards positive,
lower-tension choices; Starcke et al. 2021).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from config import CONFIG_DIR
from config.errors import UserError
from config.settings import read_toml
from recognizer.classes import EMOTIONS

BUNDLED_POLICY = CONFIG_DIR / "policy.toml"
STRATEGIES: tuple[str, ...] = ("match", "uplift", "calm")
# TMDB's movie genre ids (GET /genre/movie/list), in English.
TMDB_GENRES: Mapping[int, str] = {
    28: "Action", 12: "Adventure", 16: "Animation", 35: "Comedy", 80: "Crime", 99: "Documentary",
    18: "Drama", 10751: "Family", 14: "Fantasy", 36: "History", 27: "Horror", 10402: "Music",
    9648: "Mystery", 10749: "Romance", 878: "Science Fiction", 10770: "TV Movie", 53: "Thriller",
    10752: "War", 37: "Western",
}


class PolicyError(UserError):
    """The policy file names something that does not exist or is not shaped like a policy."""


@dataclass(frozen=True)
class Choice:
    """What to look for in one round: Spotify genre names, TMDB genre ids (any of them), and
    TMDB genre ids a film must not have (a "drama" that is also a horror film is no
    comfort when sad).

    The sources take turns over ``music`` and ``movies`` entry by entry, so a genre listed
    twice gets twice the share: that is how a learned taste (`recommenders.taste`) steers."""

    music: tuple[str, ...]
    movies: tuple[int, ...]
    avoid_movies: tuple[int, ...] = ()


@dataclass(frozen=True)
class Policy:
    entries: Mapping[tuple[str, str], tuple[Choice, ...]]  # (strategy, emotion) -> steps

    def choice(self, emotion: str, strategy: str, round_no: int = 0) -> Choice:
        """The choice for round ``round_no`` (0 = the first suggestions of a session)."""
        if strategy not in STRATEGIES:
            raise PolicyError(f"unknown strategy {strategy!r} (expected one of: {', '.join(STRATEGIES)})")
        if emotion not in EMOTIONS:
            raise PolicyError(f"unknown emotion {emotion!r} (expected one of: {', '.join(EMOTIONS)})")
        steps = self.entries[(strategy, emotion)]
        return steps[min(max(round_no, 0), len(steps) - 1)]

    def music_genres(self) -> set[str]:
        return {genre for steps in self.entries.values() for step in steps for genre in step.music}

    def movie_genres(self) -> set[int]:
        return {genre for steps in self.entries.values() for step in steps for genre in step.movies}


def load_policy(user_file: str | Path | None = None) -> Policy:
    """The bundled policy, with the entries of ``user_file`` (if any) in place of its own."""
    entries = _parse(_read_policy(BUNDLED_POLICY), f"bundled policy {BUNDLED_POLICY}")
    if user_file:
        path = Path(user_file).expanduser()
        entries.update(_parse(_read_policy(path), f"policy file {path}"))
    missing = [f"{s}.{e}" for s in STRATEGIES for e in EMOTIONS if (s, e) not in entries]
    if missing:
        raise PolicyError(f"bundled policy {BUNDLED_POLICY}: no entry for {', '.join(missing)}")
    return Policy(entries)


def _read_policy(path: Path) -> dict[str, Any]:
    return read_toml(path, "policy file", PolicyError)


def _parse(data: dict[str, Any], origin: str) -> dict[tuple[str, str], tuple[Choice, ...]]:
    entries: dict[tuple[str, str], tuple[Choice, ...]] = {}
    for strategy, by_emotion in data.items():
        if strategy not in STRATEGIES:
            raise PolicyError(f"{origin}: unknown strategy {strategy!r} (expected one of: {', '.join(STRATEGIES)})")
        if not isinstance(by_emotion, dict):
            raise PolicyError(f"{origin}: {strategy} must be a table of emotions")
        for emotion, entry in by_emotion.items():
            if emotion not in EMOTIONS:
                raise PolicyError(f"{origin}: {strategy}: unknown emotion {emotion!r} "
                                  f"(expected one of: {', '.join(EMOTIONS)})")
            entries[(strategy, emotion)] = _steps(entry, f"{origin}: {strategy}.{emotion}")
    return entries


def _steps(entry: Any, where: str) -> tuple[Choice, ...]:
    if not isinstance(entry, dict):
        raise PolicyError(f"{where} must be a table with music and movies, or steps")
    if "steps" in entry:
        if set(entry) != {"steps"}:
            raise PolicyError(f"{where}: steps cannot be mixed with other keys")
        steps = entry["steps"]
        if not isinstance(steps, list) or not steps:
            raise PolicyError(f"{where}.steps must be a non-empty list of tables")
        return tuple(_choice(step, f"{where}.steps[{index}]") for index, step in enumerate(steps))
    return (_choice(entry, where),)


def _choice(entry: Any, where: str) -> Choice:
    if not isinstance(entry, dict):
        raise PolicyError(f"{where} must be a table with music and movies")
    unknown = set(entry) - {"music", "movies", "avoid_movies"}
    if unknown:
        raise PolicyError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected music, movies, avoid_movies)")
    music, movies, avoid = entry.get("music"), entry.get("movies"), entry.get("avoid_movies", [])
    if not isinstance(music, list) or not music or not all(isinstance(g, str) and g.strip() for g in music):
        raise PolicyError(f"{where}.music must be a non-empty list of Spotify genre names")
    if not isinstance(movies, list) or not movies or not all(type(g) is int for g in movies):
        raise PolicyError(f"{where}.movies must be a non-empty list of TMDB genre ids")
    if not isinstance(avoid, list) or not all(type(g) is int for g in avoid):
        raise PolicyError(f"{where}.avoid_movies must be a list of TMDB genre ids")
    for key, ids in (("movies", movies), ("avoid_movies", avoid)):
        for genre_id in ids:
            if genre_id not in TMDB_GENRES:
                raise PolicyError(f"{where}.{key}: unknown TMDB genre id {genre_id}")
    both = set(movies) & set(avoid)
    if both:
        raise PolicyError(f"{where}: genre id {min(both)} is in both movies and avoid_movies")
    return Choice(music=tuple(g.strip().lower() for g in music), movies=tuple(movies), avoid_movies=tuple(avoid))
