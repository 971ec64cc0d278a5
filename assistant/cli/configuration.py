"""`assistant config ...`: where the settings file is, and what the settings in effect are."""

from __future__ import annotations

import typer

from assistant.cli import options, state
from assistant.cli.output import console, print_json
from assistant.ui.tables import settings_table
from config.settings import chosen_config_file, load_settings_with_origins, user_config_file

app = typer.Typer(help="Your settings: where they are read from and what is in effect.", no_args_is_help=True)


@app.command("path")
def config_path() -> None:
    """The settings file in effect (--config, ASSISTANT_CONFIG, else the platform's config path, whether or not it
    exists yet)."""
    typer.echo(str(chosen_config_file(state.config_path) or user_config_file()))


@app.command("show")
def config_show(as_json: bool = options.json_option("each setting's value and origin")) -> None:
    """Every setting in effect and where it came from: default, your file, or an environment variable."""
    settings, origins = load_settings_with_origins(state.config_path)
    rows = [{"setting": f"{section}.{key}", "value": value, "origin": origins[f"{section}.{key}"]}
            for section, values in settings.model_dump().items() for key, value in values.items()]
    if as_json:
        print_json(rows)
        return
    console.print(settings_table(rows))
