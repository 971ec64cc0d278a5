"""The learned taste: how likes and dismissals steer the genres of each round, and which items never come back."""

from __future__ import annotations

import random
from collections import Counter

from config.settings import load_settings
from recommenders.policy import Choice, load_policy
from recommenders.service import Recommendations
from recommenders.taste import LIKED_RETURN_P, Counts, Taste

SAD_MUSIC = ("sad", "acoustic", "blues")  # match.sad in the bundled policy
DRAMA, ROMANCE = 18, 10749


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
    taste = Taste({("sad", "match", "movie", "Romance"): Counts(6, 0), ("sad", "match", "movie", "Drama"): Counts(0, 6)})
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
