"""The emotion-aware recommendation assistant: live session, mood tracking, storage, reports."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("emotion-assistant")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
