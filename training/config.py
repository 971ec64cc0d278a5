"""What a training run is told: every default in one place, which `assistant train` reads.

No torch here, so the command line can show and use these defaults without paying torch's
import for `--help`.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass
class TrainConfig:
    # One dataset, or several mixed in every batch (`training.sources`); the first one's
    # passes count the epochs.
    data: Path | list[Path]
    # Each source's share of a batch, in the order of ``data`` (None: in proportion to their sizes).
    shares: list[float] | None = None
    # Fraction of a set without splits of its own held out, by person or film, to judge it.
    held_out_fraction: float = 0.2
    arch: str = "vgg48"
    epochs: int = 70
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: int = 2
    label_smoothing: float = 0.1
    # Loss weight per class ∝ (1 / frequency) ** power: 0.5 lifts disgust (1.5% of the
    # data) without giving up the accuracy a full inverse weighting costs.
    class_weight_power: float = 0.5
    # Logit adjustment (Menon et al., ICLR 2021): train on logits + τ·log(class prior), so the
    # raw logits at inference favour no class for being frequent. 0 switches it off.
    logit_adjust: float = 0.0
    ema_decay: float = 0.999
    # Webcam effects simulated in training (training.augment.WebcamEffects.parse).
    webcam: str = "none"
    out: Path = Path("runs/train")
    resume: Path | None = None
    seed: int = 0
    pretrained: bool = False
    # Weights to start from instead of a random initialisation (their arch wins over ``arch``).
    init: Path | None = None
    # "votes": learn each face's label distribution; "majority": its one most-voted label.
    labels: str = "votes"
    # FER-2013 (any layout) whose original labels are mixed into FER+ targets at ``original_weight``.
    original: Path | None = None
    original_weight: float = 0.3
    # >0: train only a new FER-2013 head owning this many final stages, on the ``init`` weights.
    fer2013_head: int = 0
    # Weights (same vgg48 shape) whose last stages start that head instead of ``init``'s own.
    fer2013_head_from: Path | None = None
    # Keep ``init``'s FER-2013 head and add the new one beside it as a whole network (a peer).
    fer2013_join: bool = False
    # Keep the first N stages of vgg48 as ``init`` has them (weights and batch-norm statistics).
    # A FER-2013 head that reads only those stages then stays valid; otherwise it is dropped.
    freeze: int = 0
    # "cuda" when a GPU is visible, else "cpu"; or either by name.
    device: str = "auto"
    # bfloat16 autocast: always on a GPU; on a CPU where it is native (or ASSISTANT_PRECISION=bf16).
    amp: bool | None = None
    val_split: str = "PublicTest"
    command: str = ""

    def __post_init__(self) -> None:
        self.data = [Path(self.data)] if isinstance(self.data, (str, Path)) else [Path(path) for path in self.data]

    def to_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, list):
                return [plain(item) for item in value]
            return str(value) if isinstance(value, Path) else value

        return {k: plain(v) for k, v in asdict(self).items()}


def default(name: str) -> Any:
    """``TrainConfig``'s default for the field ``name``: what the command line offers when an option is left out."""
    field = next(f for f in fields(TrainConfig) if f.name == name)
    if field.default is MISSING:
        raise KeyError(f"TrainConfig.{name} has no default")
    return field.default
