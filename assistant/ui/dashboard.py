"""The live session's terminal dashboard: mood, a bar per emotion, the last minute, speed, suggestions.

`render_dashboard` is a pure function of a `SessionStatus`, so a test can render it into a
recording Console; `Dashboard` only puts its result on screen when the session sends a
new status, a few times a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assistant.reports.queries import Stretch
from assistant.session.feedback import HINT
from assistant.session.loop import TIMELINE_S, SessionStatus
from assistant.ui.palette import color
from assistant.ui.views import BLOCK, duration, mood, timeline_bar
from recognizer.classes import EMOTIONS
from recommenders.tmdb import ATTRIBUTION

BAR_WIDTH = 30
TIMELINE_WIDTH = 60
#: How a suggestion the person rated is marked next to its number.
MARKS = {"like": Text("♥ liked", style="green"), "dismiss": Text("✗ dismissed", style="red")}


def render_dashboard(status: SessionStatus) -> RenderableType:
    return Group(_headline(status), _bars(status), _timeline(status), _suggestions(status))


def _headline(status: SessionStatus) -> Text:
    text = Text("mood ", style="bold")
    text.append_text(mood(status.mood))
    if status.confidence is not None:
        text.append(f" {status.confidence:.0%}")
    if status.strategy:
        text.append(f"  ·  strategy {status.strategy}")
    text.append(f"\n{duration(status.t - status.started_t)} · {status.fps:.1f} fps · {status.frames} frames, "
                f"{status.frames_with_face} with a face", style="dim")
    if status.dropped:
        text.append(f", {status.dropped} dropped", style="dim")
    face = status.face
    text.append("\nthis frame: ")
    if face is None:
        text.append("no face", style="dim")
    else:
        text.append(face.emotion, style=color(face.emotion)).append(f" {face.confidence:.0%}")
    return text


def _bars(status: SessionStatus) -> Table:
    """The tracker's smoothed probabilities: what the mood is decided on, steadier than one frame."""
    table = Table.grid(padding=(0, 1))
    for _ in range(3):
        table.add_column()
    for index, name in enumerate(EMOTIONS):
        p = 0.0 if status.probabilities is None else float(status.probabilities[index])
        table.add_row(Text(f"{name:<8}"), Text(BLOCK * round(p * BAR_WIDTH), style=color(name)).append(
            " " * (BAR_WIDTH - round(p * BAR_WIDTH))), Text(f"{p:4.0%}", justify="right"))
    return table


def _timeline(status: SessionStatus) -> Panel:
    changes = status.changes
    ends = [*(t for t, _ in changes[1:]), status.t]
    stretches = [Stretch(start, end, name) for (start, name), end in zip(changes, ends, strict=False) if end > start]
    span = status.t - status.started_t
    title = "last minute" if span >= TIMELINE_S else f"since the start ({duration(span)})"
    return Panel(timeline_bar(stretches, TIMELINE_WIDTH), title=title, title_align="left", expand=False)


def _suggestions(status: SessionStatus) -> RenderableType:
    suggestions, fetching = status.suggestions, status.fetching
    if suggestions is None:
        waiting = "Fetching suggestions…" if fetching else "Suggestions come once a mood is established."
        return Text(waiting, style="dim")
    # Numbered music first, then movies: the numbers the keys name (see session.feedback).
    verdicts = status.marks.verdicts
    music = _numbered(f"Music · {suggestions.music_source}", "artist",
                      [(track.title, track.artist) for track in suggestions.music], 1, verdicts)
    movies = _numbered(f"Movies · {suggestions.movie_source}", "year",
                       [(movie.title, str(movie.year or "")) for movie in suggestions.movies],
                       len(suggestions.music) + 1, verdicts)
    heading = Text("Suggestions for ", style="bold").append_text(mood(suggestions.mood)).append(
        f" ({suggestions.strategy}, {suggestions.source})")
    if fetching:
        heading.append("  · fetching new ones…", style="dim")
    elif status.next_round_at is not None:
        wait = status.next_round_at - status.t
        heading.append("  · you look ").append_text(mood(status.mood)).append(
            f" now: new ones in {wait:.0f} s" if wait >= 0.5 else " now: new ones next", style="dim")
    keys = Text(HINT, style="dim")
    if status.marks.message:
        keys.append("  ·  ").append(status.marks.message, style="bold")
    lines: list[RenderableType] = [heading, music, movies, keys]
    if suggestions.shows_tmdb:
        lines.append(Text(ATTRIBUTION, style="dim"))
    lines.extend(Text(f"note: {note}", style="yellow") for note in suggestions.notes)
    return Group(*lines)


def _numbered(title: str, detail: str, rows: list[tuple[str, str]], first: int,
              verdicts: Mapping[int, str]) -> Table:
    # min_width: a table of short titles must not wrap its own heading onto two lines.
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1), min_width=len(title))
    table.add_column("#", justify="right")
    for column in ("title", detail, ""):
        table.add_column(column)
    for number, (name, extra) in enumerate(rows, start=first):
        table.add_row(str(number), Text(name), Text(extra), MARKS.get(verdicts.get(number), ""))
    return table


class Dashboard:
    """`render_dashboard` kept on screen with Rich Live; refreshed only by `update`, never on a timer."""

    def __init__(self, console: Console) -> None:
        self._live = Live(Text("Waiting for the first frames…", style="dim"), console=console, auto_refresh=False,
                          redirect_stdout=False, redirect_stderr=False)

    def update(self, status: SessionStatus) -> None:
        self._live.update(render_dashboard(status), refresh=True)

    def __enter__(self) -> Dashboard:
        self._live.start(refresh=True)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._live.stop()
