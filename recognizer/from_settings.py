"""Build the recognizer pieces from settings, the same way for every command."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from recognizer.calibration import Calibrator
from recognizer.crop import VIDEO_CROP_SIDE, CropGeometry
from recognizer.detection import BorderedRetry, FaceDetector, create_detector
from recognizer.inference import EmotionClassifier
from recognizer.pipeline import EmotionPipeline
from recognizer.weights import BUNDLED_WEIGHTS


def weights_file(settings: Settings, weights: Path | None = None) -> Path:
    """``weights`` (a command's --weights) wins over the setting; empty setting = bundled weights."""
    if weights is not None:
        return weights
    return Path(settings.recognizer.weights).expanduser() if settings.recognizer.weights else BUNDLED_WEIGHTS


def load_classifier(settings: Settings, weights: Path | None = None, head: str = "product") -> EmotionClassifier:
    return EmotionClassifier.from_weights(weights_file(settings, weights), head=head)


def detector_model(settings: Settings, *, video: bool) -> str:
    """The BlazeFace model a video (live session) or a still photo is searched with."""
    return settings.detector.video_model if video else settings.detector.photo_model


def build_detector(settings: Settings, *, video: bool) -> FaceDetector:
    """A photo with no face found is searched again inside a border (`BorderedRetry`); a video frame is not."""
    detector = create_detector(settings.detector.backend, settings.detector.min_confidence,
                               detector_model(settings, video=video))
    return detector if video else BorderedRetry(detector)


def crop_geometry(settings: Settings, *, video: bool) -> CropGeometry:
    """The settings' crop: a video frame's face warped to at most `VIDEO_CROP_SIDE`, a photo's at its own size."""
    detector = settings.detector
    return CropGeometry(detector.margin, detector.shift, detector.level_eyes, VIDEO_CROP_SIDE if video else None)


def build_pipeline(settings: Settings, *, video: bool, weights: Path | None = None, tta: bool | None = None,
                   calibration: Calibrator | None = None, head: str = "product") -> EmotionPipeline:
    geometry = crop_geometry(settings, video=video)
    return EmotionPipeline(build_detector(settings, video=video), load_classifier(settings, weights, head), geometry,
                           settings.recognizer.tta if tta is None else tta, calibration)
