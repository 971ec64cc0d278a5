"""The video window: the frame with the face box, its emotion and probability bars, and the numbered
suggestions with what was pressed on them; q or Esc ends the session, the other keys rate (`session.feedback`).

The window shows at most `OVERLAY_HZ` frames a second: a video file is analysed far
faster than anyone can watch, and every shown frame costs a redraw. Drawing happens on
the analysed frame itself (the source reuses that buffer for a later frame anyway), so
nothing is copied.
"""

from __future__ import annotations

import os
import queue
import sys
import time
import unicodedata

import cv2
import numpy as np

from assistant.session.feedback import HINT, NUMBER_KEYS, Marks
from assistant.session.loop import SessionStatus
from assistant.session.tracker import MoodState
from assistant.ui.palette import color
from recognizer.classes import EMOTIONS
from recognizer.pipeline import FaceEmotion

OVERLAY_HZ = 30.0
WINDOW = "assistant"
_QUIT_KEYS = frozenset({ord("q"), 27})  # 27: Esc
_BAR_LENGTH = 120
_ROW = 18
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_LINE = 16
_TITLE_CHARS = 42
_NO_KEY = 0xFF  # waitKey's answer, masked, when nothing was pressed
_MARK_COLORS = {"like": (80, 200, 80), "dismiss": (80, 80, 230)}  # BGR


class NoDisplay(Exception):
    """No window can be opened here; the message says why (the session goes on without one)."""


def _bgr(hex_color: str) -> tuple[int, int, int]:
    value = int(hex_color.lstrip("#"), 16)
    return value & 0xFF, (value >> 8) & 0xFF, value >> 16


class Overlay:
    """A `FrameView` for the session: call it with each analysed frame."""

    def __init__(self, keys: queue.SimpleQueue[str] | None = None) -> None:
        """``keys`` receives every key pressed in the window other than q and Esc."""
        # Qt aborts the whole process when it cannot reach a display, so look before asking it.
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise NoDisplay("no display ($DISPLAY is not set)")
        try:
            cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE)
        except cv2.error as error:
            raise NoDisplay(f"OpenCV cannot open a window ({str(error).strip().splitlines()[-1]})") from None
        self._shown = 0.0
        self._keys = keys
        self._status: SessionStatus | None = None

    def update(self, status: SessionStatus) -> None:
        """The session's latest status: the suggestions and marks drawn on the next frames."""
        self._status = status

    def __call__(self, image: np.ndarray, face: FaceEmotion | None, state: MoodState) -> bool:
        """Show the frame if it is time to; False once q or Esc is pressed or the window is closed."""
        now = time.perf_counter()
        if now - self._shown < 1.0 / OVERLAY_HZ:
            return True
        self._shown = now
        draw(image, face, state)
        if self._status is not None and self._status.suggestions is not None:
            s = self._status.suggestions
            draw_suggestions(image, [f"{t.title} - {t.artist}" for t in s.music] +
                             [f"{m.title} ({m.year})" if m.year else m.title for m in s.movies], self._status.marks)
        cv2.imshow(WINDOW, image)
        key = cv2.waitKey(1) & 0xFF
        if key in _QUIT_KEYS:
            return False
        if key != _NO_KEY and self._keys is not None:
            self._keys.put(chr(key))
        return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) >= 1

    def close(self) -> None:
        cv2.destroyWindow(WINDOW)
        cv2.waitKey(1)  # lets the GUI loop actually take the window down


def draw(image: np.ndarray, face: FaceEmotion | None, state: MoodState) -> None:
    """The face box with this frame's emotion, the tracked mood, and a bar per emotion, onto ``image``."""
    mood_text = "mood: unknown" if state.confidence is None else f"mood: {state.mood} {state.confidence:.0%}"
    cv2.putText(image, mood_text, (10, 22), _FONT, 0.6, _bgr(color(state.mood)), 2, cv2.LINE_AA)
    if face is None:
        cv2.putText(image, "no face", (10, 44), _FONT, 0.5, (200, 200, 200), 1, cv2.LINE_AA)
        return
    box, ink = face.face, _bgr(color(face.emotion))
    cv2.rectangle(image, (box.x, box.y), (box.x + box.width, box.y + box.height), ink, 2)
    cv2.putText(image, f"{face.emotion} {face.confidence:.0%}", (box.x, max(box.y - 8, 14)), _FONT, 0.6, ink, 2,
                cv2.LINE_AA)
    for row, (name, p) in enumerate(zip(EMOTIONS, face.probabilities, strict=True)):
        y = 40 + row * _ROW
        cv2.rectangle(image, (80, y), (80 + int(p * _BAR_LENGTH), y + _ROW - 5), _bgr(color(name)), cv2.FILLED)
        cv2.putText(image, name, (10, y + _ROW - 7), _FONT, 0.45, (255, 255, 255), 1, cv2.LINE_AA)


def draw_suggestions(image: np.ndarray, labels: list[str], marks: Marks) -> None:
    """The suggestions a key can name, numbered (music first, then movies), each liked or
    dismissed one marked, then what the last key did and the keys, at the bottom left of ``image``."""
    lines: list[tuple[str, tuple[int, int, int]]] = []
    for number, label in enumerate(labels[:len(NUMBER_KEYS)], start=1):
        verdict = marks.verdicts.get(number)
        mark = {"like": "+", "dismiss": "x"}.get(verdict or "", " ")
        lines.append((f"{number % 10} {mark} {_ascii(label)[:_TITLE_CHARS]}",
                      _MARK_COLORS.get(verdict or "", (255, 255, 255))))
    if marks.message:
        lines.append((_ascii(marks.message)[:_TITLE_CHARS + 10], (0, 220, 255)))
    lines.append((_ascii(HINT), (200, 200, 200)))
    bottom = image.shape[0] - 8
    for row, (text, ink) in enumerate(reversed(lines)):
        y = bottom - row * _LINE
        cv2.putText(image, text, (10, y), _FONT, 0.45, (0, 0, 0), 3, cv2.LINE_AA)  # an outline, readable on any frame
        cv2.putText(image, text, (10, y), _FONT, 0.45, ink, 1, cv2.LINE_AA)


def _ascii(text: str) -> str:
    """OpenCV's fonts draw ASCII only: accents are dropped (Amélie -> Amelie), other characters too."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode() or "?"
