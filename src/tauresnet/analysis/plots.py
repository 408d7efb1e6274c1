"""Figures drawn from records; the only module that imports matplotlib."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_training(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    """Loss and accuracy per epoch (train and test) from metrics rows, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in rows]
    figure, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for split, style in (("train", "-"), ("test", "--")):
        loss_ax.plot(epochs, [row[f"{split}_loss"] for row in rows], style, marker="o", label=split)
        acc_ax.plot(epochs, [100 * row[f"{split}_acc"] for row in rows], style, marker="o", label=split)
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log")
    acc_ax.set(xlabel="epoch", ylabel="top-1 accuracy (%)")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(title)
    figure.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    figure.savefig(tmp, dpi=100)
    plt.close(figure)
    tmp.replace(path)
