"""Name -> builder registry with a timm-style ``create_model``."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

import torch
from torch import nn

from .cifar import CifarResNet
from .imagenet import ImageNetResNet
from .mlp import ResMLP
from .scaling import resolve_tau

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
_CIFAR_NAME = re.compile(r"resnet(\d+)")


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Register ``fn`` under its own name; a name can be registered once."""
    if fn.__name__ in _BUILDERS:
        raise ValueError(f"model {fn.__name__!r} is already registered")
    _BUILDERS[fn.__name__] = fn
    return fn


def list_models() -> list[str]:
    """Registered model names. Any ``resnet<6n+2>`` not listed here builds a CIFAR net too."""
    return list(_BUILDERS)


def cifar_resnet(depth: int, **kwargs) -> CifarResNet:
    """A CIFAR ResNet of any depth 6n+2 (n >= 1)."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth {depth} is not 6n+2 with n >= 1 (e.g. 20, 56, 110, 1202)")
    return CifarResNet((depth - 2) // 6, **kwargs)


def create_model(name: str, **kwargs) -> nn.Module:
    """Build a model by name, e.g. ``create_model("resnet110", norm="none", tau="sqrt")``.

    Keyword arguments set to None are dropped, so each model's defaults live in one place.
    Common ones: num_classes, in_chans, norm ("batch" | "none"), tau (number, "sqrt", "inv",
    "c/sqrt"), learnable_tau, variant ("tau" | "plain" | "fixup" | "skipinit" | "rezero").
    """
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    if name in _BUILDERS:
        return _BUILDERS[name](**kwargs)
    match = _CIFAR_NAME.fullmatch(name)
    if match:
        return cifar_resnet(int(match.group(1)), **kwargs)
    close = difflib.get_close_matches(name, list_models(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(list_models())}"
    raise ValueError(f"unknown model {name!r}{hint} (any resnet<6n+2> is a CIFAR ResNet)")


def describe_model(name: str) -> dict[str, object]:
    """Family, depth, L, default τ and parameter count (default classes, BN) of a model,
    built on the meta device so even ResNet-1202 costs no memory or time."""
    with torch.device("meta"):
        model = create_model(name)
    family = "cifar" if isinstance(model, CifarResNet) else "imagenet" if isinstance(model, ImageNetResNet) else "mlp"
    rule = "2/sqrt" if family == "imagenet" else "sqrt"
    return {
        "name": name,
        "family": family,
        "depth": model.depth,
        "num_blocks": model.num_blocks,
        "tau_rule": rule,
        "tau": resolve_tau(rule, model.num_blocks),
        "params": sum(p.numel() for p in model.parameters()),
    }


def _cifar(blocks_per_stage: int) -> Callable[..., CifarResNet]:
    def build(**kwargs) -> CifarResNet:
        return CifarResNet(blocks_per_stage, **kwargs)

    build.__name__ = f"resnet{6 * blocks_per_stage + 2}"
    build.__doc__ = f"CIFAR ResNet-{6 * blocks_per_stage + 2}: 3 stages × {blocks_per_stage} basic blocks."
    return build


for _n in (3, 5, 7, 9, 18, 200):
    register_model(_cifar(_n))


@register_model
def resnet18(**kwargs) -> ImageNetResNet:
    return ImageNetResNet("basic", (2, 2, 2, 2), **kwargs)


@register_model
def resnet34(**kwargs) -> ImageNetResNet:
    return ImageNetResNet("basic", (3, 4, 6, 3), **kwargs)


@register_model
def resnet50(**kwargs) -> ImageNetResNet:
    return ImageNetResNet("bottleneck", (3, 4, 6, 3), **kwargs)


@register_model
def resnet101(**kwargs) -> ImageNetResNet:
    return ImageNetResNet("bottleneck", (3, 4, 23, 3), **kwargs)


@register_model
def resnet152(**kwargs) -> ImageNetResNet:
    return ImageNetResNet("bottleneck", (3, 8, 36, 3), **kwargs)


@register_model
def resmlp(**kwargs) -> ResMLP:
    return ResMLP(**kwargs)
