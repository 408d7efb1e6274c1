"""The forward pass shared by every τ-ResNet: stem, stages of residual blocks, pooled head."""

from __future__ import annotations

import torch
from torch import nn

from .layers import ResidualBlock, make_norm, make_scalar_bias
from .scaling import TauNet


class ResNet(TauNet):
    """Subclasses call ``_init_stem``, build ``self.layer1 … layerK`` (ModuleLists of blocks),
    call ``_init_head`` and set ``self.num_stages``. Names follow torchvision."""

    num_stages: int

    def _init_stem(self, conv: nn.Conv2d, norm: str, pool: nn.Module) -> None:
        self.conv1 = conv
        self.bn1 = make_norm(norm, conv.out_channels)
        self.bias1 = make_scalar_bias(norm)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = pool

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.maxpool(self.relu(self.bias1(self.bn1(self.conv1(x)))))

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
        return self.forward_trace(x)[-1]

    def forward_trace(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[h_0 (stem output), h_1, …, h_n]: the input and output of every residual block."""
        trace = [self.stem(x)]
        tau = self.block_tau()
        for block in self.blocks():
            trace.append(block(trace[-1], tau))
        return trace

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head_bias(torch.flatten(self.avgpool(features), 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, in_chans, H, W) float -> logits (N, num_classes)."""
        return self.forward_head(self.forward_features(x))
