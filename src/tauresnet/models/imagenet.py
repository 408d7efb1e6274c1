"""ImageNet ResNet-18…152 (He et al. 2016 §4.1) with τ-scaled branches.

Parameter names follow torchvision (``conv1``, ``bn1``, ``layer1.0.conv1``, ``fc``), so its
state_dicts load into ``norm="batch", tau=1``. L is the largest number of blocks in one
stage, the paper's ImageNet convention, and the default τ is the paper's 2/√L.
"""

from __future__ import annotations

from torch import nn

from .layers import (
    BasicBlock,
    Bottleneck,
    check_choices,
    check_sizes,
    default_norm,
    init_resnet,
    variant_tau,
)
from .resnet import ResNet

BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ImageNetResNet(ResNet):
    """7×7/2 stem + 3×3/2 max-pool, 4 stages at 64/128/256/512 planes, option-B shortcuts."""

    def __init__(
        self,
        block: str,
        layers: tuple[int, int, int, int],
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        norm: str | None = None,
        tau: float | str | None = None,
        learnable_tau: bool = False,
        variant: str = "tau",
        shortcut: str = "B",
    ) -> None:
        super().__init__()
        norm = default_norm(variant) if norm is None else norm
        check_choices(norm, variant, shortcut)
        check_sizes(num_classes, in_chans)
        block_cls = BLOCKS[block]
        self.depth = sum(layers) * (2 if block == "basic" else 3) + 2
        self.num_stages = 4
        spec, learnable = variant_tau(variant, tau, learnable_tau, "2/sqrt")
        self._init_tau(spec, max(layers), learnable)
        stem_conv = nn.Conv2d(in_chans, 64, 7, stride=2, padding=3, bias=False)
        self._init_stem(stem_conv, norm, nn.MaxPool2d(3, stride=2, padding=1))
        channels = 64
        for index, (planes, count) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            blocks = []
            for position in range(count):
                stride = 2 if index > 0 and position == 0 else 1
                blocks.append(block_cls(channels, planes, stride, norm, variant, shortcut))
                channels = planes * block_cls.expansion
            setattr(self, f"layer{index + 1}", nn.ModuleList(blocks))
        self._init_head(channels, num_classes, norm)
        init_resnet(self, variant, sum(layers))
