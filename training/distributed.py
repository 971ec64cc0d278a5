"""Distributed set-up in one place, read from torchrun's environment.

`torchrun --nproc-per-node N --no-python assistant train ...` sets RANK, WORLD_SIZE and
LOCAL_RANK; without them the run is a single process and nothing here does anything.
gloo carries the gradients between CPU processes, nccl between GPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from config.errors import UserError


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(name: str) -> torch.device:
    """"auto" → the GPU when one is visible, else the CPU. Under torchrun each process takes
    the GPU of its LOCAL_RANK, so `--nproc-per-node` GPUs each train one shard."""
    if name not in ("auto", "cpu", "cuda"):
        raise UserError(f"unknown device {name!r}: choose auto, cpu or cuda")
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA GPU is visible to PyTorch on this machine")
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if local_rank >= torch.cuda.device_count():
        raise UserError(f"process {local_rank} has no GPU of its own: {torch.cuda.device_count()} visible")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def init_distributed(device: torch.device) -> DistInfo:
    """Join torchrun's process group: nccl when this process trains on a GPU, gloo on CPUs
    (whether or not a GPU is visible: nccl cannot carry CPU tensors)."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))
    if info.enabled and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                device_id=device if device.type == "cuda" else None)
    return info


def all_reduce_sum(values: torch.Tensor, info: DistInfo, device: torch.device) -> torch.Tensor:
    """Sum a small CPU tensor of counters over all processes (identity when not distributed)."""
    if info.enabled:
        values = values.to(device)
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values.cpu()


def cleanup(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
