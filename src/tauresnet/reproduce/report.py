"""Aggregating a suite's runs: results.csv (one row per run), results.md and results.png
(mean ± std over seeds per method and depth, beside the paper's numbers)."""

from __future__ import annotations

import csv
import math
import platform
import statistics
from datetime import date
from pathlib import Path
from typing import Any

import torch

from ..train.device import cpu_name
from .suites import TrainingSuite

CSV_COLUMNS = (
    "method",
    "depth",
    "seed",
    "status",
    "epochs_done",
    "best_val_acc",
    "test_acc",
    "test_error",
    "tau",
    "wall_seconds",
    "run_dir",
)


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (method, depth) in first-seen order: test error mean and sample std over
    the runs that have a test result, how many diverged, and total training time."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["depth"]), []).append(row)
    table = []
    for (method, depth), runs in groups.items():
        errors = [r["test_error"] for r in runs if r["test_error"] is not None]
        val = [100 * (1 - r["best_val_acc"]) for r in runs if r["best_val_acc"] is not None]
        table.append(
            {
                "method": method,
                "depth": depth,
                "runs": len(runs),
                "finished": sum(r["status"] in ("completed", "diverged") for r in runs),
                "diverged": sum(r["status"] == "diverged" for r in runs),
                "test_error_mean": statistics.fmean(errors) if errors else math.nan,
                "test_error_std": statistics.stdev(errors) if len(errors) > 1 else math.nan,
                "val_error_mean": statistics.fmean(val) if val else math.nan,
                "tested": len(errors),
                "seconds": sum(r["wall_seconds"] or 0.0 for r in runs),
            }
        )
    return table


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows({key: row[key] for key in CSV_COLUMNS} for row in rows)


def machine() -> str:
    device = (
        torch.cuda.get_device_name()
        if torch.cuda.is_available()
        else f"{cpu_name()}, {torch.get_num_threads()} threads"
    )
    return f"{platform.machine()} {device}, torch {torch.__version__}, Python {platform.python_version()}"


def _cell(mean: float, std: float, count: int) -> str:
    if math.isnan(mean):
        return "—"
    return f"{mean:.2f} ± {std:.2f}" if count > 1 else f"{mean:.2f}"


def markdown(suite: TrainingSuite, tier: str, table: list[dict[str, Any]], seeds: int) -> str:
    """results.md: what ran, where, and the table beside the paper's numbers."""
    labels = {m.name: m.label for m in suite.methods}
    recipe = suite.tiers[tier]
    lines = [
        f"# {suite.title}",
        "",
        f"- suite `{suite.name}`, tier `{tier}`: {recipe.note}; {seeds} seed(s) per cell",
        f"- machine: {machine()}; written {date.today().isoformat()}",
        "- test error (%) of the checkpoint with the best validation accuracy, mean ± std over seeds;",
        "  validation error is the best epoch's; a diverged run is counted and keeps its last good checkpoint",
        "",
        "| method | depth | test error % | best val error % | diverged | finished | paper test error % | train time (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table:
        paper = suite.paper.get((row["method"], row["depth"]))
        lines.append(
            f"| {labels[row['method']]} | {row['depth']} "
            f"| {_cell(row['test_error_mean'], row['test_error_std'], row['tested'])} "
            f"| {_cell(row['val_error_mean'], math.nan, 1)} | {row['diverged']}/{row['runs']} "
            f"| {row['finished']}/{row['runs']} | {'—' if paper is None else f'{paper:.2f}'} | {row['seconds']:.0f} |"
        )
    lines.append("")
    if suite.paper:
        lines.append(f"Paper numbers: {suite.paper_source}; the `{tier}` tier is not expected to reach them")
        lines.append("unless it is `full`.")
    else:
        lines.append("The paper publishes no per-depth numbers for this comparison; the claim checked is the")
        lines.append(
            "ordering: without normalisation, plain (τ = 1) diverges or trails as depth grows while τ = 1/√L trains."
        )
    return "\n".join(lines) + "\n"


def write_report(suite: TrainingSuite, tier: str, rows: list[dict[str, Any]], seeds: int, out: Path) -> list[Path]:
    """results.csv, results.md and results.png in ``out``; returns their paths."""
    from ..analysis.plots import plot_suite

    out.mkdir(parents=True, exist_ok=True)
    table = aggregate(rows)
    write_csv(rows, out / "results.csv")
    (out / "results.md").write_text(markdown(suite, tier, table, seeds))
    labels = {m.name: m.label for m in suite.methods}
    plot_suite(table, labels, suite.paper, out / "results.png", f"{suite.title} ({tier} tier)")
    return [out / "results.csv", out / "results.md", out / "results.png"]
