"""The fully-connected residual network analysed by the theory of Zhang et al. 2022.

    h_0 = relu(A x),   h_l = relu(h_{l-1} + τ W_l h_{l-1})  (l = 1…L),   y = B h_L

Entries of A and W_l are N(0, 2/m) (m = width), entries of B are N(0, 1/num_classes); no
biases, no normalisation. L = ``num_blocks``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .layers import variant_tau
from .scaling import TauNet


class ResMLP(TauNet):
    """x: (N, in_features) or any (N, …) that flattens to it -> (N, num_classes)."""

    def __init__(
        self,
        *,
        in_features: int = 784,
        width: int = 256,
        num_blocks: int = 10,
        num_classes: int = 10,
        tau: float | str | None = None,
        learnable_tau: bool = False,
        variant: str = "tau",
    ) -> None:
        super().__init__()
        if variant not in ("tau", "plain"):
            raise ValueError(f"variant {variant!r} is not defined for resmlp; use 'tau' or 'plain'")
        if min(in_features, width, num_blocks, num_classes) < 1:
            raise ValueError("resmlp needs in_features, width, num_blocks and num_classes >= 1")
        spec, learnable = variant_tau(variant, tau, learnable_tau, "sqrt")
        self._init_tau(spec, num_blocks, learnable)
        self.depth = num_blocks
        self.input = nn.Linear(in_features, width, bias=False)
        self.blocks = nn.ModuleList(nn.Linear(width, width, bias=False) for _ in range(num_blocks))
        self.output = nn.Linear(width, num_classes, bias=False)
        with torch.no_grad():
            for layer in [self.input, *self.blocks]:
                layer.weight.normal_(0.0, math.sqrt(2.0 / width))
            self.output.weight.normal_(0.0, math.sqrt(1.0 / num_classes))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """-> h_L, shape (N, width)."""
        return self.forward_trace(x)[-1]

    def forward_trace(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[h_0, h_1, …, h_L], each (N, width)."""
        trace = [torch.relu(self.input(x.flatten(1)))]
        tau = self.block_tau()
        for layer in self.blocks:
            trace.append(torch.relu(trace[-1] + tau * layer(trace[-1])))
        return trace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.forward_features(x))
