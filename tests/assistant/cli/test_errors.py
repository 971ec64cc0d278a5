from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


def test_a_mistyped_option_value_is_one_line_naming_it() -> None:
    result = runner.invoke(app, ["export", "--format", "mp3"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--format" in lines[0] and "mp3" in lines[0]


def test_an_unknown_command_is_one_line() -> None:
    result = runner.invoke(app, ["nonsense"])
    assert result.exit_code == 2 and result.stderr.strip().count("\n") == 0 and "nonsense" in result.stderr


def test_a_group_alone_still_shows_its_help() -> None:
    result = runner.invoke(app, ["bench"])
    assert "recognizer" in result.output and "session" in result.output
