"""Titles, artists and paths from outside are shown as they are: never read as Rich markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from assistant.cli import app
from assistant.storage.recorder import SessionRecorder, SuggestionRecord
from assistant.ui.dashboard import _numbered
from tests.support.fake_apis import MARKUP_TITLES, FakeApis

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """One session whose songs and films carry the markup titles (songs also as artists and genres)."""
    path = tmp_path / "assistant.db"
    with SessionRecorder.start(path, "0", "{}") as rec:
        rec.add_sample(0.0, 1_700_000_000.0, [0.05, 0.05, 0.05, 0.6, 0.1, 0.1, 0.05], "happy")
        rec.add_suggestions(0.0, [SuggestionRecord("music", title, "online", artist=title, genre=title,
                                                   uri=f"spotify:track:t{n}") for n, title in enumerate(MARKUP_TITLES)]
                            + [SuggestionRecord("movie", title, "offline", year=2001) for title in MARKUP_TITLES],
                            "happy", "match")
        rec.close("source ended")
    return path


def assert_literal(text: str) -> None:
    flat = " ".join(text.split())
    for title in MARKUP_TITLES:
        assert title in flat, f"{title!r} not shown as it is in:\n{text}"


@pytest.mark.parametrize("command", [["report", "1"], ["rate", "1"]])
def test_report_and_rate_show_markup_titles_as_they_are(db: Path, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--db", str(db)], input="\n\n", env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert_literal(result.output)  # rate asks on stderr


def test_recommend_shows_the_catalogues_titles_as_they_are(fake_apis: FakeApis) -> None:
    fake_apis.titles = MARKUP_TITLES
    result = runner.invoke(app, ["recommend", "--mood", "happy"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    shown = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(shown) == 10 and set(shown) <= set(MARKUP_TITLES) and len(set(shown)) >= 4, result.stdout


def test_the_live_dashboard_shows_markup_titles_as_they_are() -> None:
    console = Console(record=True, width=250)
    console.print(_numbered("Music", "by", [(title, title) for title in MARKUP_TITLES], 1, {}))
    assert_literal(console.export_text())


def test_export_and_forget_print_paths_with_brackets(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "[red]mix[b]"
    folder.mkdir()
    output = folder / "[untitled].m3u"
    exported = runner.invoke(app, ["export", "1", "--format", "m3u", "--output", str(output), "--db", str(db)],
                             env={"COLUMNS": "250"})
    assert exported.exit_code == 0, exported.output
    assert str(output) in exported.stdout and output.read_text().count("#EXTINF") == len(MARKUP_TITLES)
    moved = folder / "[b]assistant.db"
    db.rename(moved)
    forgotten = runner.invoke(app, ["forget", "1", "--yes", "--db", str(moved)], env={"COLUMNS": "250"})
    assert forgotten.exit_code == 0, forgotten.output
    assert str(moved) in forgotten.stdout
