"""Train-time augmentation, per sample, with torchvision.transforms.v2.

FER-2013 is small and noisy: geometric jitter (the crops are only roughly aligned),
flips, lighting changes and random erasing (occlusion by hands, glasses) are what the
strongest published single CNNs train with. Evaluation uses no augmentation beyond the
optional flip at inference time, so it shares `recognizer.preprocess.normalize`.
"""

from __future__ import annotations

import torch
from torchvision.transforms import v2

from recognizer.preprocess import normalize


class TrainTransform:
    """uint8 (1, 48, 48) → normalised float (1, 48, 48) with random jitter."""

    def __init__(self) -> None:
        self.geometry = v2.Compose([
            # One warp for rotation, shift and zoom: each separate op costs ~100 µs a face.
            v2.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.15)),
            v2.RandomHorizontalFlip(),
            v2.ColorJitter(brightness=0.3, contrast=0.3),
        ])
        self.erase = v2.RandomErasing(p=0.5, scale=(0.02, 0.2), value=0)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.erase(normalize(self.geometry(image)))
