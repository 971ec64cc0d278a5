"""`assistant taste`: what likes and dismissals have taught, readable at a glance."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from assistant.cli import options, state
from assistant.cli.output import console, print_json, print_note
from assistant.storage.database import db_path
from assistant.storage.taste import load_taste
from assistant.ui.views import mood
from recommenders.policy import load_policy
from recommenders.taste import Preference, preferences


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
    console.print(_table(found, len(learned.liked), len(learned.dismissed)))
    if not settings.recommend.learn:
        print_note("recommend.learn is false, so suggestions do not follow this taste")


def _table(found: list[Preference], liked: int, dismissed: int) -> Table:
    table = Table(title="What your ratings taught", title_justify="left", caption_justify="left",
                  caption=f"{liked} items liked (they come back now and then), {dismissed} dismissed for good. "
                          "A film's rating counts for each of its genres.")
    for header in ("mood", "strategy", "kind", "now prefers (expected like rate)", "likes", "dismissals"):
        table.add_column(header, justify="right" if header in ("likes", "dismissals") else "left")
    for p in found:
        table.add_row(mood(p.mood), p.strategy, p.kind, _genres(p), str(p.likes), str(p.dismissals))
    return table


def _genres(preference: Preference) -> Text:
    """Rated genres best first, the favourite in bold; the untried ones after them, at the prior's 50 %."""
    text = Text()
    rated = [(genre, counts) for genre, counts in preference.genres if counts.ratings]
    for index, (genre, counts) in enumerate(rated):
        text.append(" · " if index else "").append(f"{genre} {counts.mean:.0%}", style="bold" if index == 0 else "")
    untried = [genre for genre, counts in preference.genres if not counts.ratings]
    if untried:
        text.append(f" · untried: {', '.join(untried)}", style="dim")
    return text


def register(app: typer.Typer) -> None:
    app.command()(taste)
