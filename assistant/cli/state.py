"""What the root command's options set for the sub-command that runs after it."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings, load_settings

config_path: Path | None = None


def settings() -> Settings:
    """The settings every command uses: defaults, then --config / ASSISTANT_CONFIG or the user's file."""
    return load_settings(config_path)
