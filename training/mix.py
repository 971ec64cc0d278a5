"""Several labelled face sets in one training run, each with its share of every batch.

FER+ alone is 36 % neutral and 30 % happy, with 2.4 % fear and 0.7 % disgust, all 48x48
web photos: nothing in it looks like a lab's posed anger or a film's fear. Other sets
(CK+, SFEW) are small, so concatenating them would drown them; instead every batch takes
a fixed number of faces from each source, each source cycling through its own faces.

Each source keeps its own kind of label (FER+: the taggers' vote distribution; every
other set: its one label) and its own held-out part: the split the set names itself
(FER-2013's PublicTest, FER+'s Valid), or whole people or films where the file names say
who (`training.datasets.held_out_groups`), because frames of one sequence are nearly the
same picture and a random split would leak them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from config.errors import UserError
from training.augment import BatchAugment
from training.datasets import FaceSet, has_given_splits, is_ferplus, load_group_part, load_split, one_hot
from training.distributed import DistInfo

LABEL_MODES = ("votes", "majority")


@dataclass
class TrainingSource:
    """One dataset's training faces, what the loss aims at for each, and the faces held out to judge it."""

    name: str
    path: Path
    share: float
    faces: FaceSet
    targets: np.ndarray
    held_out: FaceSet | None
    held_out_name: str
    label_kind: str

    def describe(self) -> str:
        held = f"{len(self.held_out)} held out ({self.held_out_name})" if self.held_out is not None else "none held out"
        extra = f", {self.faces.left_out} with no clear emotion left out" if self.faces.left_out else ""
        return (f"{self.name}: {len(self.faces)} faces{extra} ({self.faces.skipped} unreadable skipped), "
                f"{self.share:.0%} of each batch, labels: {self.label_kind}; {held}")

    def record(self) -> dict[str, object]:
        """What the manifest says of this source."""
        return {"data": str(self.path), "share": round(self.share, 4), "labels": self.label_kind,
                "faces": len(self.faces), "held_out": self.held_out_name,
                "held_out_faces": len(self.held_out) if self.held_out is not None else 0}


def resolve_shares(paths: Sequence[Path], shares: Sequence[float] | None, sizes: Sequence[int]) -> list[float]:
    """Each source's fraction of a batch: as given (normalised), or in proportion to the sources' sizes."""
    if shares:
        if len(shares) != len(paths):
            raise UserError(f"--share is given {len(shares)} time(s) for {len(paths)} --data source(s): "
                            "give one per source")
        if any(not math.isfinite(share) or share <= 0 for share in shares):
            raise UserError("every --share must be a positive number")
        weights = list(shares)
    else:
        weights = [float(size) for size in sizes]
    total = sum(weights)
    return [weight / total for weight in weights]


def load_sources(paths: Sequence[Path], shares: Sequence[float] | None, labels: str, val_split: str,
                 held_out_fraction: float) -> list[TrainingSource]:
    """Every source's training faces, targets and held-out faces, in the order given."""
    if labels not in LABEL_MODES:
        raise UserError(f"unknown --labels {labels!r}: choose {' or '.join(LABEL_MODES)}")
    paths = [Path(path).expanduser() for path in paths]
    names = [path.name or str(path) for path in paths]
    if len(set(paths)) != len(paths):
        raise UserError("the same --data is given twice")
    loaded = []
    for path in paths:
        if has_given_splits(path):
            faces, held_out_name = load_split(path, "train"), val_split
            try:
                held_out = load_split(path, val_split)
            except UserError:
                held_out = None
        else:
            faces = load_group_part(path, "train", held_out_fraction)
            held_out = load_group_part(path, "held_out", held_out_fraction)
            held_out_name = f"by person or film, {held_out_fraction:.0%}"
        kind = labels if is_ferplus(path) or path.name.lower() == "fer2013new.csv" else "one label"
        targets = faces.votes if kind == "votes" else one_hot(faces.labels)
        loaded.append((faces, targets, held_out, held_out_name, kind))
    fractions = resolve_shares(paths, shares, [len(faces) for faces, *_ in loaded])
    return [TrainingSource(name, path, share, faces, targets, held_out, held_out_name, kind)
            for name, path, share, (faces, targets, held_out, held_out_name, kind)
            in zip(names, paths, fractions, loaded, strict=True)]


def faces_per_batch(shares: Sequence[float], batch_size: int) -> list[int]:
    """Split a batch among the sources by their shares (largest remainders), at least one face each."""
    if batch_size < len(shares):
        raise UserError(f"--batch-size {batch_size} is smaller than the {len(shares)} sources it is shared among")
    exact = [share * batch_size for share in shares]
    counts = [max(1, math.floor(value)) for value in exact]
    by_remainder = sorted(range(len(shares)), key=lambda index: exact[index] - math.floor(exact[index]), reverse=True)
    for index in by_remainder[: max(0, batch_size - sum(counts))]:
        counts[index] += 1
    while sum(counts) > batch_size:  # the at-least-one rule took faces from the largest
        counts[counts.index(max(counts))] -= 1
    return counts


def class_mass(sources: Sequence[TrainingSource]) -> np.ndarray:
    """The expected share of each class in a batch: what the class weights and logit adjustment balance."""
    return sum(source.share * source.targets.mean(axis=0) for source in sources)


class MixedBatches:
    """Augmented batches on the training device, each with its fixed number of faces from every source.

    An epoch is one pass over the first source's faces; the others are cycled, reshuffled
    each time round. The order of epoch ``e`` depends only on the seed and ``e``, and
    batch ``b`` of a process only on ``b`` and its rank, so a resumed run skips exactly the
    batches already trained and torchrun's processes never share a face within a step.
    """

    def __init__(self, sources: Sequence[TrainingSource], batch_size: int, seed: int, info: DistInfo,
                 augment: BatchAugment, device: torch.device) -> None:
        self.counts = faces_per_batch([source.share for source in sources], batch_size)
        self.sizes = [len(source.faces) for source in sources]
        self.offsets = np.cumsum([0, *self.sizes[:-1]]).tolist()
        images = np.concatenate([source.faces.images for source in sources])
        self.images = torch.from_numpy(images).unsqueeze(1).to(device)
        self.targets = torch.from_numpy(np.concatenate([source.targets for source in sources])).to(device)
        self.seed, self.info, self.augment = seed, info, augment
        self.steps_per_epoch = max(1, math.ceil(self.sizes[0] / (self.counts[0] * info.world_size)))
        self.epoch, self.skip_batches = 0, 0

    def set_epoch(self, epoch: int, skip_batches: int = 0) -> None:
        self.epoch, self.skip_batches = epoch, skip_batches

    def _epoch_indices(self) -> torch.Tensor:
        """(steps, processes, batch) indices into the concatenated faces for this epoch."""
        world, steps = self.info.world_size, self.steps_per_epoch
        columns = []
        for source, (size, count, offset) in enumerate(zip(self.sizes, self.counts, self.offsets, strict=True)):
            generator = torch.Generator().manual_seed((self.seed * 100_003 + self.epoch) * 101 + source)
            needed = steps * world * count
            order = torch.cat([torch.randperm(size, generator=generator) for _ in range(math.ceil(needed / size))])
            columns.append(order[:needed].view(steps, world, count) + offset)
        return torch.cat(columns, dim=2)

    def __len__(self) -> int:
        return max(0, self.steps_per_epoch - self.skip_batches)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = self._epoch_indices()[self.skip_batches:, self.info.rank].to(self.images.device)
        for batch in indices:
            yield self.augment(self.images[batch]), self.targets[batch]
