"""One colour per emotion, shared by the terminal views and the plots so a mood looks the same everywhere."""

from __future__ import annotations

# Keyed in recognizer.classes.EMOTIONS order.
MOOD_COLORS: dict[str, str] = {
    "angry": "#d62728",
    "disgust": "#8c564b",
    "fear": "#9467bd",
    "happy": "#f2c12e",
    "neutral": "#7f9fbf",
    "sad": "#1f77b4",
    "surprise": "#ff7f0e",
}
# No mood established, or no face: a quiet grey that no emotion uses.
UNKNOWN_COLOR = "#5a5a5a"


def color(mood: str | None) -> str:
    """A mood's colour; None and the reports' "unknown" share are grey."""
    return MOOD_COLORS.get(mood or "", UNKNOWN_COLOR)
