"""Small Rich pieces that `history` and `report` share: durations, moods, share bars, timelines."""

from __future__ import annotations

from rich.text import Text

from assistant.reports.queries import Stretch, Totals
from assistant.ui.palette import color

BLOCK = "█"


def duration(seconds: float) -> str:
    """2h 05m, 12m 04s or 42s: precise enough for a person, short enough for a table."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def mood(name: str | None) -> Text:
    return Text(name or "unknown", style=color(name))


def share_bar(totals: Totals, width: int) -> Text:
    """One line split between the moods (and unknown) in proportion to their share of the time."""
    text = Text()
    filled = 0.0
    for name, share in totals.mood_share.items():
        filled_before = round(filled * width)
        filled += share
        text.append(BLOCK * (round(filled * width) - filled_before), style=color(name))
    return text


def timeline_bar(stretches: list[Stretch], width: int) -> Text:
    """The session squeezed into ``width`` cells, each showing the mood at its middle."""
    text = Text()
    if not stretches:
        return text
    start, end = stretches[0].start, stretches[-1].end
    index = 0
    for cell in range(width):
        middle = start + (cell + 0.5) * (end - start) / width
        while index < len(stretches) - 1 and stretches[index].end <= middle:
            index += 1
        text.append(BLOCK, style=color(stretches[index].mood))
    return text


def legend(names: list[str | None]) -> Text:
    text = Text()
    for name in names:
        text.append(f"{BLOCK} ", style=color(name)).append(f"{name or 'unknown'}  ")
    return text
