"""Figures drawn from records; the only module that imports matplotlib."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def plot_training(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    """Loss and accuracy per epoch (train and test) from metrics rows, as one PNG."""
    plt = _pyplot()
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


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_stability(table: list[dict[str, Any]], path: Path, title: str) -> None:
    """Heat map of log10 ‖h_L‖/‖h_0‖ over depth × τ (overflow cells marked), and log ratio vs
    depth per τ, from ``sweep.summary_table`` rows."""
    plt = _pyplot()
    taus = list(dict.fromkeys(row["tau_label"] for row in table))
    depths = sorted({row["depth"] for row in table})
    lookup = {(row["tau_label"], row["depth"]): row for row in table}
    figure, (heat_ax, curve_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    grid = [[math.nan] * len(taus) for _ in depths]
    for i, depth in enumerate(depths):
        for j, tau in enumerate(taus):
            row = lookup.get((tau, depth))
            if row and row["verdict"] != "overflow":
                grid[i][j] = math.log10(max(row["forward_ratio"], 1e-300))
    finite = [v for line in grid for v in line if not math.isnan(v)]
    image = heat_ax.imshow(grid, aspect="auto", cmap="viridis", origin="lower", vmin=0, vmax=max(finite + [1.0]))
    for i, depth in enumerate(depths):
        for j, tau in enumerate(taus):
            row = lookup.get((tau, depth))
            text = "overflow" if row and row["verdict"] == "overflow" else f"{grid[i][j]:.1f}" if row else ""
            heat_ax.text(
                j, i, text, ha="center", va="center", fontsize=8, color="red" if text == "overflow" else "white"
            )
    heat_ax.set_xticks(range(len(taus)), [f"τ = {t}" for t in taus])
    heat_ax.set_yticks(range(len(depths)), [str(d) for d in depths])
    heat_ax.set(xlabel="τ", ylabel="depth (blocks for resmlp, layers for ResNets)", title="log10 ‖h_L‖/‖h_0‖ at init")
    figure.colorbar(image, ax=heat_ax)
    for tau in taus:
        points = [
            (d, math.log(lookup[(tau, d)]["forward_ratio"]))
            for d in depths
            if (tau, d) in lookup and lookup[(tau, d)]["verdict"] != "overflow"
        ]
        if points:
            curve_ax.plot(*zip(*points, strict=True), marker="o", label=f"τ = {tau}")
    curve_ax.set(
        xscale="log",
        yscale="symlog",
        xlabel="depth",
        ylabel="log ‖h_L‖/‖h_0‖",
        title="growth with depth (missing = overflow)",
    )
    curve_ax.grid(alpha=0.3)
    curve_ax.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_convergence(runs: list[dict[str, Any]], path: Path, title: str) -> None:
    """Training loss (relative to its start) vs iteration, one panel per τ rule, a line per depth."""
    plt = _pyplot()
    taus = list(dict.fromkeys(run["tau_label"] for run in runs))
    figure, axes = plt.subplots(1, len(taus), figsize=(4 * len(taus), 3.8), sharey=True, squeeze=False)
    for ax, tau in zip(axes[0], taus, strict=True):
        notes = []
        for run in (r for r in runs if r["tau_label"] == tau):
            start = run["losses"][0]
            if math.isfinite(start) and start > 0:
                ax.plot([v / start for v in run["losses"]], label=f"depth {run['depth']}")
            else:
                notes.append(f"depth {run['depth']}: loss non-finite at start")
        if notes:
            ax.text(0.05, 0.5, "\n".join(notes), transform=ax.transAxes, color="red", fontsize=8)
        ax.axhline(runs[0]["target_ratio"], color="gray", linestyle=":", label="target")
        ax.set(yscale="log", xlabel="iteration", title=f"τ = {tau}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("loss / initial loss")
    axes[0][0].set_ylim(1e-6, 1e3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_suite(
    table: list[dict[str, Any]], labels: dict[str, str], paper: dict[tuple[str, int], float], path: Path, title: str
) -> None:
    """Test error vs depth per method (mean ± std over seeds, from ``reproduce.report.aggregate``);
    cells where every run diverged without a checkpoint are marked on the top edge; the
    paper's numbers, where there are any, as dashed lines."""
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(7, 4.5))
    depths = sorted({row["depth"] for row in table})
    positions = {depth: i for i, depth in enumerate(depths)}
    for index, method in enumerate(labels):
        rows = sorted((r for r in table if r["method"] == method), key=lambda r: r["depth"])
        if not rows:
            continue
        color = f"C{index}"
        done = [r for r in rows if not math.isnan(r["test_error_mean"])]
        lost = [r for r in rows if math.isnan(r["test_error_mean"]) and r["diverged"]]
        label = labels[method] + (" (× = diverged)" if lost else "")
        ax.errorbar(
            [positions[r["depth"]] for r in done],
            [r["test_error_mean"] for r in done],
            yerr=[0.0 if math.isnan(r["test_error_std"]) else r["test_error_std"] for r in done],
            marker="o",
            capsize=3,
            color=color,
            label=label,
        )
        if lost:
            ax.plot(
                [positions[r["depth"]] for r in lost],
                [1.0] * len(lost),
                "x",
                color=color,
                markersize=10,
                transform=ax.get_xaxis_transform(),
                clip_on=False,
            )
        published = [(positions[d], paper[(method, d)]) for d in depths if (method, d) in paper]
        if published:
            ax.plot(*zip(*published, strict=True), "--", color=color, alpha=0.6, label=f"{labels[method]} (paper)")
    ax.set_xticks(range(len(depths)), [str(d) for d in depths])
    ax.set(xlabel="depth (layers)", ylabel="test error (%)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    figure.savefig(tmp, dpi=100)
    plt.close(figure)
    tmp.replace(path)
