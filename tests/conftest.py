"""Every test gets its own config, data and cache dirs, so no test sees a user's files or another test's database."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    for variable in ("ASSISTANT_CONFIG", "ASSISTANT_DB", "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET",
                     "TMDB_API_KEY", "TMDB_READ_ACCESS_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    return home


def needs_shared(*parts: str) -> Path:
    """The path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared is only beside the repo on the team's machines)")
    return path
