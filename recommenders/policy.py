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
from typing import Annotated, Any, Callable, Literal, Mapping

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic.dataclasses import dataclass as checked_dataclass
from pydantic_core import PydanticCustomError

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


def _check(ok: Callable[[Any], bool], message: str) -> AfterValidator:
    def check(value: Any) -> Any:
        if not ok(value):
            raise PydanticCustomError("policy", message, {"value": value})
        return value
    return AfterValidator(check)


_GenreName = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, to_lower=True, min_length=1),
                       _check(lambda name: '"' not in name, "Spotify searches genre:\"...\", so no double quotes")]
_GenreId = Annotated[StrictInt, _check(TMDB_GENRES.__contains__, "unknown TMDB genre id {value}")]


@checked_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Choice:
    """What to look for in one round: Spotify genre names, TMDB genre ids (any of them), and
    TMDB genre ids a film must not have (a "drama" that is also a horror film is no
    comfort when sad).

    The sources take turns over ``music`` and ``movies`` entry by entry, so a genre listed
    twice gets twice the share: that is how a learned taste (`recommenders.taste`) steers.
    Every instance is checked (pydantic), whether read from a policy file or made in code."""

    music: tuple[_GenreName, ...] = Field(min_length=1)
    movies: tuple[_GenreId, ...] = Field(min_length=1)
    avoid_movies: tuple[_GenreId, ...] = ()

    @model_validator(mode="after")
    def _apart(self) -> Choice:
        both = set(self.movies) & set(self.avoid_movies)
        if both:
            raise PydanticCustomError("policy", "genre id {id} is in both movies and avoid_movies", {"id": min(both)})
        return self


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
    entries = _parse(BUNDLED_POLICY, "bundled policy")
    if user_file:
        entries.update(_parse(Path(user_file).expanduser(), "policy file"))
    missing = [f"{s}.{e}" for s in STRATEGIES for e in EMOTIONS if (s, e) not in entries]
    if missing:
        raise PolicyError(f"bundled policy {BUNDLED_POLICY}: no entry for {', '.join(missing)}")
    return Policy(entries)


class _Steps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: tuple[Choice, ...] = Field(min_length=1)


# An entry is one choice or a table with only ``steps``; pydantic puts the form's tag third in an error's location.
_FORMS = ("choice", "steps")
_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")  # from a model, from a dataclass
_Entry = Annotated[Annotated[Choice, Tag("choice")] | Annotated[_Steps, Tag("steps")], Discriminator(
    lambda entry: ("steps" if "steps" in entry else "choice") if isinstance(entry, dict) else None,
    custom_error_type="entry", custom_error_message="must be a table with music and movies, or steps")]
_PolicyFile = TypeAdapter(dict[Literal[STRATEGIES], dict[Literal[EMOTIONS], _Entry]])


def _parse(path: Path, kind: str) -> dict[tuple[str, str], tuple[Choice, ...]]:
    try:
        data = _PolicyFile.validate_python(read_toml(path, kind, PolicyError))
    except ValidationError as error:
        # A misspelt key also leaves the right one missing: name the misspelling.
        first = min(error.errors(), key=lambda problem: problem["type"] not in _UNKNOWN_KEY)
        where = [part for index, part in enumerate(first["loc"])
                 if part != "[key]" and (index != 2 or part not in _FORMS)]
        message = "unknown key" if first["type"] in _UNKNOWN_KEY else first["msg"]
        raise PolicyError(f"{kind} {path}: {'.'.join(map(str, where))}: {message}") from None
    return {(strategy, emotion): entry.steps if isinstance(entry, _Steps) else (entry,)
            for strategy, by_emotion in data.items() for emotion, entry in by_emotion.items()}
