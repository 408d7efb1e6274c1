"""The theory's convergence experiment: full-batch gradient descent on a residual MLP.

A residual MLP of width m fits n random samples (inputs on the unit sphere, random targets)
under the squared loss. For τ ≤ 1/√L the theory gives a linear rate that does not depend on
depth; τ = L^(-1/4) or 1 blows up at depth. Every parameter (A, W_l, B) is trained.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..models import create_model
from .probes import finite_or_none, format_value, parse_tau

DEFAULT_DEPTHS = [10, 100, 1000]


@dataclass(frozen=True)
class ConvergenceRun:
    depth: int
    tau_label: str
    tau: float
    losses: list[float] = field(repr=False)  # loss before each step, then the final loss
    target_ratio: float

    @property
    def initial_loss(self) -> float:
        return self.losses[0]

    @property
    def final_loss(self) -> float:
        return self.losses[-1]

    @property
    def diverged(self) -> bool:
        return not all(math.isfinite(v) for v in self.losses) or self.final_loss > self.initial_loss

    @property
    def iterations_to_target(self) -> int | None:
        """First iteration whose loss is below ``target_ratio`` × the initial loss, or None."""
        threshold = self.target_ratio * self.initial_loss
        return next((i for i, v in enumerate(self.losses) if math.isfinite(v) and v < threshold), None)

    def to_dict(self) -> dict:
        return {
            "depth": self.depth,
            "tau_label": self.tau_label,
            "tau": self.tau,
            "initial_loss": finite_or_none(self.initial_loss),
            "final_loss": finite_or_none(self.final_loss),
            "iterations_to_target": self.iterations_to_target,
            "diverged": self.diverged,
        }


def make_problem(samples: int, in_features: int, outputs: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n inputs on the unit sphere and standard-normal targets (the theory's setting)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, in_features, generator=generator)
    x = x / x.norm(dim=1, keepdim=True)
    y = torch.randn(samples, outputs, generator=generator)
    return x, y


def gradient_descent(
    depth: int,
    tau_label: str,
    *,
    width: int = 256,
    samples: int = 16,
    in_features: int = 16,
    outputs: int = 1,
    lr: float = 0.01,
    iterations: int = 500,
    target_ratio: float = 1e-3,
    seed: int = 0,
) -> ConvergenceRun:
    """Full-batch GD on ½·mean‖f(x) − y‖²; stops once the loss is below ``target_ratio`` ×
    its start, or turns non-finite, or after ``iterations`` steps."""
    x, y = make_problem(samples, in_features, outputs, seed)
    tau = parse_tau(tau_label, depth)
    torch.manual_seed(seed)
    model = create_model("resmlp", in_features=in_features, width=width, num_blocks=depth, num_classes=outputs, tau=tau)
    params = list(model.parameters())
    losses = []
    for _ in range(iterations):
        loss = 0.5 * (model(x) - y).square().sum(1).mean()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]) or losses[-1] < target_ratio * losses[0]:
            break
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for param, grad in zip(params, grads, strict=True):
                param -= lr * grad
    else:
        with torch.no_grad():
            losses.append((0.5 * (model(x) - y).square().sum(1).mean()).item())
    return ConvergenceRun(depth=depth, tau_label=tau_label, tau=tau, losses=losses, target_ratio=target_ratio)


def write_runs(runs: list[ConvergenceRun], out: Path, settings: dict) -> Path:
    """summary.json in ``out``: one entry per run (without the loss curve) and the settings."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "summary.json"
    path.write_text(json.dumps({"runs": [run.to_dict() for run in runs], **settings}, indent=2) + "\n")
    return path


def convergence_study(
    depths: list[int],
    taus: list[str],
    out: Path,
    *,
    width: int = 256,
    samples: int = 16,
    lr: float = 0.01,
    iterations: int = 500,
    target_ratio: float = 1e-3,
    on_run: Callable[[ConvergenceRun], None] | None = None,
) -> str:
    """Gradient descent for every (τ, depth); writes summary.json and convergence.png into
    ``out`` and returns the iterations-to-target table as Markdown."""
    from .plots import plot_convergence

    runs = []
    for tau in taus:
        for depth in depths:
            run = gradient_descent(
                depth, tau, width=width, samples=samples, lr=lr, iterations=iterations, target_ratio=target_ratio
            )
            runs.append(run)
            if on_run:
                on_run(run)
    write_runs(runs, out, {"width": width, "samples": samples, "lr": lr, "iterations": iterations})
    records = [{**run.to_dict(), "losses": run.losses, "target_ratio": run.target_ratio} for run in runs]
    plot_convergence(records, out / "convergence.png", f"residual MLP, width {width}, {samples} samples, GD lr {lr}")
    lines = ["| τ | " + " | ".join(f"depth {d}" for d in depths) + " |", "|---|" + "---|" * len(depths)]
    for tau in taus:
        cells = []
        for run in (r for r in runs if r.tau_label == tau):
            hit = run.iterations_to_target
            if hit is not None:
                cells.append(f"{hit} it")
            else:
                cells.append(
                    "diverged" if run.diverged else f"not reached ({format_value(run.final_loss / run.initial_loss)})"
                )
        lines.append(f"| {tau} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"iterations until loss < {target_ratio:g} × initial")
    return "\n".join(lines) + "\n"
