"""What the person sees: the terminal dashboard (rendered into a recording Console) and the video overlay."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from rich.console import Console

from assistant.session.feedback import Marks
from assistant.session.loop import SessionStatus
from assistant.session.tracker import MoodState
from assistant.ui import overlay
from assistant.ui.dashboard import render_dashboard
from config.settings import load_settings
from recognizer.classes import EMOTIONS
from recognizer.detection import Face
from recognizer.pipeline import FaceEmotion
from recommenders.base import Movie, Track
from recommenders.service import Recommendations, Suggestions
from recommenders.tmdb import ATTRIBUTION

SMOOTHED = np.array([0.05, 0.02, 0.03, 0.72, 0.10, 0.05, 0.03])
FACE = FaceEmotion(Face(200, 80, 160, 160, 0.93), np.array([0.04, 0.02, 0.03, 0.66, 0.15, 0.06, 0.04]))


def status(**changes) -> SessionStatus:
    base = SessionStatus(t=12.0, started_t=0.0, mood="happy", confidence=0.72, probabilities=SMOOTHED, face=FACE,
                         fps=29.8, frames=360, frames_with_face=350, dropped=4,
                         changes=((0.0, None), (2.6, "neutral"), (8.0, "happy")), suggestions=None, fetching=False,
                         next_round_at=None, strategy="match", marks=Marks({}, None))
    return dataclasses.replace(base, **changes)


def text_of(state: SessionStatus) -> str:
    console = Console(record=True, width=100, color_system="truecolor")
    console.print(render_dashboard(state))
    return console.export_text()


def test_the_dashboard_shows_mood_bars_timeline_and_speed() -> None:
    text = text_of(status())
    assert "mood happy 72%" in text and "strategy match" in text
    assert "29.8 fps" in text and "360 frames, 350 with a face, 4 dropped" in text
    assert "this frame: happy 66%" in text
    for name, p in zip(EMOTIONS, SMOOTHED, strict=True):
        line = next(line for line in text.splitlines() if line.startswith(name))
        assert line.count("█") == round(p * 30) and f"{p:.0%}" in line
    assert "since the start (12s)" in text
    assert "Suggestions come once a mood is established." in text


def test_the_timeline_colours_each_stretch_by_its_mood() -> None:
    console = Console(record=True, width=100, color_system="truecolor")
    console.print(render_dashboard(status()))
    html = console.export_html(inline_styles=True)
    for hex_color in ("#5a5a5a", "#7f9fbf", "#f2c12e"):  # unknown, neutral, happy
        assert hex_color in html


def test_after_a_minute_the_timeline_is_the_last_minute() -> None:
    assert "last minute" in text_of(status(t=75.0, changes=((15.0, "happy"),)))


def test_no_face_and_no_mood_are_said_plainly() -> None:
    text = text_of(status(mood=None, confidence=None, probabilities=None, face=None))
    assert "mood unknown" in text and "this frame: no face" in text
    for name in EMOTIONS:  # every bar is still there, empty
        line = next(line for line in text.splitlines() if line.startswith(name))
        assert "█" not in line and line.rstrip().endswith(" 0%")


def test_offline_suggestions_are_marked_and_carry_no_tmdb_line() -> None:
    suggestions = Recommendations(load_settings(), offline=True).suggest("happy", "match", limit=3)
    text = text_of(status(suggestions=suggestions))
    assert "Suggestions for happy (match, offline)" in text
    assert "Music · offline catalog" in text and "Movies · offline catalog" in text
    for item in (*suggestions.music, *suggestions.movies):
        assert item.title in text
    assert ATTRIBUTION not in text
    assert "note: offline mode" in text


def test_when_the_mood_moves_on_the_dashboard_says_when_new_suggestions_come() -> None:
    suggestions = Recommendations(load_settings(), offline=True).suggest("neutral", "match", limit=3)
    text = text_of(status(suggestions=suggestions, mood="happy", next_round_at=32.4))
    assert "Suggestions for neutral (match, offline)  · you look happy now: new ones in 20 s" in text


def test_tmdb_results_come_with_the_attribution() -> None:
    suggestions = Suggestions(mood="sad", strategy="uplift", music=(Track("Here Comes the Sun", "The Beatles", "pop"),),
                              movies=(Movie("Paddington 2", 2017, ("Family",), tmdb_id=346648),),
                              music_source="Spotify", movie_source="TMDB", notes=())
    text = text_of(status(suggestions=suggestions, fetching=True))
    assert "Movies · TMDB" in text and "Paddington 2" in text and "2017" in text
    assert ATTRIBUTION in " ".join(text.split())
    assert "(uplift, online)" in text and "fetching new ones" in text


def test_the_overlay_draws_box_label_and_bars_on_the_frame() -> None:
    image = np.zeros((360, 640, 3), np.uint8)
    overlay.draw(image, FACE, MoodState("happy", 0.72, SMOOTHED, False))
    box = FACE.face
    assert image[box.y, box.x + box.width // 2].any()  # the box's top edge
    happy_bar = 40 + EMOTIONS.index("happy") * 18 + 5
    assert image[happy_bar, 80 + int(0.66 * 120) - 2].any() and not image[happy_bar, 80 + int(0.66 * 120) + 4].any()


def test_without_a_display_the_overlay_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlay.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(overlay.NoDisplay, match=r"no display \(\$DISPLAY is not set\)"):
        overlay.Overlay()


def test_short_titles_do_not_wrap_the_table_headings() -> None:
    suggestions = Suggestions(mood="happy", strategy="match", music=(Track("Up", "U2", "pop"),),
                              movies=(Movie("Coco", 2017, ("Family",)),), music_source="offline catalog",
                              movie_source="offline catalog", notes=())
    text = text_of(status(suggestions=suggestions))
    assert "Music · offline catalog" in text and "Movies · offline catalog" in text


def test_suggestions_are_numbered_music_first_and_show_what_was_pressed() -> None:
    suggestions = Suggestions(mood="sad", strategy="match",
                              music=(Track("Hurt", "Johnny Cash", "sad"), Track("Creep", "Radiohead", "sad")),
                              movies=(Movie("Up", 2009, ("Animation",)),), music_source="offline catalog",
                              movie_source="offline catalog", notes=())
    text = text_of(status(suggestions=suggestions, marks=Marks({2: "like", 3: "dismiss"}, "dismissed 3: Up")))
    lines = text.splitlines()
    assert next(line for line in lines if "Hurt" in line).split()[:2] == ["1", "Hurt"]
    assert next(line for line in lines if "Creep" in line).rstrip().endswith("♥ liked")
    assert next(line for line in lines if "Up " in line).split()[0] == "3" and "✗ dismissed" in text
    assert "1-9, 0: like  ·  x then a number: dismiss  ·  dismissed 3: Up" in text
