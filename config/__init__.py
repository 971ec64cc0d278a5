"""Default settings and the emotion-to-genre policy, shipped as TOML beside this file."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
