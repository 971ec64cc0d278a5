"""`assistant taste`: what likes and dismissals have taught, readable at a glance."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from assistant.cli import options, state
from assistant.cli.output import console, print_json, print_note
from assistant.storage.database import db_path
from assistant.storage.taste import load_taste
from assistant.ui.tables import taste_table
from recommenders.policy import load_policy
from recommenders.taste import preferences


def taste(
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("the learned taste"),
) -> None:
    """What your ratings have taught: per mood, the genres now preferred, with the likes and dismissals behind them.

    The percentage is the like rate the model now expects of a genre (its posterior mean);
    new genres start at 50 % and every genre keeps some chance of being tried.
    """
    settings = state.settings()
    learned = load_taste(db_path(db))
    found = preferences(learned, load_policy(settings.recommend.policy or None))
    if as_json:
        print_json({"contexts": [{"mood": p.mood, "strategy": p.strategy, "kind": p.kind, "genres": [
            {"genre": genre, "likes": c.likes, "dismissals": c.dismissals, "like_rate": round(c.mean, 3)}
            for genre, c in p.genres]} for p in found],
            "liked_items": len(learned.liked), "dismissed_items": len(learned.dismissed)})
        return
    if not found:
        console.print("Nothing learned yet: like or dismiss suggestions with the keys in `assistant start`, "
                      "or with `assistant rate`.")
        return
    console.print(taste_table(found, len(learned.liked), len(learned.dismissed)))
    if not settings.recommend.learn:
        print_note("recommend.learn is false, so suggestions do not follow this taste")
