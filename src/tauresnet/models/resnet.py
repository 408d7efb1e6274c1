"""The forward pass shared by every τ-ResNet: stem, stages of residual blocks, pooled head."""

from __future__ import annotations

import math
from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .layers import ResidualBlock, conv_then_bias, make_norm, make_scalar_bias
from .scaling import TauNet


class ResNet(TauNet):
    """Subclasses call ``_init_stem``, build ``self.layer1 … layerK`` (ModuleLists of blocks),
    call ``_init_head`` and set ``self.num_stages``. Names follow torchvision."""

    num_stages: int
    grad_checkpointing: bool = False

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Activation checkpointing for training: each stage of n blocks runs as segments of
        ⌈√(n/4)⌉ blocks; only a segment's input is kept and the segment is recomputed in the
        backward pass. One extra forward pass; activation memory O(√n) blocks per stage instead
        of n (ResNet-1202: 25 kept inputs and one segment of 8 blocks instead of 200 blocks)."""
        self.grad_checkpointing = enable

    def _init_stem(self, conv: nn.Conv2d, norm: str, pool: nn.Module) -> None:
        self.conv1 = conv
        self.bn1 = make_norm(norm, conv.out_channels)
        self.bias1 = make_scalar_bias(norm)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = pool

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        # A stem has either a norm or a scalar bias, never both: the bias goes with the conv.
        return self.maxpool(self.relu(self.bn1(conv_then_bias(self.conv1, x, self.bias1))))

    def _init_head(self, features: int, num_classes: int, norm: str) -> None:
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head_bias = make_scalar_bias(norm)  # Fixup's bias before the classifier
        self.fc = nn.Linear(features, num_classes)
        self.num_features = features

    def stages(self) -> list[nn.ModuleList]:
        return [getattr(self, f"layer{i + 1}") for i in range(self.num_stages)]

    def blocks(self) -> list[ResidualBlock]:
        return [block for stage in self.stages() for block in stage]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, H, W) -> last stage's feature map (N, num_features, h, w)."""
        if not (self.grad_checkpointing and torch.is_grad_enabled()):
            return self.forward_trace(x)[-1]
        h, tau = self.stem(x), self.block_tau()
        for stage in self.stages():
            blocks = list(stage)
            # A block keeps about four tensors of its input's size for backward, so segments of
            # √(n/4) blocks balance the n/s kept inputs against the 4s of the segment recomputed.
            size = math.ceil(math.sqrt(len(blocks) / 4))
            for start in range(0, len(blocks), size):
                h = _checkpointed(blocks[start : start + size], h, tau)
        return h

    def forward_trace(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[h_0 (stem output), h_1, …, h_n]: the input and output of every residual block."""
        trace = [self.stem(x)]
        tau = self.block_tau()
        for block in self.blocks():
            trace.append(block(trace[-1], tau))
        return trace

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """(N, num_features, h, w) -> logits (N, num_classes), pooled and classified in fp32."""
        # Under bf16 autocast the logits would carry 8 significant bits (steps of 1/16 at 8–16),
        # coarse for a softmax; the pooled features are small, so the head costs nothing in fp32.
        with torch.autocast(features.device.type, enabled=False):
            return self.fc(self.head_bias(torch.flatten(self.avgpool(features.float()), 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, in_chans, H, W) float -> logits (N, num_classes)."""
        return self.forward_head(self.forward_features(x))


@contextmanager
def _frozen_running_stats(module: nn.Module):
    """BatchNorm in training mode without updating running statistics (momentum 0)."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.momentum, m.num_batches_tracked.clone()) for m in norms]
    for m in norms:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, (momentum, tracked) in zip(norms, saved, strict=True):
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def _checkpointed(blocks: list[nn.Module], x: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
    """``blocks`` applied in turn under activation checkpointing. The backward pass runs them a
    second time; that run must not move BatchNorm's running statistics again."""
    calls = 0

    def run(h: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        nonlocal calls
        calls += 1
        for block in blocks:
            if calls == 1:
                h = block(h, scale)
            else:
                with _frozen_running_stats(block):
                    h = block(h, scale)
        return h

    return checkpoint(run, x, tau, use_reentrant=False)
