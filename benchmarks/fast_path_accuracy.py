"""Does the fast path cost accuracy? The same short training twice per seed: once with the fast
path (bf16 autocast where the CPU/GPU has it, channels_last) and once in fp32 with NCHW.

    python benchmarks/fast_path_accuracy.py --epochs 2 --seeds 0,1,2 --norms batch,none

For each normalisation and seed it prints both final test accuracies and their difference in
points (a run whose loss turns non-finite is recorded as diverged), then the mean and spread of
the differences next to the spread between seeds of one path (a short run's seed-to-seed noise
bounds what one seed's difference can show). Writes ``fast_path_accuracy.json`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PATHS = {
    "fast": ["--precision", "auto", "--channels-last"],
    "fp32": ["--precision", "fp32", "--no-channels-last"],
}


DIVERGED = 3  # tauresnet train's exit status when the loss turns non-finite


def train(run: Path, flags: list[str]) -> dict:
    """One run's precision, final test accuracy (None if it diverged), speed and status."""
    done = subprocess.run([sys.executable, "-m", "tauresnet", "train", *flags, "--out", str(run)])
    if done.returncode not in (0, DIVERGED):
        raise SystemExit(f"training failed (exit {done.returncode}): see the output above and {run}")
    summary = json.loads((run / "summary.json").read_text())
    return {key: summary[key] for key in ("status", "precision", "final_test_acc", "images_per_second")}


def percent(result: dict) -> str:
    return "diverged" if result["final_test_acc"] is None else f"{100 * result['final_test_acc']:.2f} %"


def spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--norms", default="batch,none", help="batch: BN + τ; none: no norm, learnable τ")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--warmup-epochs", type=float, default=0.0, help="linear lr warm-up (the demo uses 1)")
    parser.add_argument("--out", default="runs/fast_path_accuracy")
    args = parser.parse_args()
    report = {
        "model": args.model,
        "epochs": args.epochs,
        "warmup_epochs": args.warmup_epochs,
        "data": "fashion-mnist",
        "norms": {},
    }
    for norm in args.norms.split(","):
        common = ["--data", "fashion-mnist", "--model", args.model, "--norm", norm, "--epochs", str(args.epochs)]
        common += ["--warmup-epochs", str(args.warmup_epochs)]
        common += ["--learnable-tau"] if norm == "none" else []
        rows = []
        for seed in [int(s) for s in args.seeds.split(",")]:
            row = {"seed": seed}
            for name, flags in PATHS.items():
                run = Path(args.out) / f"{norm}-seed{seed}-{name}"
                row[name] = train(run, [*common, "--seed", str(seed), "--overwrite", *flags])
            both = row["fast"]["final_test_acc"] is not None and row["fp32"]["final_test_acc"] is not None
            row["difference_points"] = (
                100 * (row["fast"]["final_test_acc"] - row["fp32"]["final_test_acc"]) if both else None
            )
            rows.append(row)
            difference = "n/a" if row["difference_points"] is None else f"{row['difference_points']:+.2f} points"
            print(
                f"{norm} seed {seed}: fast ({row['fast']['precision']}) {percent(row['fast'])}, "
                f"fp32 {percent(row['fp32'])}, difference {difference}",
                flush=True,
            )
        differences = [row["difference_points"] for row in rows if row["difference_points"] is not None]
        finished = {
            name: [row[name]["final_test_acc"] for row in rows if row[name]["final_test_acc"] is not None]
            for name in PATHS
        }
        summary = {
            "diverged": {name: len(rows) - len(finished[name]) for name in PATHS},
            "mean_difference_points": statistics.mean(differences) if differences else None,
            "max_abs_difference_points": max((abs(d) for d in differences), default=None),
            "seed_spread_points": {name: 100 * spread(finished[name]) for name in PATHS},
        }
        report["norms"][norm] = {"runs": rows, **summary}
        mean = "n/a" if not differences else f"{summary['mean_difference_points']:+.2f} points"
        print(
            f"{norm}: mean difference {mean} over {len(differences)} of {len(rows)} seeds; diverged: "
            f"fast {summary['diverged']['fast']}, fp32 {summary['diverged']['fp32']}; seed-to-seed std: fast "
            f"{summary['seed_spread_points']['fast']:.2f}, fp32 {summary['seed_spread_points']['fp32']:.2f} points"
        )
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "fast_path_accuracy.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
