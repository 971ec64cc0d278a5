"""Ratings of suggestions, and the taste they teach, written together.

A rating lands in `ratings` and, in the same transaction, moves the counts of its genres
in `taste_genres` and its item's verdict in `taste_items`, so the taste never disagrees
with the ratings that taught it. Rating a suggestion again replaces its verdict and takes
the old one's counts back first: each suggestion counts once. `assistant rate` and the
live session's recorder both write through `record`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from assistant.storage.database import StorageError
from assistant.storage.models import RatingRow, SuggestionRow, TasteGenreRow, TasteItemRow
from recommenders.base import movie_key, track_key
from recommenders.taste import Counts, Verdict, genres_of


@dataclass(frozen=True)
class Rated:
    """A session's suggestion, numbered from 1 as `assistant report` lists them, with its verdict if rated."""

    number: int
    suggestion: SuggestionRow
    verdict: Verdict | None


def item_key(suggestion: SuggestionRow) -> str:
    """The item's identity across sessions and sources, as the recommenders compute it."""
    if suggestion.kind == "music":
        return track_key(suggestion.artist or "", suggestion.title)
    return movie_key(suggestion.title, suggestion.year)


def session_suggestions(db: Session, session_id: int) -> list[Rated]:
    """The session's suggestions in report order (time, then as recorded), each with its verdict."""
    rows = db.exec(select(SuggestionRow, RatingRow.verdict)
                   .join(RatingRow, RatingRow.suggestion_id == SuggestionRow.id, isouter=True)
                   .where(SuggestionRow.session_id == session_id)
                   .order_by(SuggestionRow.t, SuggestionRow.id)).all()
    return [Rated(number, suggestion, verdict) for number, (suggestion, verdict) in enumerate(rows, start=1)]


def record(db: Session, ratings: Sequence[tuple[int, Verdict, float]]) -> None:
    """Rate suggestions: (row id, verdict, unix time) each, in the order given (a later verdict
    on the same suggestion wins), and teach the taste; flushed, left for the caller to commit."""
    for suggestion_id, verdict, rated_at in ratings:
        suggestion = db.get(SuggestionRow, suggestion_id)
        if suggestion is None:  # its session was forgotten since the caller read it
            raise StorageError(f"suggestion {suggestion_id} is no longer in the database; nothing was rated")
        rating = db.exec(select(RatingRow).where(RatingRow.suggestion_id == suggestion_id)).first()
        previous = None if rating is None else rating.verdict
        if rating is None:
            rating = RatingRow(session_id=suggestion.session_id, suggestion_id=suggestion_id, verdict=verdict,
                               rated_at=rated_at)
        rating.verdict, rating.rated_at = verdict, rated_at
        db.add(rating)
        if previous != verdict:
            _teach(db, suggestion, verdict, previous)
        _remember_item(db, item_key(suggestion), verdict, rated_at)
    db.flush()


def _teach(db: Session, suggestion: SuggestionRow, verdict: Verdict, previous: Verdict | None) -> None:
    if suggestion.mood is None:
        return  # rounds are only asked for a mood; a row without one teaches no context
    for genre in genres_of(suggestion.kind, suggestion.genre):
        row = db.exec(select(TasteGenreRow).where(
            TasteGenreRow.mood == suggestion.mood, TasteGenreRow.strategy == suggestion.strategy,
            TasteGenreRow.kind == suggestion.kind, TasteGenreRow.genre == genre)).first()
        if row is None:
            row = TasteGenreRow(mood=suggestion.mood, strategy=suggestion.strategy, kind=suggestion.kind, genre=genre)
        counts = Counts(row.likes, row.dismissals).rated(verdict, previous)
        row.likes, row.dismissals = counts.likes, counts.dismissals
        db.add(row)


def _remember_item(db: Session, key: str, verdict: Verdict, rated_at: float) -> None:
    row = db.exec(select(TasteItemRow).where(TasteItemRow.item_key == key)).first()
    if row is None:
        row = TasteItemRow(item_key=key, verdict=verdict, rated_at=rated_at)
    row.verdict, row.rated_at = verdict, rated_at
    db.add(row)
