"""Evaluating a saved checkpoint on a dataset's evaluation split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import TrainConfig
from ..data import load_dataset
from .checkpoint import load_checkpoint
from .loop import Trainer


def evaluate_checkpoint(
    path: Path,
    data: str | None = None,
    data_dir: str | None = None,
    device: str = "auto",
    trust: bool = False,
    split: str = "saved",
) -> dict[str, Any]:
    """Top-1 and mean cross-entropy of the checkpoint's model; the architecture comes from the
    checkpoint. ``split="saved"`` evaluates on the run's own evaluation split (test, or its
    validation split); ``split="test"`` on the test set even when the run held out validation."""
    if split not in ("saved", "test"):
        raise ValueError(f"split {split!r} is not one of saved, test")
    if path.is_dir():  # a run directory: its best checkpoint
        path = path / "checkpoints" / "best.pt"
    state = load_checkpoint(path, trust)
    saved = TrainConfig.from_saved(state["config"])
    changes: dict[str, Any] = {"device": device, "train_subset": None, "test_subset": None}
    if split == "test":
        changes["val_split"] = 0.0
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
    stem = next((v for v in state["model"].values() if v.ndim == 4), None)  # the first convolution
    if stem is not None and stem.shape[1] != dataset.in_chans:
        raise ValueError(
            f"{path} was trained on {stem.shape[1]}-channel images but {config.data} has {dataset.in_chans}"
        )
    trainer = Trainer(config, data=dataset)
    trainer.load_weights(state)
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
