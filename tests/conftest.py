"""Every test gets its own config, data and cache dirs, so no test sees a user's files or another test's database."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The fake Spotify and TMDB server, as the `fake_apis` fixture of every test that names it.
pytest_plugins = ["tests.support.fake_apis"]


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    for variable in ("ASSISTANT_CONFIG", "ASSISTANT_DB", "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET",
                     "TMDB_API_KEY", "TMDB_READ_ACCESS_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture(scope="session")
def folder_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.synthetic import write_folder_dataset

    return write_folder_dataset(tmp_path_factory.mktemp("fer_folders"))


@pytest.fixture(scope="session")
def csv_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.synthetic import write_csv_dataset

    return write_csv_dataset(tmp_path_factory.mktemp("fer_csv") / "fer2013.csv")


@pytest.fixture(params=["fp32", "bf16"])
def precision(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on each numeric path, whatever this CPU would choose by itself.

    bf16 is native on AVX-512 BF16 / AMX CPUs and emulated (slow, but the same maths)
    elsewhere; a test that passes on one path only would fail CI on another machine.
    """
    monkeypatch.setenv("ASSISTANT_PRECISION", request.param)
    return request.param


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, folder_dataset: Path) -> Path:
    """One short training run on the generated set, on this CPU's own precision, \
shared by the tests that need weights."""
    from training.config import TrainConfig
    from training.train import main

    out = tmp_path_factory.mktemp("run")
    main(TrainConfig(data=folder_dataset, epochs=3, batch_size=16, lr=0.05, out=out, seed=1))
    return out


@pytest.fixture(scope="session")
def ferplus_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.synthetic import write_ferplus_dataset

    return write_ferplus_dataset(tmp_path_factory.mktemp("ferplus"))


@pytest.fixture(scope="session")
def ferplus_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.synthetic import write_ferplus_csv

    return write_ferplus_csv(tmp_path_factory.mktemp("ferplus_csv"))
