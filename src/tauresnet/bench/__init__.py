"""``tauresnet bench``: the training fast path against a paper-style naive reference, side by side.

For each model and normalisation, the fast and the naive path alternate for ``rounds`` rounds
(so slow phases of a noisy machine hit both) and the medians and their ratio are reported:
training images/s (data pipeline and full step included) and evaluation images/s. It also
measures the machine's dense matmul rate (bf16 and fp32) in every round, to express each path's
training arithmetic (3 × forward FLOPs × images/s) as a fraction of the rate measured beside it,
and the peak memory of deep nets with and without activation checkpointing, each in a fresh
process.
"""

from __future__ import annotations

import logging
import statistics
from datetime import date
from typing import Any

import torch

from ..train.device import cpu_has_bf16, cpu_name, pick_dtype
from .measure import FastPath, NaivePath, forward_flops, images_per_second, matmul_rate, peak_memory

log = logging.getLogger(__name__)


def time_model(model: str, norm: str, batch: int, steps: int, rounds: int, eval_images: int) -> dict[str, Any]:
    """Training and evaluation images/s of both paths, alternating rounds after a warm-up."""
    fast = FastPath(model, norm, batch, steps, eval_images)
    slow = NaivePath(model, norm, batch, steps, eval_images)
    fast.train(), slow.train()  # warm-up: allocator, oneDNN kernels
    train = {"fast": [], "naive": []}
    evaluation = {"fast": [], "naive": []}
    matmul = {"fp32": [], "bf16": []}
    for _ in range(rounds):
        train["fast"].append(images_per_second(fast.train))
        train["naive"].append(images_per_second(slow.train))
        evaluation["fast"].append(images_per_second(fast.evaluate))
        evaluation["naive"].append(images_per_second(slow.evaluate))
        matmul["fp32"].append(matmul_rate(torch.float32, repeats=3))
        matmul["bf16"].append(matmul_rate(torch.bfloat16, repeats=3))
    row = {"model": model, "norm": norm, "batch": batch, "steps_per_round": steps, "rounds": rounds}
    row["matmul_gflops_rounds"] = matmul
    for kind, rates in (("train", train), ("eval", evaluation)):
        row[f"{kind}_fast"] = statistics.median(rates["fast"])
        row[f"{kind}_naive"] = statistics.median(rates["naive"])
        row[f"{kind}_ratio"] = statistics.median([f / n for f, n in zip(rates["fast"], rates["naive"], strict=True)])
        row[f"{kind}_rounds"] = rates
    return row


def _fraction(flop_per_image: float, images_per_second: list[float], matmul_gflops: list[float]) -> float:
    """Median over rounds of the achieved GFLOP/s over the matmul rate measured in that round."""
    return statistics.median(
        flop_per_image * rate / 1e9 / peak for rate, peak in zip(images_per_second, matmul_gflops, strict=True)
    )


def run_bench(
    models: list[str],
    norms: list[str],
    batch: int,
    steps: int,
    rounds: int,
    eval_images: int,
    memory_model: str | None,
    memory_batch: int,
) -> dict[str, Any]:
    """Everything ``tauresnet bench`` reports, as one JSON-ready dict."""
    dtype = pick_dtype("auto", torch.device("cpu"))
    report: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": f"{cpu_name()}, {torch.get_num_threads()} threads, bf16 native: {cpu_has_bf16()}",
        "torch": torch.__version__,
        "precision": str(dtype).removeprefix("torch."),
        "throughput": [],
        "memory": [],
    }
    for model in models:
        for norm in norms:
            row = time_model(model, norm, batch, steps, rounds, eval_images)
            flops = forward_flops(model, norm)
            precision = "bf16" if dtype == torch.bfloat16 else "fp32"
            row["forward_gflop_per_image"] = flops / 1e9
            row["train_gflops"] = 3 * flops * row["train_fast"] / 1e9
            row["fraction_of_matmul"] = _fraction(
                3 * flops, row["train_rounds"]["fast"], row["matmul_gflops_rounds"][precision]
            )
            row["naive_fraction_of_fp32_matmul"] = _fraction(
                3 * flops, row["train_rounds"]["naive"], row["matmul_gflops_rounds"]["fp32"]
            )
            log.info(
                "%s %s: train %.0f vs %.0f img/s (×%.2f), eval %.0f vs %.0f img/s (×%.2f)",
                model,
                norm,
                row["train_fast"],
                row["train_naive"],
                row["train_ratio"],
                row["eval_fast"],
                row["eval_naive"],
                row["eval_ratio"],
            )
            report["throughput"].append(row)
    report["matmul_gflops"] = {
        kind: statistics.median(rate for row in report["throughput"] for rate in row["matmul_gflops_rounds"][kind])
        for kind in ("fp32", "bf16")
    }
    if memory_model:
        settings = [
            {"path": "naive", "model": memory_model, "norm": "none", "batch": memory_batch},
            {"path": "fast", "model": memory_model, "norm": "none", "batch": memory_batch},
            {"path": "fast", "model": memory_model, "norm": "none", "batch": memory_batch, "checkpoint": True},
            {"path": "fast", "model": memory_model, "norm": "none", "batch": batch, "checkpoint": True, "steps": 1},
        ]
        for setting in settings:
            result = peak_memory(setting)
            log.info("memory %s", result)
            report["memory"].append(result)
        report["checkpointing_memory_ratios"] = checkpointing_ratios(report["memory"][:3])
    return report


