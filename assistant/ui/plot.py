"""`report --plot`: the same figures as a PNG, for keeping or sharing.

Figures are built with matplotlib's object API on the Agg canvas, never pyplot, so no GUI
backend is touched and nothing global changes in a process that also shows a live window.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from assistant.reports.queries import PeriodReport, SessionReport, Totals
from assistant.ui.palette import color
from recognizer.classes import EMOTIONS


def _distribution(ax: Axes, totals: Totals) -> None:
    shares = totals.mood_share
    ax.barh(list(shares), [100 * v for v in shares.values()], color=[color(m) for m in shares])
    ax.invert_yaxis()
    ax.set_xlabel("% of the observed time")
    ax.set_title("Time per mood")


def plot_session(report: SessionReport, path: Path) -> None:
    figure = Figure(figsize=(10, 5), layout="constrained")
    timeline, distribution = figure.subplots(2, 1, height_ratios=[1, 2])
    for stretch in report.timeline:
        timeline.barh(0, stretch.seconds, left=stretch.start, color=color(stretch.mood),
                      label=stretch.mood or "unknown")
    handles, labels = timeline.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    timeline.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.45), ncols=len(unique),
                    frameon=False)
    timeline.set_yticks([])
    timeline.set_xlabel("seconds from the start of the source")
    timeline.set_title(f"Session {report.session_id}: tracked mood")
    _distribution(distribution, report.figures.totals)
    figure.savefig(path, format="png")


def plot_period(report: PeriodReport, path: Path) -> None:
    figure = Figure(figsize=(10, 6), layout="constrained")
    days, distribution = figure.subplots(2, 1)
    labels = [str(bucket.label) for bucket in report.by_day]
    bottom = [0.0] * len(labels)
    for name in (*EMOTIONS, None):
        hours = [bucket.totals.mood_seconds.get(name, 0.0) / 3600 for bucket in report.by_day]
        if any(hours):
            days.bar(labels, hours, bottom=bottom, color=color(name), label=name or "unknown")
            bottom = [b + h for b, h in zip(bottom, hours, strict=True)]
    days.set_ylabel("hours with a face")
    days.set_title(f"Mood by day, {len(report.session_ids)} session{'' if len(report.session_ids) == 1 else 's'}")
    days.legend(loc="upper left", fontsize="small")
    _distribution(distribution, report.figures.totals)
    figure.savefig(path, format="png")
