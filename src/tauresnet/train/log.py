"""The files a run writes besides checkpoints: metrics.csv and summary.json."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any

METRIC_COLUMNS = ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")
STATUSES = ("running", "completed", "interrupted", "diverged")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_metrics(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rewrite the whole file from the run's history, so it always matches the checkpoint."""
    lines = [",".join(METRIC_COLUMNS)]
    for row in rows:
        lines.append(",".join(f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c]) for c in METRIC_COLUMNS))
    _atomic_write(path, "\n".join(lines) + "\n")


def read_metrics(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as handle:
        return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(handle)]


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Strict JSON: a non-finite number (a diverged run's τ, say) is written as null."""
    clean = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value for key, value in summary.items()
    }
    _atomic_write(path, json.dumps(clean, indent=2, allow_nan=False) + "\n")
