"""`assistant report`: how one session or a period went; and `bench report`, how fast that is."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assistant import report_bench, reports
from assistant.cli import options
from assistant.cli.output import console, print_json
from assistant.ui.views import BLOCK, duration, legend, mood, share_bar, timeline_bar
from assistant.palette import color
from assistant.reports import Figures, PeriodReport, SessionReport, Totals
from assistant.storage.database import database, db_path
from config.errors import UserError

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
        table.add_row(*([str(s.session_id)] if with_session else []), duration(s.t), s.kind, Text(s.title), Text(detail or ""), mood(s.mood))
    return table


def render_session(report: SessionReport) -> RenderableType:
    figures = report.figures
    moods = list(dict.fromkeys(stretch.mood for stretch in report.timeline))
    return Group(
        Text(f"Session {report.session_id} · started {reports.iso(report.start)}", style="bold"),
        _stats(figures),
        Panel(Group(timeline_bar(report.timeline, WIDTH), legend(moods)), title="Mood over the session", title_align="left"),
        Panel(_shares(figures.totals), title="Time per mood (share of the time with a face)", title_align="left"),
        Panel(_suggestions(figures, with_session=False), title="Suggestions", title_align="left"),
    )


def _buckets(title: str, buckets: list[reports.Bucket]) -> Panel:
    table = Table(box=None, padding=(0, 1))
    for header in ("", "face time", "mood", "moods"):
        table.add_column(header)
    for bucket in buckets:
        label = f"{bucket.label:02d}:00" if isinstance(bucket.label, int) else bucket.label
        table.add_row(label, duration(bucket.totals.face_s), mood(bucket.totals.dominant_mood), share_bar(bucket.totals, 30))
    return Panel(table, title=title, title_align="left")


def _sessions(count: int) -> str:
    return f"{count} session" if count == 1 else f"{count} sessions"


def render_period(report: PeriodReport) -> RenderableType:
    figures = report.figures
    return Group(
        Text(f"{_sessions(len(report.session_ids))} since {reports.iso(report.since)}", style="bold"),
        _stats(figures),
        Panel(_shares(figures.totals), title="Time per mood (share of the time with a face)", title_align="left"),
        _buckets("Mood by day", report.by_day),
        _buckets("Mood by hour of day", report.by_hour),
        Panel(_suggestions(figures, with_session=True), title="Suggestions", title_align="left"),
    )


def show(db: Path | None, session_id: int | None, last: bool, since: str | None, plot: Path | None, force: bool,
         as_json: bool, out: Console) -> None:
    """The report command's work, with the console as a parameter so `bench report` times exactly this."""
    if since is not None and (session_id is not None or last):
        raise UserError("--since reports on a period; leave out SESSION_ID and --last")
    since_ts = options.parse_since(since) if since is not None else None
    if plot is not None:
        options.refuse_to_overwrite(plot, force)
    with database(db_path(db)) as engine:
        if since_ts is not None:
            report: SessionReport | PeriodReport = reports.period_report(engine, since_ts)
        else:
            report = reports.session_report(engine, options.pick_session(engine, session_id, last))
    if plot is not None:
        from assistant import plot as plotting  # matplotlib takes a second to import; only --plot needs it

        try:
            (plotting.plot_session if isinstance(report, SessionReport) else plotting.plot_period)(report, plot)
        except OSError as error:
            raise UserError(f"cannot write {plot}: {error.strerror}") from None
    if as_json:
        print_json(report.to_json())
    else:
        out.print(render_session(report) if isinstance(report, SessionReport) else render_period(report))
        if plot is not None:
            out.print(f"Plot written to {plot}")


def report(
    session_id: Optional[int] = typer.Argument(None, metavar="SESSION_ID", show_default=False,
                                               help="Session to report on (see `assistant history`); default: the last one."),
    last: bool = typer.Option(False, "--last", help="Report on the most recent session."),
    since: Optional[str] = options.since_option(),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png", help="Also draw the timeline and the distribution into this PNG."),
    force: bool = typer.Option(False, "--force", help="Overwrite the --plot file if it exists."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("the report's figures"),
) -> None:
    """How a session went (mood timeline, time per mood, changes, suggestions), or a period with --since."""
    show(db, session_id, last, since, plot, force, as_json, console)


def bench_report(
    samples: int = typer.Option(1_000_000, "--samples", min=1, help="Mood samples (frames) in the synthetic session."),
    as_json: bool = options.json_option("the timings"),
) -> None:
    """Time `assistant report` on a synthetic session of N samples built in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        report_bench.build(path, samples)
        built = time.perf_counter() - started
        started = time.perf_counter()
        show(path, session_id=None, last=True, since=None, plot=None, force=False, as_json=False,
             out=Console(file=io.StringIO(), width=100))
        seconds = time.perf_counter() - started
    if as_json:
        print_json({"samples": samples, "build_seconds": round(built, 3), "seconds": round(seconds, 3)})
    else:
        console.print(f"report over {samples:,} samples: {seconds:.3f} s (building the database took {built:.1f} s)")


def register(app: typer.Typer) -> None:
    app.command()(report)
