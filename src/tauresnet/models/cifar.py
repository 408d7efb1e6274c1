"""CIFAR ResNet-(6n+2) of He et al. 2016 §4.2 with τ-scaled branches (Zhang et al. 2022)."""

from __future__ import annotations

from torch import nn

from .layers import BasicBlock, check_choices, check_sizes, conv3x3, default_norm, init_resnet, variant_tau
from .resnet import ResNet


class CifarResNet(ResNet):
    """3 stages of n basic blocks at 16/32/64 channels; depth 6n+2; L = 3n residual blocks.

    Works for any input size divisible by 4 (32×32 RGB, 28×28 grayscale) and any ``in_chans``.
    ``tau`` defaults to 1/√L. ``shortcut="A"`` zero-pads channels as He et al.; ``"B"`` uses 1×1
    convolutions.
    """

    def __init__(
        self,
        blocks_per_stage: int,
        *,
        num_classes: int = 10,
        in_chans: int = 3,
        norm: str | None = None,
        tau: float | str | None = None,
        learnable_tau: bool = False,
        variant: str = "tau",
        shortcut: str = "A",
    ) -> None:
        super().__init__()
        norm = default_norm(variant) if norm is None else norm
        check_choices(norm, variant, shortcut)
        check_sizes(num_classes, in_chans)
        self.depth = 6 * blocks_per_stage + 2
        self.num_stages = 3
        spec, learnable = variant_tau(variant, tau, learnable_tau, "sqrt")
        self._init_tau(spec, 3 * blocks_per_stage, learnable)
        self._init_stem(conv3x3(in_chans, 16), norm, nn.Identity())
        channels = 16
        for index, planes in enumerate((16, 32, 64)):
            blocks = []
            for position in range(blocks_per_stage):
                stride = 2 if index > 0 and position == 0 else 1
                blocks.append(BasicBlock(channels, planes, stride, norm, variant, shortcut))
                channels = planes
            setattr(self, f"layer{index + 1}", nn.ModuleList(blocks))
        self._init_head(64, num_classes, norm)
        init_resnet(self, variant, self.num_blocks)
