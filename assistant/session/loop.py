"""The frame loop: frame → largest face → emotion → tracked mood → database, suggestions and views.

Per frame the loop does only what must be done per frame: analyse it, update the tracker,
append a row to the recorder's buffer (which commits about twice a second) and glance at
the suggestion worker. What a person looks at is refreshed a few times a second
(`STATUS_INTERVAL_S`), not at the frame rate, and suggestions never block a frame.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from assistant.session.feedback import LiveFeedback, Marks
from assistant.session.sources import Source
from assistant.session.stop import Stop
from assistant.session.suggestions import Round, SuggestionRounds
from assistant.session.tracker import MoodState, MoodTracker
from assistant.storage.recorder import SessionRecorder
from config.errors import UserError
from recognizer.pipeline import EmotionPipeline, FaceEmotion
from recommenders.service import Suggestions

#: How often the dashboard gets a new status.
STATUS_INTERVAL_S = 0.25
#: Seconds of source time the dashboard's timeline covers.
TIMELINE_S = 60.0
#: Typed in the terminal, ends the session as q does in the video window.
END_KEY = "q"

#: Called with each analysed frame; returns False when the person asked to end the session.
FrameView = Callable[[np.ndarray, FaceEmotion | None, MoodState], bool]


@dataclass(frozen=True)
class SessionStatus:
    """What the dashboard shows: a snapshot of the loop, taken a few times a second."""

    t: float  # source time of the latest frame
    started_t: float  # source time of the first frame
    mood: str | None
    confidence: float | None
    probabilities: np.ndarray | None  # the tracker's smoothed probabilities, EMOTIONS order
    face: FaceEmotion | None  # the latest frame's face; None when it had none
    fps: float  # frames analysed per second of wall clock, over the last status interval
    frames: int
    frames_with_face: int
    dropped: int
    #: The mood at the start of the timeline (the last TIMELINE_S, or since the first frame), then its changes.
    changes: tuple[tuple[float, str | None], ...]
    suggestions: Suggestions | None  # the latest round
    fetching: bool  # a round is being fetched (an online source can take seconds)
    #: When the mood has moved on from the one the suggestions on show are for: the source
    #: time from which the next round may be asked (rounds are at least an interval apart).
    next_round_at: float | None
    strategy: str | None
    marks: Marks  # the likes and dismissals pressed on the suggestions on show


#: Called a few times a second with the latest status.
StatusView = Callable[[SessionStatus], None]


@dataclass(frozen=True)
class LiveSummary:
    """What `assistant start` prints at the end."""

    session_id: int
    duration_s: float  # source time from the first frame to the last
    frames: int
    frames_with_face: int
    fps: float  # frames analysed per second of wall clock
    moods: tuple[tuple[float, str | None], ...]  # every change of the tracked mood, on the source's timeline
    suggestions: int  # items recorded
    dropped: int
    end_reason: str
    notes: tuple[str, ...]  # what the recommenders said about their sources (offline, missing keys, ...)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "duration_s": round(self.duration_s, 3),
            "frames": self.frames,
            "frames_with_face": self.frames_with_face,
            "fps": round(self.fps, 1),
            "moods": [{"t": round(t, 3), "mood": mood} for t, mood in self.moods],
            "suggestions": self.suggestions,
            "frames_dropped": self.dropped,
            "end_reason": self.end_reason,
        }


class LiveSession:
    """One run over a source; `run` records into ``recorder`` and closes it with the end reason."""

    def __init__(self, source: Source, pipeline: EmotionPipeline, tracker: MoodTracker, recorder: SessionRecorder,
                 rounds: SuggestionRounds | None, *, duration_s: float | None = None, max_frames: int | None = None,
                 save_frames: Path | None = None, latencies: list[float] | None = None,
                 keys: queue.SimpleQueue[str] | None = None) -> None:
        """``latencies``, when given, receives each frame's seconds from asking the source for it to
        its sample being buffered (decode + detect + classify + track + record). ``keys``: what
        the person types in the terminal or the video window (see `feedback`)."""
        self.source, self.pipeline, self.tracker = source, pipeline, tracker
        self.recorder, self.rounds = recorder, rounds
        self.duration_s, self.max_frames = duration_s, max_frames
        self.save_frames, self.latencies = save_frames, latencies
        self.frames = 0
        self.frames_with_face = 0
        self.suggested = 0
        self.moods: list[tuple[float, str | None]] = []
        self.first_t: float | None = None  # source time of the first frame, and of the latest
        self.last_t = 0.0
        self.failure: str | None = None
        self.notes: dict[str, None] = {}  # ordered set
        self.keys = keys
        self.feedback = LiveFeedback(recorder, rounds)
        self._latest_round: Suggestions | None = None
        self._fps = 0.0

    def run(self, stop: Stop, *, on_frame: FrameView | None = None,
            on_status: StatusView | None = None) -> LiveSummary:
        recorder, rounds = self.recorder, self.rounds
        started = time.perf_counter()
        hurry = False
        try:
            self._loop(stop, on_frame, on_status)
        except KeyboardInterrupt:  # a second Ctrl-C: end now, without waiting for a round in flight
            stop.request("interrupted")
            hurry = True
        except BaseException:
            if rounds is not None:
                rounds.finish(self.last_t, None, hurry=True)  # the worker goes whatever ends the session
            raise
        finally:
            stop.closing = True
        elapsed = time.perf_counter() - started
        # Settled now: a signal that comes while closing must not rename how the session ended.
        end_reason = stop.reason or self.failure or self.source.end_reason or "the source ended"
        if rounds is not None:
            # What was seen is written before any wait, so a kill during the wait loses none of it.
            recorder.try_flush()
            for answer in rounds.finish(self.last_t, self.moods[-1][1] if self.moods else None, hurry=hurry,
                                        cancel=stop.hurry):
                self._record(answer)
        recorder.close(end_reason)
        return LiveSummary(
            session_id=recorder.session_id, duration_s=0.0 if self.first_t is None else self.last_t - self.first_t,
            frames=self.frames, frames_with_face=self.frames_with_face,
            fps=self.frames / elapsed if elapsed > 0 else 0.0, moods=tuple(self.moods), suggestions=self.suggested,
            dropped=self.source.dropped, end_reason=end_reason, notes=tuple(self.notes))

    def _loop(self, stop: Stop, on_frame: FrameView | None, on_status: StatusView | None) -> None:
        """Frames until the source ends, fails (``failure`` says how) or a stop is asked for."""
        analyze, update, recorder, rounds = self.pipeline.analyze, self.tracker.update, self.recorder, self.rounds
        frames = self.source.frames(stop)
        asked = status_at = time.perf_counter()
        status_frames = 0
        while not stop.is_set():
            try:
                t, image = next(frames)
            except StopIteration:
                break
            except (cv2.error, OSError) as error:  # a device or file failing under us ends the session, cleanly
                self.failure = f"the source failed: {_first_line(error)}"
                break
            if self.first_t is None:
                self.first_t = t
            self.last_t = t
            faces = analyze(image, largest_only=True)
            face = faces[0] if faces else None
            probabilities = None if face is None else face.probabilities
            state = update(t, probabilities)
            recorder.add_sample(t, time.time(), probabilities, state.mood)
            if state.changed:
                recorder.add_mood_change(t, state.mood)
                self.moods.append((t, state.mood))
            if rounds is not None:
                rounds.consider(t, state.mood)
                self._record(rounds.poll())
            recorder.maybe_flush()
            if recorder.flush_error is not None:
                self.notes[f"{recorder.flush_error}; the frames are kept and saving is tried again"] = None
            if self.latencies is not None:
                self.latencies.append(time.perf_counter() - asked)
            if self.save_frames is not None:
                self._save(self.save_frames, image)
            self.frames += 1
            self.frames_with_face += face is not None
            if on_frame is not None and not on_frame(image, face, state):
                stop.request("window closed")
            if self.duration_s is not None and t - self.first_t >= self.duration_s:
                stop.request("duration reached")
            if self.max_frames is not None and self.frames >= self.max_frames:
                stop.request("frame limit reached")
            pressed = self.keys is not None and not self.keys.empty() and self._press(self.keys, stop)
            now = time.perf_counter()
            if on_status is not None and (pressed or now - status_at >= STATUS_INTERVAL_S):
                if now - status_at >= STATUS_INTERVAL_S:
                    self._fps = (self.frames - status_frames) / (now - status_at)
                    status_at, status_frames = now, self.frames
                on_status(self._status(t, self.first_t, state, face, self._fps))  # a key shows at once
            asked = time.perf_counter()

    def _press(self, keys: queue.SimpleQueue[str], stop: Stop) -> bool:
        """The keys typed since the last frame; True when one changed what the views show."""
        changed = False
        while not keys.empty():
            key = keys.get_nowait()
            if key == END_KEY:
                stop.request("q pressed")
            else:
                changed |= self.feedback.press(key)
        return changed

    def _record(self, answer: Round | None) -> None:
        if answer is None:
            return
        records = answer.records()
        handles = self.recorder.add_suggestions(answer.t, records, answer.suggestions.mood, answer.suggestions.strategy)
        self.feedback.show(answer, records, handles)
        self.suggested += len(records)
        self.notes.update(dict.fromkeys(answer.suggestions.notes))
        self._latest_round = answer.suggestions

    def _save(self, folder: Path, image: np.ndarray) -> None:
        """--save-frames: the frame as analysed, before any overlay is drawn on it."""
        path = folder / f"session{self.recorder.session_id}-{self.frames:06d}.jpg"
        encoded, jpeg = cv2.imencode(".jpg", image)
        try:
            if not encoded:
                raise OSError("the frame could not be encoded")
            # A face is as private as the database: the file is born readable by the user alone.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(jpeg.tobytes())
        except OSError as error:
            raise UserError(f"cannot write {path}: {error.strerror or error}; "
                            "is the disk full or the folder gone?") from None

    def _status(self, t: float, first_t: float, state: MoodState, face: FaceEmotion | None,
                fps: float) -> SessionStatus:
        since = max(t - TIMELINE_S, first_t)
        in_force: str | None = None  # unknown until the first change
        recent = []
        for change in self.moods:
            if change[0] <= since:
                in_force = change[1]
            else:
                recent.append(change)
        return SessionStatus(
            t=t, started_t=first_t, mood=state.mood, confidence=state.confidence, probabilities=state.probabilities,
            face=face, fps=fps, frames=self.frames, frames_with_face=self.frames_with_face, dropped=self.source.dropped,
            changes=((since, in_force), *recent),
            suggestions=self._latest_round, fetching=self.rounds is not None and self.rounds.fetching,
            next_round_at=None if self.rounds is None else self.rounds.next_round_at(state.mood),
            strategy=None if self.rounds is None else self.rounds.strategy, marks=self.feedback.marks)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
