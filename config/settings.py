"""Typed settings: `default.toml`, then the user's file, then environment overrides.

Validation happens on load so a typo in a config file is a one-line error naming the
key, not a KeyError halfway through a session.
"""

from __future__ import annotations

import os
import tomllib
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

import platformdirs
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from config import CONFIG_DIR
from config.errors import UserError

DEFAULTS_FILE = CONFIG_DIR / "default.toml"
# Base URLs can be pointed at a proxy or a test server without editing a file.
ENV_OVERRIDES = {
    "ASSISTANT_SPOTIFY_API_BASE": ("spotify", "api_base"),
    "ASSISTANT_SPOTIFY_ACCOUNTS_BASE": ("spotify", "accounts_base"),
    "ASSISTANT_TMDB_API_BASE": ("tmdb", "api_base"),
}


class _Section(BaseModel):
    # inf and nan are no durations: a budget of inf overflowed the clock, a nan one never ended.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host or "").is_loopback
    except ValueError:
        return False


def _safe_base_url(value: str) -> str:
    """Keys and saved tokens travel to this address: https, or plain http only to this machine
    (a local proxy or a test server)."""
    url = urlparse(value)
    if url.scheme == "https" and url.hostname:
        return value
    if url.scheme == "http" and _is_loopback(url.hostname):
        return value
    raise ValueError(f"{value!r} must be an https:// address (plain http only on this machine, "
                     "such as http://127.0.0.1:PORT): keys and tokens are sent there")


BaseUrl = Annotated[str, AfterValidator(_safe_base_url)]


class DetectorSettings(_Section):
    backend: Literal["mediapipe", "haar"]
    photo_model: Literal["short", "full", "both"]
    video_model: Literal["short", "full", "both"]
    min_confidence: float = Field(ge=0.0, le=1.0)
    margin: float = Field(ge=0.0, le=1.0)
    shift: float = Field(ge=-0.5, le=0.5)
    level_eyes: bool


class RecognizerSettings(_Section):
    weights: str
    tta: bool
    calibration: Literal["profile", "auto", "off"]


class TrackerSettings(_Section):
    time_constant_s: float = Field(gt=0.0)
    confidence_floor: float = Field(ge=0.0, le=1.0)
    min_dwell_s: float = Field(ge=0.0)
    no_face_timeout_s: float = Field(gt=0.0)


class SessionSettings(_Section):
    strategy: Literal["match", "uplift", "calm"]
    suggestion_interval_s: float = Field(ge=0.0)
    suggestion_limit: int = Field(ge=1, le=50)


class RecommendSettings(_Section):
    policy: str
    budget_s: float = Field(gt=0.0, le=600.0)
    cache_ttl_s: int = Field(ge=0)
    offline: bool
    learn: bool


class SpotifySettings(_Section):
    api_base: BaseUrl
    accounts_base: BaseUrl
    redirect_uri: str
    market: str
    play: bool


class TmdbSettings(_Section):
    api_base: BaseUrl
    language: str
    region: str
    min_vote_count: int = Field(ge=0)
    sort_by: Literal["popularity.desc", "vote_average.desc", "vote_count.desc", "primary_release_date.desc",
                     "revenue.desc"]


class Settings(_Section):
    detector: DetectorSettings
    recognizer: RecognizerSettings
    tracker: TrackerSettings
    session: SessionSettings
    recommend: RecommendSettings
    spotify: SpotifySettings
    tmdb: TmdbSettings


def user_config_file() -> Path:
    return Path(platformdirs.user_config_dir("assistant")) / "config.toml"


def read_toml(path: Path, kind: str = "config file", error: type[UserError] = UserError) -> dict[str, Any]:
    """Parse a TOML file the user may have written; every failure is one line naming the file."""
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise error(f"{kind} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"cannot read {kind} {path}: {problem}") from None
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{kind} {path} is not valid TOML: {problem}") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def chosen_config_file(path: Path | None = None) -> Path | None:
    """The user's settings file in effect: ``path`` (--config), else ASSISTANT_CONFIG, else the platform's file
    if it exists."""
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get("ASSISTANT_CONFIG"):
        return Path(os.environ["ASSISTANT_CONFIG"]).expanduser()
    return user_config_file() if user_config_file().is_file() else None


def load_settings_with_origins(path: Path | None = None) -> tuple[Settings, dict[str, str]]:
    """Defaults < user file < environment, with where each "section.key" got its value:
    "default", the file's path or "$VARIABLE"."""
    data = read_toml(DEFAULTS_FILE)
    origins = {f"{section}.{key}": "default" for section, values in data.items() for key in values}
    source = chosen_config_file(path)
    if source is not None:
        user = read_toml(source)
        data = _merge(data, user)
        origins.update({f"{section}.{key}": str(source) for section, values in user.items()
                        if isinstance(values, dict) for key in values})
    for variable, (section, key) in ENV_OVERRIDES.items():
        if os.environ.get(variable) and isinstance(data.get(section), dict):
            data[section][key] = os.environ[variable]
            origins[f"{section}.{key}"] = f"${variable}"
    try:
        return Settings.model_validate(data), origins
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        origin = f"config file {source}" if source else "default settings"
        raise UserError(f"{origin}: {where}: {first['msg']}") from None


def load_settings(path: Path | None = None) -> Settings:
    return load_settings_with_origins(path)[0]
