"""Complete, atomic training checkpoints that load with ``torch.load(weights_only=True)``."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..models.pretrained import clean_state_dict, read_checkpoint

FORMAT_VERSION = 1


def rng_state() -> dict[str, Any]:
    """Global RNG states as tensors and plain containers."""
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *map(float, np_state[2:])],
        "python": random.getstate(),
    }


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), gauss))
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write to a temp file in the same folder, fsync, then rename over ``path``: a reader
    sees the old file or the new one, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format_version": FORMAT_VERSION, **payload}
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as handle:
        try:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def load_checkpoint(path: Path, trust: bool = False) -> dict[str, Any]:
    """Read a trainer checkpoint (weights only unless ``trust``); errors name the file and the problem."""
    state = read_checkpoint(path, trust)
    required = ("model", "optimizer", "config", "classes", "epoch", "step", "history", "rng")
    if (
        not isinstance(state, dict)
        or state.get("format_version") != FORMAT_VERSION
        or any(k not in state for k in required)
    ):
        raise ValueError(
            f"{path}: not a complete tauresnet training checkpoint (format {FORMAT_VERSION}); "
            "for a standard ResNet state_dict use tauresnet.load_pretrained"
        )
    state["model"] = clean_state_dict(state["model"])
    return state


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module under DDP and torch.compile wrappers."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if inner is None:
            return model
        model = inner