def checkpointing_ratios(rows: list[dict[str, Any]]) -> dict[str, float] | None:
    """Peak and steps' memory with checkpointing as fractions of the naive path's and of the
    fast path's without it; ``rows`` = [naive, fast, fast + checkpointing] at one batch.
    None when a measurement failed."""
    if any("error" in row for row in rows):
        return None
    naive, fast, checkpointed = rows
    return {
        f"{kind}_vs_{name}": checkpointed[f"{kind}_mib"] / other[f"{kind}_mib"]
        for kind in ("peak", "step")
        for name, other in (("naive", naive), ("fast", fast))
    }


def markdown(report: dict[str, Any]) -> str:
    """The README's Performance table and the memory table."""
    rates = report["matmul_gflops"]
    lines = [
        f"{report['machine']}, torch {report['torch']}, fast path in {report['precision']}; {report['date']}.",
        f"Dense matmul, median of the rate measured in every round: {rates['fp32']:.0f} GFLOP/s fp32, "
        f"{rates['bf16']:.0f} GFLOP/s bf16 (each row's fraction is against the rate beside its own rounds).",
        "",
        "| model | norm | train img/s fast | naive | ratio | eval img/s fast | naive | ratio | train GFLOP/s | of matmul peak |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["throughput"]:
        lines.append(
            f"| {row['model']} | {row['norm']} | {row['train_fast']:.0f} | {row['train_naive']:.0f} | "
            f"×{row['train_ratio']:.2f} | {row['eval_fast']:.0f} | {row['eval_naive']:.0f} | ×{row['eval_ratio']:.2f} | "
            f"{row['train_gflops']:.0f} | {100 * row['fraction_of_matmul']:.0f} % |"
        )
    if report["memory"]:
        lines += [
            "",
            "| model | path | batch | activation checkpointing | peak MiB | steps' MiB | s/step |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in report["memory"]:
            if "error" in row:
                lines.append(
                    f"| {row['model']} | {row['path']} | {row['batch']} | {row.get('checkpoint', False)} | failed: {row['error']} | | |"
                )
                continue
            lines.append(
                f"| {row['model']} | {row['path']} | {row['batch']} | {'yes' if row.get('checkpoint') else 'no'} | "
                f"{row['peak_mib']:.0f} | {row['step_mib']:.0f} | {row['seconds_per_step']:.1f} |"
            )
        ratios = report.get("checkpointing_memory_ratios")
        if ratios:
            lines += [
                "",
                f"With activation checkpointing at batch {report['memory'][2]['batch']}: peak "
                f"×{ratios['peak_vs_naive']:.2f} of the naive path's and ×{ratios['peak_vs_fast']:.2f} of the fast "
                f"path's without it; the steps' own memory ×{ratios['step_vs_naive']:.2f} and ×{ratios['step_vs_fast']:.2f}.",
            ]
    return "\n".join(lines) + "\n"
