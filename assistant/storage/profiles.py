"""Calibration profiles in the session database, read and written as SQLModel rows.

A profile is a name and a handful of numbers (the person's baseline, see
`recognizer.calibration`); several people sharing a machine each keep their own.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, select

from assistant.storage.models import ProfileRow
from config.errors import UserError
from recognizer.classes import EMOTIONS

DEFAULT_PROFILE = "default"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


def check_name(name: str) -> str:
    """A profile name is shown in tables and typed in commands: a short word, nothing that needs quoting."""
    if not _NAME.fullmatch(name):
        raise UserError(f"profile name {name!r}: use up to 40 letters, digits, '.', '_' or '-', "
                        "starting with a letter or digit")
    return name


@dataclass(frozen=True)
class Profile:
    name: str
    weights_sha256: str
    baseline: np.ndarray  # (7,) mean log-probabilities in EMOTIONS order
    frames: int
    spread: float
    created_at: float

    @classmethod
    def new(cls, name: str, weights_sha256: str, baseline: np.ndarray, frames: int, spread: float) -> Profile:
        return cls(check_name(name), weights_sha256, np.asarray(baseline, dtype=np.float64), frames, spread,
                   time.time())

    @classmethod
    def _of(cls, row: ProfileRow) -> Profile:
        values = json.loads(row.baseline)
        return cls(row.name, row.weights_sha256, np.array([values[name] for name in EMOTIONS]), row.frames,
                   row.spread, row.created_at)

    def save(self, engine: Engine) -> None:
        """Store it under its name, replacing an older profile of that name in the same transaction."""
        baseline = json.dumps({name: round(float(value), 6)
                               for name, value in zip(EMOTIONS, self.baseline, strict=True)})
        with Session(engine.execution_options(immediate=True)) as session:
            row = (session.exec(select(ProfileRow).where(ProfileRow.name == self.name)).first()
                   or ProfileRow(name=self.name))
            row.created_at, row.weights_sha256, row.baseline = self.created_at, self.weights_sha256, baseline
            row.frames, row.spread = self.frames, self.spread
            session.add(row)
            session.commit()


def list_profiles(engine: Engine) -> list[Profile]:
    with Session(engine) as session:
        return [Profile._of(row) for row in session.exec(select(ProfileRow).order_by(ProfileRow.name))]


def find_profile(engine: Engine, name: str) -> Profile | None:
    with Session(engine) as session:
        row = session.exec(select(ProfileRow).where(ProfileRow.name == check_name(name))).first()
        return None if row is None else Profile._of(row)


def remove_profile(engine: Engine, name: str) -> None:
    with Session(engine.execution_options(immediate=True)) as session:
        row = session.exec(select(ProfileRow).where(ProfileRow.name == check_name(name))).first()
        if row is None:
            raise UserError(f"no profile {name!r}; `assistant calibrate --show` lists them")
        session.delete(row)
        session.commit()

