"""The training loop, its checkpoints and logs."""

from .loop import RunResult, Trainer, train

__all__ = ["RunResult", "Trainer", "train"]
