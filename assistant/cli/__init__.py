"""Emotion-aware music and movie suggestions from your webcam, with a recognizer you can train and evaluate yourself.

* `assistant start`: watch the webcam, follow your mood, suggest music and films
* `assistant start --source clip.mp4 --headless --json`
* `assistant history`, `assistant report --last`: how past sessions went
* `assistant export --last --format m3u`: keep the suggested music as a playlist
* `assistant recommend --mood sad --strategy uplift`
* `assistant rate --last --like 1,3 --dismiss 2`, `assistant taste`: teach it your taste, see what it learned
* `assistant predict photo.jpg`: the emotion of every face in a photo
* `assistant calibrate`: teach it your resting face, so a relaxed face reads as relaxed
* `assistant train --data fer2013/`, `assistant evaluate`: train and measure the recognizer
* `assistant average a.safetensors b.safetensors --out c.safetensors`: one network from several fine-tunes
* `assistant config show`: every setting in effect and where it came from
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Optional

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # Typer ≥ 0.29 vendors click
from typer.core import TyperGroup

from assistant import __version__
from assistant.cli import (
    auth,
    average,
    bench,
    calibrate,
    configuration,
    evaluate,
    export,
    forget,
    history,
    predict,
    rate,
    recommend,
    report,
    start,
    state,
    taste,
    train,
)
from assistant.cli.output import print_error
from config.errors import UserError


class _UserErrorsAsOneLine(TyperGroup):
    """Every UserError raised by any command becomes one red line on stderr and exit code 1;
    a mistyped command or option becomes one line too (exit code 2), not a boxed panel."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except UserError as error:
            print_error(str(error))
            raise typer.Exit(1) from None
        except NoArgsIsHelpError:
            raise  # `assistant bench` alone shows its help
        except UsageError as error:
            command = error.ctx.command_path if error.ctx else "assistant"
            print_error(f"{error.format_message()} (see '{command} --help')")
            raise typer.Exit(2) from None


app = typer.Typer(cls=_UserErrorsAsOneLine, help=__doc__, no_args_is_help=True, add_completion=False,
                  rich_markup_mode="markdown",
                  context_settings={"help_option_names": ["-h", "--help"]})


def _version(value: bool) -> None:
    if value:
        typer.echo(f"assistant {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    config: Optional[Path] = typer.Option(None, "--config", envvar="ASSISTANT_CONFIG",
                                          help="Settings file (TOML) to use instead of the user's."),
) -> None:
    state.config_path = config


#: Every command, in the order `assistant --help` lists them: a function is a command, a Typer a noun
#: with its verbs. Each lives in the module named after it.
COMMANDS: list[tuple[str, Callable[..., None] | typer.Typer]] = [
    ("start", start.start),
    ("calibrate", calibrate.calibrate),
    ("predict", predict.predict),
    ("evaluate", evaluate.evaluate),
    ("train", train.train),
    ("average", average.average),
    ("recommend", recommend.recommend),
    ("auth", auth.app),
    ("history", history.history),
    ("report", report.report),
    ("export", export.export),
    ("rate", rate.rate),
    ("taste", taste.taste),
    ("forget", forget.forget),
    ("bench", bench.app),
    ("config", configuration.app),
]
for name, command in COMMANDS:
    if isinstance(command, typer.Typer):
        app.add_typer(command, name=name)
    else:
        app.command(name)(command)


def main() -> None:
    app()
