"""Consoles shared by all commands: results on stdout, messages and errors on stderr."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """Plain JSON on stdout, never wrapped or coloured, so it pipes into jq."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_error(message: str) -> None:
    """One red line on stderr, never wrapped, so a long path cannot split it in two."""
    err_console.print(f"error: {message}", style="red", highlight=False, markup=False, soft_wrap=True)


def print_note(message: str) -> None:
    """A yellow line on stderr for something the user should know but that is not an error."""
    err_console.print(f"note: {message}", style="yellow", highlight=False, markup=False, soft_wrap=True)
