"""tauresnet: deep residual networks stabilised by a branch scale τ = O(1/√L)."""

from .models import (
    apply_tau,
    create_model,
    describe_model,
    list_models,
    load_pretrained,
    register_model,
    resolve_tau,
)
from .optim import param_groups

__version__ = "0.1.0"
__all__ = [
    "apply_tau",
    "create_model",
    "describe_model",
    "list_models",
    "load_pretrained",
    "param_groups",
    "register_model",
    "resolve_tau",
]
