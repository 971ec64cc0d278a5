"""The learned taste: how likes and dismissals steer the genres of each round, and which items never come back."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.session.suggestions import Round, SuggestionRounds
from assistant.storage.recorder import SessionRecorder
from config.settings import load_settings
from recommenders.base import Track
from recommenders.policy import Choice, load_policy
from recommenders.service import Recommendations
from recommenders.taste import LIKED_RETURN_P, Counts, Taste

SAD_MUSIC = ("sad", "acoustic", "blues")  # match.sad in the bundled policy
DRAMA, ROMANCE = 18, 10749
runner = CliRunner()


def blues_lover() -> Taste:
    taste = Taste()
    for genre, likes, dismissals in (("blues", 8, 0), ("sad", 0, 4), ("acoustic", 1, 3)):
        taste.counts[("sad", "match", "music", genre)] = Counts(likes, dismissals)
    return taste


def test_without_ratings_a_round_is_the_policys_own_choice() -> None:
    choice = load_policy().choice("sad", "match")
    steered = Taste().steer(choice, "sad", "match", 5, random.Random(0))
    assert steered == choice
    # ratings in another mood, strategy or kind change nothing here
    other = Taste({("happy", "match", "music", "blues"): Counts(5, 0), ("sad", "calm", "music", "blues"): Counts(5, 0)})
    assert other.steer(choice, "sad", "match", 5, random.Random(0)) == choice


def test_a_liked_genre_fills_most_slots_and_the_others_are_still_tried() -> None:
    choice = load_policy().choice("sad", "match")
    rng = random.Random(1)
    slots = Counter(genre for _ in range(400) for genre in blues_lover().steer(choice, "sad", "match", 5, rng).music)
    assert set(slots) == set(SAD_MUSIC)  # exploration: no genre is ever ruled out...
    assert slots["blues"] / 2000 > 0.85  # ...but the favourite gets the list
    assert slots["acoustic"] > slots["sad"]  # one like among its dismissals counts


def test_movies_are_steered_by_their_tmdb_genre() -> None:
    taste = Taste({("sad", "match", "movie", "Romance"): Counts(6, 0),
                   ("sad", "match", "movie", "Drama"): Counts(0, 6)})
    choice = Choice(music=SAD_MUSIC, movies=(DRAMA, ROMANCE), avoid_movies=(27,))
    steered = taste.steer(choice, "sad", "match", 10, random.Random(2))
    assert steered.music == SAD_MUSIC and steered.avoid_movies == (27,)
    assert len(steered.movies) == 10 and Counter(steered.movies)[ROMANCE] >= 8


def test_changing_a_verdict_counts_the_item_once() -> None:
    taste = Taste()
    taste.learn("sad", "match", "movie", ["Drama", "Romance"], "movie:x|2000", "like")
    taste.learn("sad", "match", "movie", ["Drama", "Romance"], "movie:x|2000", "dismiss", previous="like")
    assert taste.counts_of("sad", "match", "movie", "Drama") == Counts(0, 1)
    assert taste.dismissed == {"movie:x|2000"} and not taste.liked


def test_dismissed_items_never_return_and_liked_ones_rarely() -> None:
    taste = Taste(dismissed={"track:a|one"}, liked={"track:b|two"})
    rng = random.Random(3)
    rounds = [taste.excluded(rng) for _ in range(2000)]
    assert all("track:a|one" in excluded for excluded in rounds)
    returned = sum("track:b|two" not in excluded for excluded in rounds) / len(rounds)
    assert abs(returned - LIKED_RETURN_P) < 0.03


def test_a_session_with_a_taste_follows_it_and_never_shows_a_dismissed_song() -> None:
    service = Recommendations(load_settings(), offline=True, rng=random.Random(4), taste=blues_lover())
    first = service.suggest("sad", "match", limit=5)
    dismissed = first.music[0].key
    service.taste.learn("sad", "match", "music", [first.music[0].genre], dismissed, "dismiss")
    genres = Counter()
    for _ in range(30):
        round_ = service.suggest("sad", "match", limit=5)
        assert dismissed not in round_.keys()
        genres.update(track.genre for track in round_.music)
    assert genres["blues"] > genres["sad"] + genres["acoustic"]
    # the policy alone keeps its even mix
    plain = Recommendations(load_settings(), offline=True, rng=random.Random(4)).suggest("sad", "match", limit=6)
    assert Counter(track.genre for track in plain.music) == {genre: 2 for genre in SAD_MUSIC}


@pytest.fixture
def rated_db(tmp_path: Path) -> tuple[Path, set[str]]:
    """A session that suggested 15 songs for sad; the person liked the blues ones and dismissed the rest.
    Returns the database and the dismissed titles."""
    path = tmp_path / "assistant.db"
    service = Recommendations(load_settings(), offline=True, rng=random.Random(5))
    rounds = [service.suggest("sad", "match", limit=5, round_no=n) for n in range(3)]
    with SessionRecorder.start(path, "0", "{}") as recorder:
        for n, round_ in enumerate(rounds):
            recorder.add_suggestions(float(n), Round(float(n), round_).records(), "sad", "match")
    items = [item for round_ in rounds for item in (*round_.music, *round_.movies)]  # numbered as `rate` lists them
    songs = [(str(n), item) for n, item in enumerate(items, 1) if isinstance(item, Track)]
    liked = [n for n, song in songs if song.genre == "blues"]
    dismissed = [n for n, song in songs if song.genre != "blues"]
    result = runner.invoke(app, ["rate", "1", "--like", ",".join(liked), "--dismiss", ",".join(dismissed),
                                 "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path, {song.title for n, song in songs if n in dismissed}


def recommended_genres(*args: str) -> tuple[Counter, set[str]]:
    genres: Counter = Counter()
    titles: set[str] = set()
    for _ in range(10):
        result = runner.invoke(app, ["recommend", "--mood", "sad", "--offline", "--json", *args])
        assert result.exit_code == 0, result.output
        music = json.loads(result.stdout)["music"]
        genres.update(track["genre"] for track in music)
        titles |= {track["title"] for track in music}
    return genres, titles


def test_recommend_follows_the_taste_in_its_database_unless_told_not_to(rated_db: tuple[Path, set[str]],
                                                                       tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db, dismissed = rated_db
    genres, titles = recommended_genres("--db", str(db))
    assert genres["blues"] >= 40 and not titles & dismissed
    monkeypatch.setenv("ASSISTANT_DB", str(db))  # the same database, found through the environment
    assert recommended_genres()[0]["blues"] >= 40
    for plain in (recommended_genres("--no-learning"), recommended_genres("--db", str(tmp_path / "none.db"))):
        assert plain[0] == {"sad": 20, "acoustic": 20, "blues": 10}  # the policy's round-robin
    config = tmp_path / "config.toml"
    config.write_text("[recommend]\nlearn = false\n")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    assert recommended_genres()[0] == {"sad": 20, "acoustic": 20, "blues": 10}
    assert not (tmp_path / "none.db").exists()  # reading a taste never creates a database


def test_bench_taste_learning_beats_the_fixed_policy_and_nears_the_oracle() -> None:
    result = runner.invoke(app, ["bench", "taste", "--rounds", "30", "--listeners", "150", "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    static, learned, oracle = (data[f"{name}_like_rate"] for name in ("static", "learned", "oracle"))
    assert len(static) == len(learned) == len(oracle) == 30
    assert learned[0] == static[0]  # nothing heard yet: the policy's own round
    assert all(s <= o and le <= o for s, le, o in zip(static, learned, oracle, strict=True))
    late = slice(20, 30)
    assert sum(learned[late]) > 1.3 * sum(static[late]) and sum(learned[late]) > 0.9 * sum(oracle[late])


def test_bench_taste_refuses_a_bad_listener_prior() -> None:
    result = runner.invoke(app, ["bench", "taste", "--listener-prior", "0.5"])
    assert result.exit_code == 2 and "--listener-prior" in result.stderr and "Traceback" not in result.output


def test_a_rating_during_a_session_steers_its_next_round() -> None:
    service = Recommendations(load_settings(), offline=True, rng=random.Random(6), taste=Taste())
    rounds = SuggestionRounds(service, strategy="match", limit=5, interval_s=0.0)
    rounds.consider(1.0, "sad")
    first = wait_for(rounds)
    assert Counter(track.genre for track in first.suggestions.music) == {"sad": 2, "acoustic": 2, "blues": 1}
    for track in first.suggestions.music:
        rounds.learn("sad", "match", "music", (track.genre,), track.key,
                     "like" if track.genre == "blues" else "dismiss", None)
    for _ in range(8):  # more evidence, as a person rating every round would give
        rounds.learn("sad", "match", "music", ("blues",), "track:x|y", "like", None)
    rounds.consider(2.0, "happy")
    wait_for(rounds)
    rounds.consider(3.0, "sad")
    again = wait_for(rounds)
    assert Counter(track.genre for track in again.suggestions.music)["blues"] >= 4
    assert not again.suggestions.keys() & first.suggestions.keys()
    rounds.finish(3.0, "sad")


def wait_for(rounds: SuggestionRounds) -> Round:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if (got := rounds.poll()) is not None:
            return got
        time.sleep(0.005)
    raise AssertionError("no round in time")
