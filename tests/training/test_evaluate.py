"""`evaluate --detect` reads each photo exactly as `predict` does, test-time augmentation included."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from config.settings import load_settings
from recognizer.crop import crop_face
from recognizer.from_settings import build_pipeline
from recognizer.preprocess import to_gray48
from tests.support import shared_image
from training.evaluate import detect_and_crop


@pytest.mark.parametrize("tta", [True, False])
def test_evaluate_and_predict_read_a_photo_from_the_same_crops(tmp_path: Path, tta: bool) -> None:
    image = shared_image("angry_1.jpg")
    (tmp_path / "angry").mkdir()
    cv2.imwrite(str(tmp_path / "angry" / "a.png"), image)
    pipeline = build_pipeline(load_settings(), video=False, tta=tta)
    (predicted,) = pipeline.analyze(image)
    views = pipeline.geometry.views(tta)
    photos = detect_and_crop(pipeline.detector, tmp_path, "test", views)
    evaluated = photos.probabilities(pipeline.classifier, pipeline.geometry, tta)
    np.testing.assert_allclose(evaluated[0], predicted.probabilities, atol=1e-5)
    # With augmentation the face is read from three different crops (each with its mirror), the
    # chosen one among them; without it, from the chosen crop alone, as the live session reads it.
    assert len(views) == (3 if tta else 1) and pipeline.geometry in views
    crops = {to_gray48(crop_face(image, predicted.face, view)).tobytes() for view in views}
    assert len(crops) == len(views)
