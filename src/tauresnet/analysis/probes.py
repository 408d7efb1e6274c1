"""Signal sizes of a residual network at initialisation (the paper, Zhang et al. 2022).

The theory predicts ``log(‖h_L‖/‖h_0‖) ≈ c · L · τ²`` at initialisation (He init, no
normalisation): bounded for τ = 1/√L at any depth, growing like exp(L^(2a)) for τ = L^(-1/2+a).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..models import create_model


@dataclass(frozen=True)
class ProbeRecord:
    """One measurement. Ratios are of L2 norms over the whole batch; non-finite values mean
    the float32 forward or backward pass overflowed."""

    family: str
    depth: int
    num_blocks: int
    tau_label: str
    tau: float
    seed: int
    forward_ratio: float  # ‖h_L‖ / ‖h_0‖
    max_block_ratio: float  # max over blocks of ‖h_l‖ / ‖h_{l-1}‖
    grad_first: float  # ‖∂loss/∂(first block's weights)‖
    grad_last: float  # ‖∂loss/∂(last block's weights)‖

    @property
    def overflow(self) -> bool:
        values = (self.forward_ratio, self.max_block_ratio, self.grad_first, self.grad_last)
        return not all(math.isfinite(v) for v in values)

    @property
    def log_ratio(self) -> float:
        return math.log(self.forward_ratio) if not self.overflow and self.forward_ratio > 0 else math.inf

    def to_dict(self) -> dict:
        return {**asdict(self), "overflow": self.overflow, "log_ratio": self.log_ratio}


def finite_or_none(value: object) -> object:
    """JSON has no inf/nan: non-finite floats are written as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def format_value(value: float) -> str:
    """Three significant digits for tables; ``overflow`` for inf/nan (float32 ran out)."""
    return f"{value:.3g}" if math.isfinite(value) else "overflow"


def parse_tau(label: str, num_blocks: int) -> float:
    """``L^-1/2``-style exponents of L (``L^0`` is 1), or a plain number."""
    text = label.strip().replace(" ", "")
    if text.upper().startswith("L^"):
        exponent = text[2:]
        try:
            if "/" in exponent:
                numerator, denominator = exponent.split("/")
                value = float(numerator) / float(denominator)
            else:
                value = float(exponent)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"tau {label!r} is not L^<exponent> (e.g. L^-1/2) or a number") from None
        return float(num_blocks) ** value
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"tau {label!r} is not L^<exponent> (e.g. L^-1/2) or a number") from None
    if not value > 0:
        raise ValueError(f"tau {label!r} must be positive")
    return value


def _norm(t: torch.Tensor) -> float:
    return t.detach().double().norm().item()  # float64: the sum of squares overflows float32 first


def _block_weights(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    blocks = list(model.blocks) if hasattr(model, "output") else model.blocks()
    first = [p for p in blocks[0].parameters() if p.ndim >= 2]
    last = [p for p in blocks[-1].parameters() if p.ndim >= 2]
    return first, last


def _grad_norm(params: list[nn.Parameter]) -> float:
    grads = [p.grad for p in params if p.grad is not None]
    return math.sqrt(sum(_norm(g) ** 2 for g in grads)) if grads else 0.0


def probe(model: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """Forward ratios and block gradient norms for ``model`` on ``x`` (loss = ½·mean ‖output‖²)."""
    model.zero_grad(set_to_none=True)
    trace = model.forward_trace(x)
    norms = [_norm(h) for h in trace]
    ratios = [b / a if a > 0 else math.inf for a, b in zip(norms, norms[1:], strict=False)]
    head = model.output(trace[-1]) if hasattr(model, "output") else model.forward_head(trace[-1])
    loss = 0.5 * head.double().square().sum() / len(x)
    first, last = _block_weights(model)
    if torch.isfinite(loss):
        loss.backward()
        grad_first, grad_last = _grad_norm(first), _grad_norm(last)
    else:
        grad_first = grad_last = math.inf
    return {
        "forward_ratio": norms[-1] / norms[0] if norms[0] > 0 else math.inf,
        "max_block_ratio": max(ratios) if ratios else 1.0,
        "grad_first": grad_first,
        "grad_last": grad_last,
    }


def build_probe_model(family: str, depth: int, tau: float, norm: str, width: int) -> nn.Module:
    """``resmlp`` with ``depth`` blocks, or a CIFAR ResNet of ``depth`` layers (6n+2)."""
    if family == "resmlp":
        return create_model("resmlp", in_features=width, width=width, num_blocks=depth, tau=tau)
    if family == "cifar":
        return create_model(f"resnet{depth}", norm=norm, tau=tau)
    raise ValueError(f"family {family!r} is not 'resmlp' or 'cifar'")


def probe_cell(
    family: str, depth: int, tau_label: str, seed: int, *, norm: str = "none", width: int = 256, batch: int = 16
) -> ProbeRecord:
    """Build the model for one (depth, τ, seed) and probe it on standard-normal input."""
    blocks = depth if family == "resmlp" else 3 * ((depth - 2) // 6)
    tau = parse_tau(tau_label, blocks)
    torch.manual_seed(seed)
    model = build_probe_model(family, depth, tau, norm, width).train()
    x = torch.randn(batch, width) if family == "resmlp" else torch.randn(batch, 3, 32, 32)
    return ProbeRecord(
        family=family, depth=depth, num_blocks=blocks, tau_label=tau_label, tau=tau, seed=seed, **probe(model, x)
    )
