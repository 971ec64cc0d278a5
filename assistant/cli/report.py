"""`assistant report`: how one session or a period went."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from assistant.cli import options
from assistant.cli.output import console, print_json
from assistant.reports import queries
from assistant.reports.queries import PeriodReport, SessionReport
from assistant.storage.database import database, db_path
from assistant.ui.report import render_report
from config.errors import UserError


def report(
    session_id: Optional[int] = typer.Argument(None, metavar="SESSION_ID", show_default=False,
                                               help="Session to report on (see `assistant history`); default: the "
                                                    "last one."),
    last: bool = typer.Option(False, "--last", help="Report on the most recent session."),
    since: Optional[str] = options.since_option(),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png",
                                        help="Also draw the timeline and the distribution into this PNG."),
    force: bool = typer.Option(False, "--force", help="Overwrite the --plot file if it exists."),
    db: Optional[Path] = options.db_option(),
    as_json: bool = options.json_option("the report's figures"),
) -> None:
    """How a session went (mood timeline, time per mood, changes, suggestions), or a period with --since."""
    if since is not None and (session_id is not None or last):
        raise UserError("--since reports on a period; leave out SESSION_ID and --last")
    since_ts = options.parse_since(since) if since is not None else None
    if plot is not None:
        options.refuse_to_overwrite(plot, force)
    with database(db_path(db)) as engine:
        if since_ts is not None:
            chosen: SessionReport | PeriodReport = queries.period_report(engine, since_ts)
        else:
            chosen = queries.session_report(engine, options.pick_session(engine, session_id, last))
    if plot is not None:
        _plot(chosen, plot)
    if as_json:
        print_json(chosen.to_json())
        return
    console.print(render_report(chosen))
    if plot is not None:
        console.print(f"Plot written to {plot}")


def _plot(chosen: SessionReport | PeriodReport, plot: Path) -> None:
    from assistant.ui import plot as plotting  # matplotlib takes a second to import; only --plot needs it

    try:
        (plotting.plot_session if isinstance(chosen, SessionReport) else plotting.plot_period)(chosen, plot)
    except OSError as error:
        raise UserError(f"cannot write {plot}: {error.strerror}") from None
