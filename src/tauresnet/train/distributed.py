"""Data-parallel training with PyTorch's own engine (torchrun + DistributedDataParallel).

Under ``torchrun`` every rank holds the whole dataset, draws the same per-epoch order and the
same augmentation for each global batch, and trains on its contiguous share of it. Each rank's
loss is its share's sum divided by the global batch size, times the world size, so that DDP's
gradient average equals the gradient of the global batch mean: one process and N processes
with the same global batch take the same steps (up to float summation order).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.distributed.nn.functional import all_reduce

BACKENDS = ("auto", "nccl", "gloo")


@dataclass(frozen=True)
class World:
    """This process's place among ``size`` processes (rank 0 writes files and logs)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def share(self, count: int) -> slice:
        """This rank's contiguous part of ``count`` items (sizes differ by at most one)."""
        return slice(count * self.rank // self.size, count * (self.rank + 1) // self.size)

    def all_reduce(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum over ranks, in place (a no-op in one process)."""
        if self.distributed:
            dist.all_reduce(tensor)
        return tensor

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()


SINGLE = World()


def launched_by_torchrun() -> bool:
    size = os.environ.get("WORLD_SIZE", "1")
    if not size.isdigit():
        raise ValueError(f"WORLD_SIZE={size!r} is not a number of processes; launch with torchrun or unset it")
    return int(size) > 1


def init_world(device: str, backend: str) -> World:
    """Join the process group torchrun describes in the environment (RANK, WORLD_SIZE,
    LOCAL_RANK, MASTER_ADDR, MASTER_PORT); NCCL for CUDA, Gloo for CPU unless told otherwise."""
    if not launched_by_torchrun():
        return SINGLE
    if backend not in BACKENDS:
        raise ValueError(f"dist-backend {backend!r} is not one of {', '.join(BACKENDS)}")
    missing = [name for name in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if missing:
        raise ValueError(f"WORLD_SIZE is set but {', '.join(missing)} is not; launch with torchrun")
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if backend == "auto":
        backend = "nccl" if use_cuda else "gloo"
    if backend == "nccl" and not use_cuda:
        raise ValueError("dist-backend nccl needs CUDA GPUs; use --dist-backend gloo (or auto) on CPU")
    world = World(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"]))
    if use_cuda:
        if world.local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"local rank {world.local_rank} has no GPU ({torch.cuda.device_count()} visible); "
                "use --nproc-per-node <= the number of GPUs"
            )
        torch.cuda.set_device(world.local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return world


def close_world(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


class SyncBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the global batch across ranks.

    ``torch.nn.SyncBatchNorm`` runs on GPUs only; this one works with any backend (Gloo on
    CPU) by summing per-channel counts, sums and squared sums with a differentiable all-reduce.
    The statistics are accumulated in float64, in one process too, so a run gives the same
    result with any number of processes (PyTorch's float32 CPU BatchNorm differs from the
    exact batch mean by up to ~1e-4 relative). Outside training it is an ordinary BatchNorm2d.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        # Statistics in float64: E[x²] − E[x]² in float32 loses digits a one-process BN keeps.
        xd = x.double()
        local = torch.stack(
            [
                torch.full((x.shape[1],), float(x.numel() // x.shape[1]), device=x.device, dtype=torch.float64),
                xd.sum((0, 2, 3)),
                xd.square().sum((0, 2, 3)),
            ]
        )
        if dist.is_initialized() and dist.get_world_size() > 1:
            with warnings.catch_warnings():  # its deprecation notice; the replacement is private API
                warnings.simplefilter("ignore", FutureWarning)
                local = all_reduce(local)
        count, total, squares = local
        mean = total / count
        var = squares / count - mean.square()
        with torch.no_grad():
            momentum = self.momentum if self.momentum is not None else 0.0
            self.running_mean.lerp_(mean.float(), momentum)
            self.running_var.lerp_((var * count / (count - 1).clamp(min=1)).float(), momentum)
            self.num_batches_tracked += 1
        shape = (1, -1, 1, 1)
        scale = (torch.rsqrt(var + self.eps) * self.weight).float()
        shift = (self.bias - mean * scale).float()
        return (x.float() * scale.view(shape) + shift.view(shape)).to(x.dtype)


def convert_sync_batchnorm(model: nn.Module, device: torch.device) -> nn.Module:
    """Swap every BatchNorm2d for a synchronised one: torch's SyncBatchNorm on CUDA, ours elsewhere.
    Parameters and buffers keep their names, so state_dicts are unchanged."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    for name, child in model.named_children():
        if type(child) is nn.BatchNorm2d:
            synced = SyncBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine)
            synced.load_state_dict(child.state_dict())
            setattr(model, name, synced.to(child.weight.device))
        else:
            convert_sync_batchnorm(child, device)
    return model


def scaled_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, global_count: int, world: World, label_smoothing: float
) -> torch.Tensor:
    """This rank's loss term: sum over its share / global batch size × world size, so that the
    DDP gradient average is the gradient of the global batch's mean cross-entropy."""
    total = F.cross_entropy(logits, target, reduction="sum", label_smoothing=label_smoothing)
    return total * (world.size / global_count)
