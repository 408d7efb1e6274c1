"""Optimiser parameter groups of the paper's recipe."""

from __future__ import annotations

import math

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


def lr_factor(epoch_progress: float, epochs: int, schedule: str, warmup_epochs: float = 0.0) -> float:
    """Multiplier of the base lr at ``epoch_progress`` (epochs done, fractional).

    ``step``: ÷10 at 50 % and 75 % of the epochs (the paper's 100/150 of 200). ``cosine``:
    half-cosine from 1 to 0 over the run. A linear warm-up from 0 over ``warmup_epochs``
    multiplies either. Stateless, so a resumed run follows exactly the same curve.
    """
    if schedule == "step":
        factor = 0.1 ** sum(epoch_progress >= milestone * epochs for milestone in (0.5, 0.75))
    else:
        factor = 0.5 * (1.0 + math.cos(math.pi * min(epoch_progress / epochs, 1.0)))
    if warmup_epochs > 0 and epoch_progress < warmup_epochs:
        factor *= epoch_progress / warmup_epochs
    return factor
