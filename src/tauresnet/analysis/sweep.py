"""Grids of probes over depth × τ, with the fit of log ratio against L·τ² and a verdict per cell."""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path

from .probes import ProbeRecord, finite_or_none, format_value, probe_cell

DEFAULT_TAUS = ["L^-1", "L^-1/2", "L^-1/4", "L^0"]
DEFAULT_DEPTHS = {"resmlp": [10, 30, 100, 300, 1000, 3000, 10000], "cifar": [20, 56, 110, 1202]}
BOUNDED_RATIO = 10.0  # ‖h_L‖/‖h_0‖ below this is called bounded; above it, growing


def run_sweep(
    family: str,
    depths: list[int],
    taus: list[str],
    seeds: int,
    *,
    norm: str = "none",
    width: int = 256,
    batch: int = 16,
    on_record: Callable[[ProbeRecord], None] | None = None,
) -> list[ProbeRecord]:
    records = []
    for tau_label in taus:
        for depth in depths:
            for seed in range(seeds):
                record = probe_cell(family, depth, tau_label, seed, norm=norm, width=width, batch=batch)
                records.append(record)
                if on_record:
                    on_record(record)
    return records


def verdict(cell: list[ProbeRecord]) -> str:
    """overflow if any seed overflowed, else bounded / growing by the median forward ratio."""
    if any(r.overflow for r in cell):
        return "overflow"
    return "bounded" if statistics.median(r.forward_ratio for r in cell) < BOUNDED_RATIO else "growing"


def cells(records: list[ProbeRecord]) -> dict[tuple[str, int], list[ProbeRecord]]:
    grouped: dict[tuple[str, int], list[ProbeRecord]] = {}
    for record in records:
        grouped.setdefault((record.tau_label, record.depth), []).append(record)
    return grouped


def fit_slopes(records: list[ProbeRecord]) -> dict[str, float]:
    """Least-squares slope c of ``log ratio = c · L·τ²`` (through the origin) per τ rule and
    over all finite cells (key ``"all"``). The linear law holds while the per-block growth is
    small; τ = 1 saturates it (log(1 + cτ²) < cτ²), so its slope comes out lower."""

    def slope(rs: list[ProbeRecord]) -> float:
        points = [(r.num_blocks * r.tau**2, r.log_ratio) for r in rs if not r.overflow and r.forward_ratio > 0]
        denominator = sum(x * x for x, _ in points)
        return sum(x * y for x, y in points) / denominator if denominator else math.nan

    slopes = {
        label: slope([r for r in records if r.tau_label == label])
        for label in dict.fromkeys(r.tau_label for r in records)
    }
    slopes["all"] = slope(records)
    return slopes


def _median(cell: list[ProbeRecord], key: str) -> float:
    finite = [getattr(r, key) for r in cell if not r.overflow]
    return statistics.median(finite) if finite else math.inf


def summary_table(records: list[ProbeRecord]) -> list[dict]:
    """One row per (τ, depth): medians over the seeds that did not overflow, and the verdict."""
    keys = ("forward_ratio", "max_block_ratio", "grad_first", "grad_last")
    return [
        {
            "tau_label": tau_label,
            "depth": depth,
            "num_blocks": cell[0].num_blocks,
            "tau": cell[0].tau,
            **{key: _median(cell, key) for key in keys},
            "seeds": len(cell),
            "verdict": verdict(cell),
        }
        for (tau_label, depth), cell in cells(records).items()
    ]


def write_records(records: list[ProbeRecord], out: Path) -> tuple[Path, Path]:
    """records.csv (one row per seed) and summary.json (table and slopes) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [r.to_dict() for r in records]
    csv_path = out / "records.csv"
    with open(csv_path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    json_path = out / "summary.json"
    table = [{k: finite_or_none(v) for k, v in row.items()} for row in summary_table(records)]
    json_path.write_text(
        json.dumps(
            {
                "table": table,
                "slopes": {k: finite_or_none(v) for k, v in fit_slopes(records).items()},
                "bounded_ratio": BOUNDED_RATIO,
            },
            indent=2,
        )
        + "\n"
    )
    return csv_path, json_path


def stability_study(
    family: str,
    depths: list[int],
    taus: list[str],
    seeds: int,
    out: Path,
    *,
    norm: str = "none",
    width: int = 256,
    batch: int = 16,
    on_record: Callable[[ProbeRecord], None] | None = None,
) -> str:
    """Run the sweep, write records.csv, summary.json and stability.png into ``out`` and
    return the table and fitted slopes as Markdown."""
    from .plots import plot_stability

    records = run_sweep(family, depths, taus, seeds, norm=norm, width=width, batch=batch, on_record=on_record)
    write_records(records, out)
    table = summary_table(records)
    name = "resmlp" if family == "resmlp" else f"CIFAR ResNet, norm={norm}"
    plot_stability(table, out / "stability.png", f"{name}: signal growth at initialisation")
    lines = [
        "| τ | depth | L | τ value | ‖h_L‖/‖h_0‖ | max block ratio | ‖∇W_1‖ | ‖∇W_L‖ | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table:
        lines.append(
            f"| {row['tau_label']} | {row['depth']} | {row['num_blocks']} | {row['tau']:.4g} | {format_value(row['forward_ratio'])} "
            f"| {format_value(row['max_block_ratio'])} | {format_value(row['grad_first'])} | {format_value(row['grad_last'])} | {row['verdict']} |"
        )
    slopes = fit_slopes(records)
    lines.append("")
    lines.append("slope c of log ratio = c·L·τ²: " + ", ".join(f"{k} {format_value(v)}" for k, v in slopes.items()))
    return "\n".join(lines) + "\n"
