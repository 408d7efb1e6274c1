"""τ-ResNets and the baselines they are judged against."""

from .cifar import CifarResNet
from .imagenet import ImageNetResNet
from .mlp import ResMLP
from .pretrained import load_pretrained
from .registry import create_model, describe_model, list_models, register_model
from .retrofit import apply_tau
from .scaling import resolve_tau

__all__ = [
    "CifarResNet",
    "ImageNetResNet",
    "ResMLP",
    "apply_tau",
    "create_model",
    "describe_model",
    "list_models",
    "load_pretrained",
    "register_model",
    "resolve_tau",
]
