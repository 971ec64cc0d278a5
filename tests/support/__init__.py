"""Loading ../shared material in tests, skipping with the reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"


def needs_shared(*parts: str) -> Path:
    """The path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared is only beside the repo on the team's machines)")
    return path


def shared_image(name: str) -> np.ndarray:
    image = cv2.imread(str(needs_shared("images", name)))
    assert image is not None, name
    return image


def only_line(text: str) -> str:
    """The one non-blank line of a command's output: errors and notes must fit on one."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]
