"""The emotion-to-genre policy: the bundled one is complete and sensible, a user's file
overrides it entry by entry, and every mistake is one line naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from recognizer.classes import EMOTIONS
from recommenders.policy import STRATEGIES, TMDB_GENRES, PolicyError, load_policy

HORROR, THRILLER, COMEDY, FAMILY, ANIMATION = 27, 53, 35, 10751, 16
HIGH_AROUSAL_MUSIC = {"metal", "punk", "edm", "dance", "hip-hop", "rock"}


def test_bundled_policy_covers_every_emotion_and_strategy_with_known_tmdb_ids() -> None:
    policy = load_policy()
    assert set(policy.entries) == {(s, e) for s in STRATEGIES for e in EMOTIONS}
    assert policy.movie_genres() <= set(TMDB_GENRES)
    for emotion in EMOTIONS:
        for strategy in STRATEGIES:
            choice = policy.choice(emotion, strategy)
            assert choice.music and choice.movies


def test_uplift_starts_with_the_mood_and_walks_towards_positive_calmer_choices() -> None:
    policy = load_policy()
    for emotion in EMOTIONS:
        first, last = policy.choice(emotion, "uplift", 0), policy.choice(emotion, "uplift", 99)
        assert len(policy.entries[("uplift", emotion)]) >= 2
        # Iso principle: round 0 meets the mood where "match" does.
        assert set(first.music) & set(policy.choice(emotion, "match").music), emotion
        # ...and the last step is light: comedy/family/animation, no horror or thriller.
        assert set(last.movies) & {COMEDY, FAMILY, ANIMATION}, emotion
        assert {HORROR, THRILLER} <= set(last.avoid_movies), emotion
    sad = [policy.choice("sad", "uplift", n) for n in range(3)]
    assert sad[0] != sad[1] != sad[2]
    assert "sad" in sad[0].music and "sad" not in sad[2].music


def test_calm_is_low_arousal_for_every_mood() -> None:
    policy = load_policy()
    for emotion in EMOTIONS:
        choice = policy.choice(emotion, "calm")
        assert not set(choice.music) & HIGH_AROUSAL_MUSIC, emotion
        assert HORROR in choice.avoid_movies and HORROR not in choice.movies


def test_round_numbers_past_the_last_step_stay_on_it() -> None:
    policy = load_policy()
    steps = policy.entries[("uplift", "angry")]
    assert policy.choice("angry", "uplift", len(steps) + 5) == steps[-1]
    assert policy.choice("angry", "match", 7) == policy.choice("angry", "match", 0)


def test_a_user_file_replaces_only_the_entries_it_names(tmp_path: Path) -> None:
    user = tmp_path / "mine.toml"
    user.write_text('[match.sad]\nmusic = ["jazz"]\nmovies = [35]\n')
    bundled, mine = load_policy(), load_policy(user)
    assert mine.choice("sad", "match").music == ("jazz",)
    assert mine.choice("sad", "match").movies == (35,)
    assert mine.choice("happy", "match") == bundled.choice("happy", "match")
    assert mine.entries[("uplift", "sad")] == bundled.entries[("uplift", "sad")]


@pytest.mark.parametrize(("text", "message"), [
    ('[match.sadd]\nmusic = ["jazz"]\nmovies = [18]\n', "match.sadd: Input should be 'angry', 'disgust'"),
    ('[cheer.sad]\nmusic = ["jazz"]\nmovies = [18]\n', "cheer: Input should be 'match', 'uplift' or 'calm'"),
    ('[match.sad]\nmusic = ["jazz"]\nmovies = [18, 12345]\n', "unknown TMDB genre id 12345"),
    ('[match.sad]\nmusic = ["jazz"]\nmovies = [18]\navoid_movies = [999]\n',
     "match.sad.avoid_movies.0: unknown TMDB genre id 999"),
    ('[match.sad]\nmusic = ["jazz"]\nmovies = [18]\navoid_movies = [18]\n', "genre id 18 is in both"),
    ('[match.sad]\nmusik = ["jazz"]\nmovies = [18]\n', "match.sad.musik: unknown key"),
    ('[match.sad]\nmusic = []\nmovies = [18]\n', "match.sad.music: Tuple should have at least 1 item"),
    ('[match.sad]\nmusic = ["jazz"]\nmovies = ["drama"]\n', "match.sad.movies.0: Input should be a valid integer"),
    ('[match.sad]\nmusic = ["jazz"]\nmovies = [true]\n', "match.sad.movies.0: Input should be a valid integer"),
    ('[match.sad]\nmusic = [" "]\nmovies = [18]\n', "match.sad.music.0: String should have at least 1 character"),
    ("[match.sad]\nmusic = ['r\"b']\nmovies = [18]\n",
     "match.sad.music.0: Spotify searches genre:\"...\", so no double quotes"),
    ("[match]\nsad = 3\n", "match.sad: must be a table with music and movies, or steps"),
    ("[uplift.sad]\nsteps = []\n", "uplift.sad.steps: Tuple should have at least 1 item"),
    ('[uplift.sad]\nsteps = [{ music = ["jazz"], movies = [18, 7] }]\n',
     "uplift.sad.steps.0.movies.1: unknown TMDB genre id 7"),
    ('[uplift.sad]\nmusic = ["jazz"]\nsteps = [{ music = ["jazz"], movies = [18] }]\n',
     "uplift.sad.music: unknown key"),
    ("[match.sad\n", "is not valid TOML"),
])
def test_policy_mistakes_are_one_line_naming_them(tmp_path: Path, text: str, message: str) -> None:
    user = tmp_path / "mine.toml"
    user.write_text(text)
    with pytest.raises(PolicyError) as error:
        load_policy(user)
    assert message in str(error.value)
    assert str(user) in str(error.value)
    assert "\n" not in str(error.value)


def test_a_missing_policy_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "nope.toml")


def test_asking_for_an_unknown_mood_or_strategy_names_it() -> None:
    policy = load_policy()
    with pytest.raises(PolicyError, match="unknown emotion 'bored'"):
        policy.choice("bored", "match")
    with pytest.raises(PolicyError, match="unknown strategy 'cheer'"):
        policy.choice("sad", "cheer")
