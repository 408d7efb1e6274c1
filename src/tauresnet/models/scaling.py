"""τ, the residual-branch scale of Zhang et al. 2022, and how a network holds it.

A τ-ResNet block computes ``act(shortcut(x) + τ · F(x))``. The paper proves that τ = O(1/√L),
with L the number of residual blocks, keeps forward and backward passes bounded at any depth.
"""

from __future__ import annotations

import math

import torch
from torch import nn

TAU_RULES = {"sqrt": lambda num_blocks: 1.0 / math.sqrt(num_blocks), "inv": lambda num_blocks: 1.0 / num_blocks}
TAU_HELP = "a positive number, 'sqrt' (1/√L), 'inv' (1/L) or a multiple such as '0.5/sqrt'"


def resolve_tau(spec: float | str, num_blocks: int) -> float:
    """Turn a τ spec into its value for a net of ``num_blocks`` residual blocks (L).

    spec: a positive number (or its string), ``"sqrt"`` → 1/√L, ``"inv"`` → 1/L, or
    ``"c/sqrt"`` / ``"c/inv"`` → c times the rule (``"2/sqrt"`` is the paper's ImageNet choice).
    """
    if num_blocks < 1:
        raise ValueError(f"num_blocks must be >= 1 to resolve tau, got {num_blocks}")
    if isinstance(spec, bool):
        raise ValueError(f"tau {spec!r} is not {TAU_HELP}")
    if isinstance(spec, (int, float)):
        value = float(spec)
    else:
        text = str(spec).strip().lower()
        multiple, _, rule = text.rpartition("/") if text.endswith(tuple(TAU_RULES)) else ("", "", text)
        if rule in TAU_RULES:
            try:
                factor = float(multiple) if multiple else 1.0
            except ValueError:
                raise ValueError(f"tau {spec!r} is not {TAU_HELP}") from None
            value = factor * TAU_RULES[rule](num_blocks)
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"tau {spec!r} is not {TAU_HELP}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"tau must be positive and finite, got {spec!r}; use {TAU_HELP}")
    return value


def mean_gradient(shared: torch.Tensor, num_uses: int) -> torch.Tensor:
    """Return ``shared`` unchanged in value whose gradient is divided by ``num_uses``.

    Used once per forward for a τ shared by L blocks: autograd sums the L contributions, so
    scaling each by 1/L makes the τ gradient their mean, as in the paper's recipe. Doing it in
    the graph (not in a hook) keeps it correct under DDP, torch.compile and resumed runs.
    """
    if num_uses == 1:
        return shared
    return shared / num_uses + (shared * (1.0 - 1.0 / num_uses)).detach()


class TauNet(nn.Module):
    """Base for networks whose residual branches share one τ.

    After ``_init_tau`` the network has ``num_blocks`` (L) and ``tau``: a learnable 0-dim
    parameter (one entry in ``state_dict``) or a fixed 0-dim buffer that is not saved, so a
    fixed-τ net has the same ``state_dict`` as its standard counterpart.
    """

    num_blocks: int
    tau: torch.Tensor

    def _init_tau(self, spec: float | str, num_blocks: int, learnable: bool) -> None:
        self.num_blocks = num_blocks
        value = torch.tensor(resolve_tau(spec, num_blocks))
        if learnable:
            self.tau = nn.Parameter(value)
        else:
            self.register_buffer("tau", value, persistent=False)

    def block_tau(self) -> torch.Tensor:
        """τ as each block should use it in this forward pass (mean gradient when learnable)."""
        return mean_gradient(self.tau, self.num_blocks) if self.tau.requires_grad else self.tau
