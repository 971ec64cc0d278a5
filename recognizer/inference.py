"""Emotion probabilities for face crops: the one inference path of the project.

Probabilities always come in `recognizer.classes.EMOTIONS` order. On CPUs with native
bfloat16 (AVX-512 BF16 / AMX) the model runs in bfloat16 with batch norm folded into the
convolutions and a frozen TorchScript graph, which is 2-3x faster than float32 there;
elsewhere it stays float32 (emulated bf16 is 10-20x slower than float32 on an AVX2 CPU).
``ASSISTANT_PRECISION=fp32`` or ``bf16`` forces one path for inference and training alike,
which is how the test suite runs both on whatever CPU it is given.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from config.errors import UserError
from recognizer.models import head_module
from recognizer.preprocess import INPUT_SIZE, normalize, to_gray48
from recognizer.weights import load_weights


def cpu_has_fast_bf16() -> bool:
    """True where bfloat16 matmuls run natively; emulated bf16 is slower than fp32."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # older or non-x86 builds
        return False


PRECISION_VARIABLE = "ASSISTANT_PRECISION"


def bf16_by_default() -> bool:
    """bfloat16 where the CPU runs it natively, unless ASSISTANT_PRECISION says fp32 or bf16."""
    choice = os.environ.get(PRECISION_VARIABLE, "auto").strip().lower() or "auto"
    if choice not in ("auto", "fp32", "bf16"):
        raise UserError(f"{PRECISION_VARIABLE}={choice!r}: choose auto, fp32 or bf16")
    return cpu_has_fast_bf16() if choice == "auto" else choice == "bf16"


def faces_to_tensor(faces: np.ndarray) -> torch.Tensor:
    """(N, 48, 48) uint8 → normalised (N, 1, 48, 48) float, channels_last."""
    batch = torch.from_numpy(np.ascontiguousarray(faces)).unsqueeze(1)
    return normalize(batch).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def batched_probabilities(model: nn.Module, faces: np.ndarray, *, batch_size: int = 512, tta: bool = False,
                          dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> np.ndarray:
    """Softmax outputs for (N, 48, 48) uint8 faces; ``tta`` averages with the mirrored face (the other
    crops of `CropGeometry.views` are the caller's)."""
    outputs = []
    for start in range(0, len(faces), batch_size):
        batch = faces_to_tensor(faces[start:start + batch_size]).to(device=device, dtype=dtype)
        probs = torch.softmax(model(batch).float(), dim=1)
        if tta:
            probs = (probs + torch.softmax(model(batch.flip(3)).float(), dim=1)) / 2
        outputs.append(probs.cpu())
    if not outputs:
        return np.zeros((0, 7), dtype=np.float32)
    return torch.cat(outputs).numpy()


def optimize_for_cpu(model: nn.Module, bf16: bool) -> tuple[nn.Module, torch.dtype]:
    """Fold batch norm, freeze the graph and pick the dtype; the result is inference-only."""
    dtype = torch.bfloat16 if bf16 else torch.float32
    model = model.eval().to(dtype=dtype, memory_format=torch.channels_last)
    example = torch.zeros(2, 1, INPUT_SIZE, INPUT_SIZE, dtype=dtype).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), warnings.catch_warnings():
        # TorchScript is deprecated in favour of torch.compile, but compiling costs 10-30 s
        # at every start of the CLI; the frozen graph loads in well under a second.
        warnings.simplefilter("ignore", FutureWarning)
        traced = torch.jit.trace(model, example)
        optimized = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        optimized(example)  # the first calls compile the fused kernels
        optimized(example[:1])
    return optimized, dtype


class EmotionClassifier:
    """Load weights once, then classify batches of crops of any size."""

    def __init__(self, model: nn.Module, manifest: dict[str, Any], *, bf16: bool | None = None) -> None:
        self.manifest = manifest
        self.model, self.dtype = optimize_for_cpu(model, bf16_by_default() if bf16 is None else bf16)

    @classmethod
    def from_weights(cls, path: Path | None = None, *, bf16: bool | None = None,
                     head: str = "product") -> EmotionClassifier:
        """``head``: "fer2013" reads faces as FER-2013's annotators did, for that benchmark only."""
        model, manifest = load_weights(path, fer2013_peers=head == "fer2013")
        return cls(head_module(model, head), manifest, bf16=bf16)

    def predict_gray48(self, faces: np.ndarray, tta: bool = False, batch_size: int = 512) -> np.ndarray:
        return batched_probabilities(self.model, faces, batch_size=batch_size, tta=tta, dtype=self.dtype)

    def predict(self, crops: Sequence[np.ndarray], tta: bool = False) -> np.ndarray:
        """(N, 7) probabilities for BGR or gray crops of any size."""
        if len(crops) == 0:
            return np.zeros((0, 7), dtype=np.float32)
        return self.predict_gray48(np.stack([to_gray48(crop) for crop in crops]), tta=tta)
