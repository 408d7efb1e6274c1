"""Add τ scaling to a ResNet built elsewhere (torchvision-style BasicBlock/Bottleneck)."""

from __future__ import annotations

from collections import Counter

import torch
from torch import nn

from .scaling import TauNet, resolve_tau


def _last_branch_norm(module: nn.Module) -> nn.Module | None:
    """The norm layer that ends a residual branch: bn3 for bottlenecks, bn2 for basic blocks."""
    for conv, norm in (("conv3", "bn3"), ("conv2", "bn2")):
        if isinstance(getattr(module, conv, None), nn.Conv2d) and isinstance(getattr(module, norm, None), nn.Module):
            return getattr(module, norm)
    return None


def apply_tau(model: nn.Module, tau: float | str = "sqrt", num_blocks: int | None = None) -> tuple[int, float]:
    """Scale every residual branch of ``model`` by τ, in place; returns (L, τ).

    Blocks are modules with ``conv1``/``bn1``/``conv2``/``bn2`` (and ``conv3``/``bn3`` for
    bottlenecks), as in torchvision; each one's last BN output is multiplied by τ through a
    forward hook, so parameter names and state_dicts are unchanged. L defaults to the paper's
    conventions: the largest stage for a 4-stage (``layer1…layer4``) ImageNet net, otherwise the
    total number of blocks. Sets ``model.num_blocks`` and ``model.tau``.
    """
    if isinstance(model, TauNet):
        raise ValueError("this is a tauresnet model, already τ-scaled; choose τ with create_model(..., tau=...)")
    if getattr(model, "_tau_hooks", None):
        raise ValueError("apply_tau was already applied to this model; build a fresh model to change tau")
    ends = {name: norm for name, module in model.named_modules() if (norm := _last_branch_norm(module)) is not None}
    if not ends:
        raise ValueError(
            f"apply_tau found no residual blocks in {type(model).__name__}: it needs torchvision-style "
            "blocks with conv1/bn1/conv2/bn2 (and conv3/bn3); build τ-ResNets with tauresnet.create_model"
        )
    if num_blocks is None:
        per_stage = Counter(name.rpartition(".")[0] for name in ends)
        is_imagenet = all(hasattr(model, f"layer{i}") for i in range(1, 5))
        num_blocks = max(per_stage.values()) if is_imagenet else len(ends)
    value = resolve_tau(tau, num_blocks)

    def scale(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        return output * value

    model._tau_hooks = [norm.register_forward_hook(scale) for norm in ends.values()]
    model.num_blocks, model.tau = num_blocks, value
    return num_blocks, value
