"""Turn any face crop into the classifier's input, identically in training and inference.

Training images are already 48x48 grayscale; live crops are BGR of any size. Both go
through `to_gray48` so a face looks the same to the model wherever it came from.

Every face is histogram-equalised. The FER-2013 JPEGs that most people download already
are (their pooled histogram is flat, std 77 against 53 for the same faces' original
pixels in FER+), so equalising the FER+ PNGs and live crops too makes all three look
alike; and since equalisation depends only on the order of pixel values, a dim room, a
webcam's auto-exposure or a gamma curve leaves the model's input nearly unchanged.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

INPUT_SIZE = 48
#: Image files read from folders, in training sets and in live sessions alike (OpenCV decodes them all).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
# Fixed rather than measured per dataset so that a model's input never depends on which
# data it happened to be trained on; batch norm absorbs the small offset.
MEAN = 0.5
STD = 0.25
#: Changes whenever `to_gray48` would turn the same image into different pixels, so that
#: decoded-dataset caches made the old way are not reused.
PREPROCESSING_VERSION = "gray48-equalized-square-2"


def largest_square(image: np.ndarray) -> np.ndarray:
    """The top square of a face image taller than wide, the middle one of a wider one.

    Squashing a non-square face to 48x48 changes its proportions, and the model learnt
    faces with their own. Aligned face sets that are not square are taller than wide with
    the eyes near the top and the chin at the bottom (SFEW's 143x181 faces), or portraits
    with the neck below the face, so the top square keeps the face: on SFEW films held out
    from training the same weights read 52.7 → 54.3 %, and weights that never saw SFEW
    45.2 → 52.1 % (docs/results.md, "Faces that are not square").
    """
    height, width = image.shape[:2]
    if height > width:
        return image[:width]
    left = (width - height) // 2
    return image[:, left:left + height]


def to_gray48(image: np.ndarray) -> np.ndarray:
    """Return a 48x48 uint8 grayscale, histogram-equalised copy of a BGR, BGRA or gray image of any size
    (the `largest_square` of one that is not square)."""
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        image = cv2.cvtColor(image, code)
    image = largest_square(image)
    if image.shape != (INPUT_SIZE, INPUT_SIZE):
        # INTER_AREA averages pixels when shrinking, like the downscaling FER-2013 went through.
        interpolation = cv2.INTER_AREA if image.shape[0] > INPUT_SIZE else cv2.INTER_LINEAR
        image = cv2.resize(image, (INPUT_SIZE, INPUT_SIZE), interpolation=interpolation)
    return cv2.equalizeHist(np.ascontiguousarray(image, dtype=np.uint8))


def normalize(batch: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 1, 48, 48) in [0, 255] → float tensor the model was trained on."""
    return (batch.float() / 255.0 - MEAN) / STD
