"""The offline catalog: enough real entries for every policy genre, no invented ids, and the
shared rules (two per artist, no repeats in a session) on the lists it gives."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from config.settings import load_settings
from recognizer.classes import EMOTIONS
from recommenders.base import MAX_PER_ARTIST, Track, pick
from recommenders.catalog import OfflineMovies, OfflineMusic, load_catalog
from recommenders.policy import STRATEGIES, TMDB_GENRES, load_policy
from recommenders.service import Recommendations


def test_every_policy_genre_has_at_least_ten_tracks_and_ten_movies() -> None:
    catalog, policy = load_catalog(), load_policy()
    for genre in policy.music_genres():
        assert len(catalog.tracks.get(genre, ())) >= 10, genre
    for genre_id in policy.movie_genres():
        assert len(catalog.movies_of(genre_id)) >= 10, TMDB_GENRES[genre_id]


def test_entries_carry_no_identifiers_and_are_unique_and_plausible() -> None:
    catalog = load_catalog()
    tracks = [track for group in catalog.tracks.values() for track in group]
    assert all(track.uri is None for track in tracks)
    assert all(entry.movie.tmdb_id is None for entry in catalog.movies)
    for genre, group in catalog.tracks.items():
        assert len({track.key for track in group}) == len(group), genre
        assert max(Counter(track.artist for track in group).values()) <= MAX_PER_ARTIST, genre
    keys = [entry.movie.key for entry in catalog.movies]
    assert len(set(keys)) == len(keys)
    for entry in catalog.movies:
        assert 1920 <= entry.movie.year <= 2025 and entry.genre_ids <= set(TMDB_GENRES), entry.movie.title


def test_pick_keeps_at_most_two_tracks_per_artist_and_skips_seen_items() -> None:
    same = [Track(f"Song {n}", "One Artist", "pop") for n in range(5)]
    others = [Track(f"Other {n}", f"Artist {n}", "rock") for n in range(5)]
    picked = pick([same, others], 6, frozenset({others[0].key}))
    assert Counter(track.artist for track in picked)["One Artist"] == 2
    assert others[0] not in picked and len(picked) == 6
    assert Track("SONG 1", " one  artist ", "pop", uri="spotify:track:x").key == same[1].key


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_offline_lists_are_diverse_for_every_mood_and_step(strategy: str) -> None:
    catalog, policy = load_catalog(), load_policy()
    music, movies = OfflineMusic(catalog, random.Random(0)), OfflineMovies(catalog, random.Random(0))
    for emotion in EMOTIONS:
        for step in policy.entries[(strategy, emotion)]:
            tracks = music.suggest(step, 10, frozenset())
            films = movies.suggest(step, 10, frozenset())
            assert len(tracks) == len(films) == 10
            assert max(Counter(t.artist for t in tracks).values()) <= MAX_PER_ARTIST
            assert {t.genre for t in tracks} <= set(step.music)
            assert len({f.key for f in films}) == 10
            for film in films:
                assert not {TMDB_GENRES[g] for g in step.avoid_movies} & set(film.genres), film.title


def test_a_session_never_repeats_an_item_and_says_when_the_catalog_runs_dry() -> None:
    service = Recommendations(load_settings(), offline=True, rng=random.Random(7))
    seen: set[str] = set()
    rounds = []
    for round_no in range(12):
        suggestions = service.suggest("fear", "match", limit=5, round_no=round_no, seen=seen)
        assert not suggestions.keys() & seen
        seen |= suggestions.keys()
        rounds.append(suggestions)
    assert all(s.source == "offline" for s in rounds)
    assert rounds[0].notes == ("offline mode: suggestions from the built-in catalog",)
    # fear/match music is ambient + classical: 26 tracks, so round 6 is short and later rounds empty.
    assert len(rounds[5].music) == 1 and rounds[-1].music == ()
    assert any("offline catalog has only 0 new" in note for note in rounds[-1].notes)


def test_two_offline_sessions_differ_but_one_seed_repeats() -> None:
    def first_round(seed: int) -> list[str]:
        service = Recommendations(load_settings(), offline=True, rng=random.Random(seed))
        return [t.title for t in service.suggest("happy", "match", limit=5).music]

    assert first_round(1) == first_round(1)
    assert first_round(1) != first_round(2)
