"""Import of standard (τ = 1, BN) ResNet checkpoints into tauresnet models."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from .registry import create_model

# Prefixes that wrappers add to parameter names: DataParallel/DDP and torch.compile.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
# The public CIFAR re-implementation names its classifier ``linear``; ours is ``fc``.
RENAMES = {"linear.": "fc."}
# Old checkpoints hold numpy scalars (e.g. best_prec1); these globals rebuild them without
# running arbitrary pickled code, so weights_only loading still applies.
_NUMPY_SAFE = [np.dtype, (getattr(np, "_core", None) or np.core).multiarray.scalar] + [
    type(np.dtype(t)) for t in ("float32", "float64", "int64")
]


def read_checkpoint(path: str | os.PathLike, trust: bool = False) -> dict:
    """torch.load with ``weights_only=True`` (plus numpy scalars), which refuses pickled code.

    ``trust=True`` allows full unpickling, which can run arbitrary code: only for files whose
    origin you trust.
    """
    name = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint {name!r} does not exist or is not a file")
    try:
        if trust:
            return torch.load(path, map_location="cpu", weights_only=False)
        with torch.serialization.safe_globals(_NUMPY_SAFE):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load fails in many ways on damaged files
        if "Unsupported global" in str(error):
            raise ValueError(
                f"checkpoint {name!r} holds Python objects beyond tensors, and loading them can run arbitrary code; "
                "pass --trust-checkpoint (trust_checkpoint=True) only if you trust its origin"
            ) from None
        raise ValueError(
            f"checkpoint {name!r} is corrupt, truncated or not a torch checkpoint; use another copy"
        ) from None


def clean_state_dict(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip wrapper prefixes and map foreign names onto ours."""
    cleaned = {}
    for key, value in state_dict.items():
        for prefix in WRAPPER_PREFIXES:
            while key.startswith(prefix):
                key = key[len(prefix) :]
        for old, new in RENAMES.items():
            if key.startswith(old):
                key = new + key[len(old) :]
        cleaned[key] = value
    return cleaned


def load_pretrained(
    source: str | os.PathLike | Mapping, name: str = "resnet20", *, trust_checkpoint: bool = False, **kwargs
) -> nn.Module:
    """Build ``name`` as a standard ResNet (BN, τ = 1) and load a standard checkpoint into it.

    source: a path to a ``torch.save`` file (a state_dict, or a dict with ``state_dict``), or the
    mapping itself. Prefixes ``module.``/``_orig_mod.`` are stripped and ``linear.*`` becomes
    ``fc.*``; BN ``num_batches_tracked`` counters missing from old files are filled in.
    Extra kwargs (e.g. ``num_classes``) go to ``create_model``. ``trust_checkpoint`` allows full
    unpickling of files that hold more than tensors (this can run code: trusted files only).
    """
    state = read_checkpoint(source, trust_checkpoint) if isinstance(source, (str, os.PathLike)) else source
    if isinstance(state, Mapping) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, Mapping):
        raise ValueError(f"{source!r} holds no state_dict")
    model = create_model(name, norm="batch", variant="plain", **kwargs)
    state = clean_state_dict(state)
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = value
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except (RuntimeError, TypeError, AttributeError) as error:  # shape mismatches
        raise ValueError(f"checkpoint does not fit model {name!r}: {str(error).splitlines()[-1].strip()}") from None
    if missing or unexpected:
        raise ValueError(
            f"checkpoint does not fit model {name!r}: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
        )
    return model
