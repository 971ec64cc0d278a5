"""`assistant train` offers exactly `TrainConfig`'s defaults, so the command and the library cannot drift apart."""

from __future__ import annotations

from dataclasses import MISSING, fields

import typer

from assistant.cli import app
from training.config import TrainConfig

#: The options whose names differ from the field they set.
RENAMED = {"share": "shares", "held_out": "held_out_fraction"}


def test_every_train_option_sets_a_config_field_and_defaults_to_it() -> None:
    defaults = {field.name: field.default for field in fields(TrainConfig)}
    command = typer.main.get_command(app).commands["train"]
    for param in command.params:
        name = RENAMED.get(param.name, param.name)
        assert name in defaults, f"--{param.name} sets no TrainConfig field"
        if defaults[name] is not MISSING:
            assert param.default == defaults[name], (
                f"--{param.name}: {param.default!r}, TrainConfig: {defaults[name]!r}")
