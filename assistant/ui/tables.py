"""The tables of the commands that list things: sessions, what ratings taught, a session's
suggestions to rate, calibration profiles, the settings in effect, the keys configured."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from assistant.reports.queries import HistoryEntry
from assistant.storage.ratings import Rated
from assistant.ui.views import duration, mood, share_bar
from recommenders.taste import Preference

#: How a rating is said, in the table and after `assistant rate`.
MARKS = {"like": "liked", "dismiss": "dismissed"}


def history_table(sessions: list[HistoryEntry]) -> Table:
    # No vertical rules and collapsed padding: the eight columns fit an 80-column terminal.
    table = Table(title="Sessions", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1),
                  collapse_padding=True, show_edge=False)
    for header, justify in (("id", "right"), ("start", "left"), ("length", "right"), ("mood", "left"),
                            ("moods", "left"), ("face", "right"), ("changes", "right"), ("suggested", "right")):
        table.add_column(header, justify=justify, no_wrap=True)
    for s in sessions:
        table.add_row(str(s.id), datetime.fromtimestamp(s.start).strftime("%Y-%m-%d %H:%M"),
                      duration(s.totals.duration_s), mood(s.totals.dominant_mood), share_bar(s.totals, 8),
                      f"{s.face_share:.0%}", str(s.mood_changes), str(s.suggestions))
    return table


def taste_table(found: list[Preference], liked: int, dismissed: int) -> Table:
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


def suggestion_table(listed: list[Rated], session_id: int) -> Table:
    table = Table(title=f"Suggestions of session {session_id}", title_justify="left", box=None, padding=(0, 1))
    for header in ("#", "kind", "title", "by / year", "genre", "for mood", "rated"):
        table.add_column(header, justify="right" if header == "#" else "left")
    for rated in listed:
        s = rated.suggestion
        detail = s.artist if s.kind == "music" else (str(s.year) if s.year else "")
        table.add_row(str(rated.number), s.kind, Text(s.title), Text(detail or ""), Text(s.genre or ""), mood(s.mood),
                      MARKS.get(rated.verdict or "", ""))
    return table


def profiles_table(path: Path, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=Text(f"Calibration profiles in {path}"), title_justify="left")
    for column in ("profile", "made", "frames", "resting face read as", "weights"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["profile"], row["created_at"].replace("T", " "), str(row["frames"]), row["resting_face"],
                      "current" if row["current_weights"] else "other: calibrate again")
    return table


def settings_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="settings in effect", title_justify="left")
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("from", overflow="fold")
    for row in rows:
        table.add_row(row["setting"], repr(row["value"]) if isinstance(row["value"], str) else str(row["value"]),
                      row["origin"], style=None if row["origin"] == "default" else "bold")
    return table


def status_table(status: dict[str, str]) -> Table:
    """Two columns, the name in bold: what is configured and how (`assistant auth status`)."""
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for name, state in status.items():
        table.add_row(name, state)
    return table
