"""Reading the learned taste out of the session database, as the plain data `recommenders.taste` takes.

Rows are checked as they are read: a damaged table (a count that is not a number, a mood
this release does not know) would otherwise steer every suggestion silently wrong.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from assistant.storage.database import StorageError, database
from assistant.storage.models import TasteGenreRow, TasteItemRow
from recognizer.classes import EMOTIONS
from recommenders.policy import STRATEGIES
from recommenders.taste import KINDS, VERDICTS, Counts, Taste


class DamagedTaste(StorageError):
    """A taste table holds a row this release cannot make sense of."""


def load_taste(path: Path) -> Taste:
    """The taste learned in the database at ``path``; nothing learned yet when there is no file."""
    if not path.exists():
        return Taste()
    with database(path) as engine:
        return read_taste(engine, path)


def read_taste(engine: Engine, path: Path) -> Taste:
    taste = Taste()
    with Session(engine) as db:
        for row in db.exec(select(TasteGenreRow)):
            problem = _genre_problem(row)
            if problem:
                raise _damaged(path, "taste_genres", row.id, problem)
            taste.counts[(row.mood, row.strategy, row.kind, row.genre)] = Counts(row.likes, row.dismissals)
        for item in db.exec(select(TasteItemRow)):
            if item.verdict not in VERDICTS or not isinstance(item.item_key, str):
                raise _damaged(path, "taste_items", item.id, f"verdict {item.verdict!r} for {item.item_key!r}")
            (taste.liked if item.verdict == "like" else taste.dismissed).add(item.item_key)
    return taste


def _genre_problem(row: TasteGenreRow) -> str | None:
    for value, known, what in ((row.mood, EMOTIONS, "mood"), (row.strategy, STRATEGIES, "strategy"),
                               (row.kind, KINDS, "kind")):
        if value not in known:
            return f"unknown {what} {value!r}"
    if not isinstance(row.genre, str) or not row.genre:
        return f"genre {row.genre!r}"
    for value, what in ((row.likes, "likes"), (row.dismissals, "dismissals")):
        if type(value) is not int or value < 0:
            return f"{what} {value!r} is not a count"
    return None


def _damaged(path: Path, table: str, row_id: int | None, problem: str) -> DamagedTaste:
    return DamagedTaste(f"the learned taste in {path} is damaged ({table} row {row_id}: {problem}); "
                        "`assistant forget --all` clears it")
