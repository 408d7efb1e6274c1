"""Evaluating a saved checkpoint on a dataset's evaluation split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import TrainConfig
from ..data import load_dataset
from .checkpoint import load_checkpoint
from .loop import Trainer


def evaluate_checkpoint(
    path: Path, data: str | None = None, data_dir: str | None = None, device: str = "auto", trust: bool = False
) -> dict[str, Any]:
    """Top-1 and mean cross-entropy of the checkpoint's model; the architecture and the
    evaluation split (test, or the run's validation split) come from the checkpoint."""
    if path.is_dir():  # a run directory: its best checkpoint
        path = path / "checkpoints" / "best.pt"
    state = load_checkpoint(path, trust)
    saved = TrainConfig(**state["config"])
    changes = {"device": device, "train_subset": None, "test_subset": None}
    if data:
        changes["data"] = data
    if data_dir:
        changes["data_dir"] = data_dir
    config = saved.replace(**changes)
    dataset = load_dataset(config.data, config.data_dir, val_split=config.val_split, split_seed=config.seed)
    if list(dataset.classes) != list(state["classes"]):
        raise ValueError(
            f"{path} was trained on classes {list(state['classes'])[:4]}… ({len(state['classes'])}), but "
            f"{config.data} has {list(dataset.classes)[:4]}… ({dataset.num_classes}); evaluate on the same classes"
        )
    trained_shape = tuple(state["model"][next(iter(state["model"]))].shape)
    if config.model != "resmlp" and trained_shape[1] != dataset.in_chans:
        raise ValueError(
            f"{path} was trained on {trained_shape[1]}-channel images but {config.data} has {dataset.in_chans}"
        )
    trainer = Trainer(config, data=dataset)
    trainer._restore(state)
    loss, top1 = trainer.evaluate()
    return {
        "checkpoint": str(path),
        "model": config.model,
        "data": config.data,
        "split": dataset.test_name,
        "images": len(dataset.test_labels),
        "top1": top1,
        "loss": loss,
    }
