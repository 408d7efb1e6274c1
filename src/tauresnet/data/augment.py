"""Batched augmentation and normalisation on uint8 image tensors (no per-image Python)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_crop_flip(images: torch.Tensor, padding: int, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """Random crop after zero padding (He et al. 2016) and random horizontal flip, per image.

    images: (N, C, H, W) uint8 -> same shape. Zero padding on uint8 matches padding the PIL
    image with black before normalising, as the paper's pipeline does.
    """
    n, _, h, w = images.shape
    if padding > 0:
        padded = F.pad(images, (padding, padding, padding, padding))
        dy = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator)
        dx = torch.randint(0, 2 * padding + 1, (n, 1), generator=generator)
        rows = (dy + torch.arange(h)).to(images.device)  # (N, H)
        cols = (dx + torch.arange(w)).to(images.device)  # (N, W)
        batch = torch.arange(n, device=images.device)[:, None, None]
        # Advanced indexing moves the indexed dims first: result (N, H, W, C).
        images = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    if flip:
        mirror = (torch.rand(n, generator=generator) < 0.5).to(images.device)[:, None, None, None]
        images = torch.where(mirror, images.flip(3), images)
    return images


def normalize(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 ``(x/255 - mean) / std``; mean, std: (C,) in [0, 1] units."""
    scale = (1.0 / (255.0 * std)).view(1, -1, 1, 1)
    shift = (mean / std).view(1, -1, 1, 1)
    return images.float() * scale - shift
