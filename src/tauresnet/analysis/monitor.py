"""Training-time stability monitor: branch/skip ratios, gradient norm and τ every k steps.

It warns once, in plain words, when a run drifts into the regime the theory calls unstable:
L·τ² above ``UNSTABLE_L_TAU2`` (τ well above 1/√L), a residual branch that outgrows its
skip path, or a forward signal that grows by more than ``UNSTABLE_FORWARD_RATIO`` over the net.
"""

from __future__ import annotations

import csv
import logging
import math
import statistics
from pathlib import Path

import torch
from torch import nn

log = logging.getLogger(__name__)

UNSTABLE_L_TAU2 = 4.0  # log ‖h_L‖/‖h_0‖ ≈ 0.9·L·τ² at init: 4 means ~35× growth
UNSTABLE_BRANCH_RATIO = 1.0  # branch larger than skip: the residual no longer leans on identity
UNSTABLE_FORWARD_RATIO = 100.0
COLUMNS = ("step", "epoch", "tau", "l_tau2", "grad_norm", "forward_ratio", "median_branch_ratio", "max_branch_ratio")


@torch.no_grad()
def branch_ratios(model: nn.Module, x: torch.Tensor) -> tuple[float, list[float]]:
    """(‖h_L‖/‖h_0‖, [‖scale·F(h)‖ / ‖shortcut(h)‖ per block]) for a tauresnet ResNet on ``x``."""
    trace = model.forward_trace(x)
    tau = model.tau
    ratios = []
    for block, h in zip(model.blocks(), trace, strict=False):
        shortcut = h if block.downsample is None else block.downsample(h)
        scale = tau if block.gain is None else block.gain
        branch = block.branch(h, scale)
        ratios.append((branch.float().norm() / shortcut.float().norm().clamp_min(1e-12)).item())
    return (trace[-1].float().norm() / trace[0].float().norm().clamp_min(1e-12)).item(), ratios


def grad_norm(model: nn.Module) -> float:
    norms = [p.grad.detach().float().norm() for p in model.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(norms)).item() if norms else 0.0


class StabilityMonitor:
    """Records to ``path`` (CSV) every ``every`` steps; call ``observe`` after the optimiser step."""

    def __init__(self, path: Path, every: int) -> None:
        if every < 1:
            raise ValueError(f"monitor interval must be >= 1 step, got {every}")
        self.path, self.every = path, every
        self.warned: set[str] = set()
        if not path.exists():
            path.write_text(",".join(COLUMNS) + "\n")

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def observe(self, model: nn.Module, x: torch.Tensor, step: int, epoch: int) -> dict[str, float]:
        was_training = model.training
        model.eval()  # BN uses running statistics: the probe must not update them
        forward, ratios = branch_ratios(model, x[:32])
        model.train(was_training)
        tau = float(model.tau.detach())
        row = {
            "step": step,
            "epoch": epoch,
            "tau": tau,
            "l_tau2": model.num_blocks * tau**2,
            "grad_norm": grad_norm(model),
            "forward_ratio": forward,
            "median_branch_ratio": statistics.median(ratios),
            "max_branch_ratio": max(ratios),
        }
        with open(self.path, "a", newline="") as handle:
            csv.writer(handle).writerow(f"{row[c]:.6g}" if isinstance(row[c], float) else row[c] for c in COLUMNS)
        self._warn(row, model.tau.requires_grad)
        return row

    def _warn(self, row: dict[str, float], learnable: bool) -> None:
        checks = {
            "tau": learnable and row["l_tau2"] > UNSTABLE_L_TAU2,
            "branch": row["max_branch_ratio"] > UNSTABLE_BRANCH_RATIO,
            "forward": row["forward_ratio"] > UNSTABLE_FORWARD_RATIO or not math.isfinite(row["forward_ratio"]),
        }
        messages = {
            "tau": f"learnable τ grew to {row['tau']:.3g}: L·τ² = {row['l_tau2']:.2g} > {UNSTABLE_L_TAU2:g}, the regime where the theory "
            "no longer bounds the forward pass; consider a smaller τ or a lower lr for τ",
            "branch": f"a residual branch is {row['max_branch_ratio']:.2g}× its skip path (step {row['step']}); deep nets "
            "stay stable when branches are small next to the identity",
            "forward": f"the signal grows {row['forward_ratio']:.3g}× from the first to the last block (step {row['step']}); "
            "the run is heading for overflow; reduce τ or the learning rate",
        }
        for key, triggered in checks.items():
            if triggered and key not in self.warned:
                self.warned.add(key)
                log.warning("stability monitor: %s", messages[key])
