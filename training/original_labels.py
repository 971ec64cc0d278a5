"""Find each FER+ face's original FER-2013 label, so training can use both.

FER+ re-labelled the FER-2013 faces with ten taggers each, but its files hold only the
votes. The original label is still evidence (a posed scowl that taggers split between
angry and neutral, say), and a model that learns from the votes alone loses the
FER-2013 benchmark (64 % against 71 %). The two datasets' files share no names and no
bytes (FER-2013's JPEGs are contrast-stretched and lossy, FER+'s PNGs the original
pixels), so faces are paired by the correlation of their equalised pixels: both sets come
out of `recognizer.preprocess.to_gray48` histogram-equalised, and the same face then
correlates above 0.9 where two different faces rarely pass 0.6.
"""

from __future__ import annotations

import numpy as np
import torch

from training.datasets import FaceSet

#: Below this, the best match is taken for a different face and the face keeps its votes only.
MIN_CORRELATION = 0.9


def _standardised(images: np.ndarray) -> torch.Tensor:
    flat = torch.from_numpy(images.reshape(len(images), -1)).float()
    flat = flat - flat.mean(1, keepdim=True)
    return flat / flat.norm(dim=1, keepdim=True).clamp_min(1e-6)


def best_matches(faces: np.ndarray, candidates: np.ndarray, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each face, the index of the most correlated candidate and that correlation."""
    reference = _standardised(candidates)
    indices, correlations = [], []
    for start in range(0, len(faces), chunk):
        similarity = _standardised(faces[start:start + chunk]) @ reference.T
        best = similarity.max(dim=1)
        indices.append(best.indices.numpy())
        correlations.append(best.values.numpy())
    return np.concatenate(indices), np.concatenate(correlations)


def original_labels(ferplus: FaceSet, fer2013: FaceSet) -> np.ndarray:
    """(N,) the FER-2013 label of each FER+ face (EMOTIONS index), or -1 where none matches."""
    index, correlation = best_matches(ferplus.images, fer2013.images)
    return np.where(correlation >= MIN_CORRELATION, fer2013.labels[index], -1)
