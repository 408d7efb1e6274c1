"""Batched augmentation and normalisation on uint8 image tensors (no per-image Python)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def draw_crop_flip(count: int, padding: int, generator: torch.Generator) -> torch.Tensor:
    """The random choices of ``random_crop_flip`` for ``count`` images: (count, 3) int64 rows of
    (dy, dx, mirror). Drawn for a whole global batch, then sliced, so that every rank of a
    data-parallel run applies exactly what one process would."""
    dy = torch.randint(0, 2 * padding + 1, (count,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (count,), generator=generator)
    mirror = (torch.rand(count, generator=generator) < 0.5).long()
    return torch.stack([dy, dx, mirror], 1)


def apply_crop_flip(images: torch.Tensor, padding: int, draws: torch.Tensor) -> torch.Tensor:
    """Crop after zero padding at the drawn offsets, then mirror where drawn.

    images: (N, C, H, W) uint8, draws: (N, 3) from ``draw_crop_flip`` -> (N, C, H, W). Zero
    padding on uint8 matches padding the PIL image with black before normalising, as the
    paper's pipeline does.
    """
    n, _, h, w = images.shape
    draws = draws.to(images.device)
    if padding > 0:
        padded = F.pad(images, (padding, padding, padding, padding))
        rows = draws[:, :1] + torch.arange(h, device=images.device)  # (N, H)
        cols = draws[:, 1:2] + torch.arange(w, device=images.device)  # (N, W)
        batch = torch.arange(n, device=images.device)[:, None, None]
        # Advanced indexing moves the indexed dims first: result (N, H, W, C).
        images = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    mirror = draws[:, 2].bool()[:, None, None, None]
    return torch.where(mirror, images.flip(3), images)


def random_crop_flip(images: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Random crop after zero padding (He et al. 2016) and random horizontal flip, per image.

    images: (N, C, H, W) uint8 -> same shape.
    """
    return apply_crop_flip(images, padding, draw_crop_flip(len(images), padding, generator))


def normalize(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 ``(x/255 - mean) / std``; mean, std: (C,) in [0, 1] units."""
    scale = (1.0 / (255.0 * std)).view(1, -1, 1, 1)
    shift = (mean / std).view(1, -1, 1, 1)
    return images.float() * scale - shift
