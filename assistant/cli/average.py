"""`assistant average`: one network from several fine-tunes of one start (see `training.average`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from assistant.cli.output import err_console


def average(
    weights: list[Path] = typer.Argument(..., help="Weights files (.safetensors, manifest beside them), fine-tuned "
                                                   "from one start; the first one's FER-2013 head is kept."),
    share: Optional[list[float]] = typer.Option(None, "--share",
                                                help="Each file's weight in the mean, in the same order "
                                                     "(default: equal)."),
    out: Path = typer.Option(..., "--out", help="Where to write the averaged weights (.safetensors)."),
) -> None:
    """Average the weights of several fine-tunes into one network, as fast as each of them.

    The result has no figures of its own yet: measure it with `assistant evaluate --weights OUT`,
    and record its neutral reference (`--record-reference`) before calibrating with it.
    """
    from training.average import average_weights

    average_weights(weights, share or None, out, shlex.join(["assistant", *sys.argv[1:]]),
                    say=lambda line: err_console.print(line, highlight=False, markup=False))
    err_console.print(f"averaged {len(weights)} networks into {out}", highlight=False, markup=False)
