"""A session put together from settings, the one way `assistant start` and `bench session` both run it.

Loading the models (`prepare`) is kept apart from recording (`record`), so a Ctrl-C or a
bad weights file during the seconds of loading leaves no empty session in the database.
"""

from __future__ import annotations

import json
import queue
from pathlib import Path

import torch

from assistant.session.loop import FrameView, LiveSession, LiveSummary, StatusView
from assistant.session.sources import Source
from assistant.session.stop import Stop
from assistant.session.suggestions import SuggestionRounds
from assistant.session.tracker import MoodTracker
from assistant.storage.recorder import SessionRecorder
from config.settings import Settings
from recognizer.calibration import Calibrator
from recognizer.from_settings import build_pipeline
from recognizer.pipeline import EmotionPipeline
from recommenders.playback import Player
from recommenders.service import Recommendations
from recommenders.taste import Taste


def effective_settings(settings: Settings, *, strategy: str | None, offline: bool,
                       no_learning: bool = False) -> Settings:
    """The settings with the command's --strategy, --offline and --no-learning applied: what the session row records."""
    session = settings.session.model_copy(update={"strategy": strategy or settings.session.strategy})
    recommend = settings.recommend.model_copy(update={"offline": offline or settings.recommend.offline,
                                                      "learn": settings.recommend.learn and not no_learning})
    return settings.model_copy(update={"session": session, "recommend": recommend})


def prepare(settings: Settings, taste: Taste | None = None, player: Player | None = None,
            calibration: Calibrator | None = None) -> tuple[EmotionPipeline, SuggestionRounds]:
    """Load the recognizer, corrected for one person by ``calibration`` if given, and start the
    suggestion worker, its rounds steered by ``taste`` and queued on Spotify by ``player`` if given."""
    # One intra-op thread: a frame holds one 48x48 face, too little work to share between
    # cores, and the decoder, the face detector and the camera thread need the other core.
    # With two threads a busy machine made the classifier's p95 ~200 ms instead of ~2.5 ms.
    torch.set_num_threads(1)
    pipeline = build_pipeline(settings, video=True, calibration=calibration)
    service = Recommendations(settings, offline=settings.recommend.offline, taste=taste)
    rounds = SuggestionRounds(service, strategy=settings.session.strategy, limit=settings.session.suggestion_limit,
                              interval_s=settings.session.suggestion_interval_s,
                              final_wait_s=settings.recommend.budget_s * (2 if player else 1), player=player)
    return pipeline, rounds


def record(settings: Settings, source: Source, db: Path, pipeline: EmotionPipeline, rounds: SuggestionRounds,
           stop: Stop, *, duration_s: float | None = None, max_frames: int | None = None,
           save_frames: Path | None = None, latencies: list[float] | None = None,
           on_frame: FrameView | None = None, on_status: StatusView | None = None,
           keys: queue.SimpleQueue[str] | None = None) -> LiveSummary:
    """Record one session into ``db`` until the source ends or ``stop`` is requested."""
    with SessionRecorder.start(db, source.label, json.dumps(settings.model_dump(mode="json"))) as recorder:
        session = LiveSession(source, pipeline, MoodTracker(settings.tracker), recorder, rounds, duration_s=duration_s,
                          max_frames=max_frames, save_frames=save_frames, latencies=latencies, keys=keys)
        return session.run(stop, on_frame=on_frame, on_status=on_status)
