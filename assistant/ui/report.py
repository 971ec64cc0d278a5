"""How one session or a period went, drawn for the terminal (`assistant report`)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assistant.reports import queries
from assistant.reports.queries import Figures, PeriodReport, SessionReport, Totals
from assistant.ui.palette import color
from assistant.ui.views import BLOCK, duration, legend, mood, share_bar, timeline_bar

WIDTH = 60


def _shares(totals: Totals) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1))
    for name, share in totals.mood_share.items():
        table.add_row(mood(name), Text(BLOCK * max(1, round(share * 40)), style=color(name)), f"{share:6.1%}")
    return table


def _stats(figures: Figures) -> Text:
    totals = figures.totals
    return Text(f"{duration(totals.duration_s)} observed, {duration(totals.no_face_s)} without a face · "
                f"{figures.changes} mood changes · longest steady mood {duration(figures.longest_steady_s)}")


def _suggestions(figures: Figures, with_session: bool) -> RenderableType:
    if not figures.suggestions:
        return Text("No suggestions were made.")
    table = Table(box=None, padding=(0, 1))
    for header in (*(["session"] if with_session else []), "at", "kind", "title", "by / year", "for mood"):
        table.add_column(header)
    for s in figures.suggestions:
        detail = s.artist if s.kind == "music" else (str(s.year) if s.year else "")
        table.add_row(*([str(s.session_id)] if with_session else []), duration(s.t), s.kind, Text(s.title),
                      Text(detail or ""), mood(s.mood))
    return table


def render_session(report: SessionReport) -> RenderableType:
    figures = report.figures
    moods = list(dict.fromkeys(stretch.mood for stretch in report.timeline))
    return Group(
        Text(f"Session {report.session_id} · started {queries.iso(report.start)}", style="bold"),
        _stats(figures),
        Panel(Group(timeline_bar(report.timeline, WIDTH), legend(moods)), title="Mood over the session",
              title_align="left"),
        Panel(_shares(figures.totals), title="Time per mood (share of the time with a face)", title_align="left"),
        Panel(_suggestions(figures, with_session=False), title="Suggestions", title_align="left"),
    )


def _buckets(title: str, buckets: list[queries.Bucket]) -> Panel:
    table = Table(box=None, padding=(0, 1))
    for header in ("", "face time", "mood", "moods"):
        table.add_column(header)
    for bucket in buckets:
        label = f"{bucket.label:02d}:00" if isinstance(bucket.label, int) else bucket.label
        table.add_row(label, duration(bucket.totals.face_s), mood(bucket.totals.dominant_mood),
                      share_bar(bucket.totals, 30))
    return Panel(table, title=title, title_align="left")


def _sessions(count: int) -> str:
    return f"{count} session" if count == 1 else f"{count} sessions"


def render_period(report: PeriodReport) -> RenderableType:
    figures = report.figures
    return Group(
        Text(f"{_sessions(len(report.session_ids))} since {queries.iso(report.since)}", style="bold"),
        _stats(figures),
        Panel(_shares(figures.totals), title="Time per mood (share of the time with a face)", title_align="left"),
        _buckets("Mood by day", report.by_day),
        _buckets("Mood by hour of day", report.by_hour),
        Panel(_suggestions(figures, with_session=True), title="Suggestions", title_align="left"),
    )


def render_report(report: SessionReport | PeriodReport) -> RenderableType:
    return render_session(report) if isinstance(report, SessionReport) else render_period(report)
