"""Optimiser parameter groups of the paper's recipe."""

from __future__ import annotations

from torch import nn

SCALAR_LR_FACTOR = 0.1  # the paper (after Fixup) trains τ and scalar biases at lr/10


def param_groups(
    model: nn.Module, lr: float, weight_decay: float = 0.0, decay_scalars_and_norms: bool = True
) -> list[dict]:
    """Split parameters for an optimiser: 0-dim scalars (τ, scalar biases, per-block gains)
    at ``lr / 10``, everything else at ``lr``.

    With ``decay_scalars_and_norms=False`` weight decay applies only to weights of rank >= 2
    (convolutions, linear layers), not to τ, biases or norm parameters.
    """
    groups: dict[tuple[bool, bool], list] = {}
    for param in model.parameters():
        if not param.requires_grad:
            continue
        is_scalar = param.ndim == 0
        decays = decay_scalars_and_norms or param.ndim >= 2
        groups.setdefault((is_scalar, decays), []).append(param)
    return [
        {
            "params": params,
            "lr": lr * (SCALAR_LR_FACTOR if is_scalar else 1.0),
            "weight_decay": weight_decay if decays else 0.0,
            "lr_factor": SCALAR_LR_FACTOR if is_scalar else 1.0,
        }
        for (is_scalar, decays), params in groups.items()
    ]
