from pathlib import Path

import pytest

from config.errors import UserError
from config.settings import load_settings, user_config_file


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_load() -> None:
    settings = load_settings()
    assert settings.detector.backend == "mediapipe"
    assert settings.session.strategy in ("match", "uplift", "calm")


def test_user_file_overrides_only_what_it_names() -> None:
    _write(user_config_file(), "[detector]\nbackend = 'haar'\n")
    settings = load_settings()
    assert settings.detector.backend == "haar"
    assert settings.detector.min_confidence == 0.5  # untouched default


def test_explicit_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "c.toml", "[tracker]\nmin_dwell_s = 5\n")
    assert load_settings(path).tracker.min_dwell_s == 5
    monkeypatch.setenv("ASSISTANT_CONFIG", str(path))
    monkeypatch.setenv("ASSISTANT_TMDB_API_BASE", "http://127.0.0.1:9/3")
    settings = load_settings()
    assert settings.tracker.min_dwell_s == 5 and settings.tmdb.api_base == "http://127.0.0.1:9/3"


@pytest.mark.parametrize("text, named", [
    ("[detector]\nbackend = 'dlib'\n", "detector.backend"),
    ("[detector]\nspeed = 3\n", "detector.speed"),
    ("[tracker]\nmin_dwell_s = -1\n", "tracker.min_dwell_s"),
    ("[nonsense]\nx = 1\n", "nonsense"),
    ("[detector\n", "not valid TOML"),
    ("[recommend]\nbudget_s = inf\n", "recommend.budget_s: Input should be a finite number"),
    ("[tracker]\ntime_constant_s = nan\n", "tracker.time_constant_s: Input should be a finite number"),
    ("[tmdb]\napi_base = 'http://api.themoviedb.example/3'\n", "tmdb.api_base"),
    ("[spotify]\naccounts_base = 'http://10.0.0.5/'\n", "must be an https:// address"),
    ("[spotify]\napi_base = 'ftp://127.0.0.1/v1/'\n", "spotify.api_base"),
])
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(UserError) as error:
        load_settings(_write(tmp_path / "bad.toml", text))
    assert named in str(error.value) and "\n" not in str(error.value)


def test_broken_config_through_the_cli_is_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    bad = _write(tmp_path / "bad.toml", "[detector]\nbackend = 'dlib'\n")
    result = CliRunner().invoke(app, ["--config", str(bad), "predict", "x.jpg"])
    assert result.exit_code == 1
    assert "detector.backend" in result.stderr and "Traceback" not in result.output


def test_config_path_and_show_say_where_each_setting_comes_from(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["config", "path"]).stdout.strip() == str(user_config_file())
    mine = _write(tmp_path / "mine.toml", "[tracker]\nmin_dwell_s = 2.5\n")
    monkeypatch.setenv("ASSISTANT_TMDB_API_BASE", "http://127.0.0.1:9/3")
    assert runner.invoke(app, ["--config", str(mine), "config", "path"]).stdout.strip() == str(mine)
    result = runner.invoke(app, ["--config", str(mine), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["setting"]: row for row in json.loads(result.stdout)}
    assert rows["tracker.min_dwell_s"] == {"setting": "tracker.min_dwell_s", "value": 2.5, "origin": str(mine)}
    assert rows["tmdb.api_base"]["origin"] == "$ASSISTANT_TMDB_API_BASE"
    assert rows["detector.backend"] == {"setting": "detector.backend", "value": "mediapipe", "origin": "default"}
    monkeypatch.chdir(tmp_path)
    table = runner.invoke(app, ["--config", "mine.toml", "config", "show"])
    line = next(line for line in table.stdout.splitlines() if "tracker.min_dwell_s" in line)
    assert table.exit_code == 0 and "2.5" in line and "mine.toml" in line


def test_plain_http_base_urls_are_kept_on_this_machine_only(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path / "local.toml", "[tmdb]\napi_base = 'http://127.0.0.1:9999/3'\n"
                                    "[spotify]\napi_base = 'http://[::1]:8080/v1/'\n"))
    assert settings.tmdb.api_base == "http://127.0.0.1:9999/3" and settings.spotify.api_base.startswith("http://[::1]")
