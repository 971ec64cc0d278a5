"""Every command, sub-command, option and argument explains itself, and its --help works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from assistant.cli import COMMANDS, app


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The command and, depth first, every command under it, with the words that call it."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def test_every_command_and_option_has_help_and_its_help_works() -> None:
    tree = list(_walk(typer.main.get_command(app)))
    assert {path[0] for path, _ in tree if len(path) == 1} == {name for name, _ in COMMANDS}
    runner = CliRunner()
    for path, command in tree:
        where = " ".join(("assistant", *path))
        assert command.help, where
        for param in command.params:
            assert getattr(param, "help", None), f"{where} {param.name}"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, where
