"""Does the fast path cost accuracy? The same short training three times per seed: with the fast
path (bf16 autocast where the CPU/GPU has it, channels_last), in fp32 with NCHW, and, as a control,
in fp32 with NCHW on one thread.

    python benchmarks/fast_path_accuracy.py --epochs 2 --seeds 0,1,2 --norms batch,none

The control does the fp32 run's arithmetic with its sums split differently across threads, so
only rounding differs (the first step's gradients by about 1e-5, relative): its distance to the
fp32 run is the protocol's noise floor, what the fast path's difference has to be read against
(a chaotic short run moves by whole points from rounding alone). For each normalisation and seed
it prints the three final test accuracies, the fast path's and the control's difference to fp32
in points (a run whose loss turns non-finite is recorded as diverged), then their means and the
spread between seeds. Writes ``fast_path_accuracy.json`` under ``--out``.
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
    "control": ["--precision", "fp32", "--no-channels-last", "--threads", "1"],
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


def points(result: dict, reference: dict) -> float | None:
    """``result``'s final test accuracy minus ``reference``'s, in points; None if either diverged."""
    if result["final_test_acc"] is None or reference["final_test_acc"] is None:
        return None
    return 100 * (result["final_test_acc"] - reference["final_test_acc"])


def signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f} points"


def spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--norms", default="batch,none", help="batch: BN + τ; none: no norm, learnable τ")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--warmup-epochs", type=float, default=0.0, help="linear lr warm-up (the demo uses 1)")
    parser.add_argument("--lr", type=float, default=0.1, help="base learning rate of every run")
    parser.add_argument("--out", default="runs/fast_path_accuracy")
    args = parser.parse_args()
    report = {
        "model": args.model,
        "epochs": args.epochs,
        "warmup_epochs": args.warmup_epochs,
        "lr": args.lr,
        "data": "fashion-mnist",
        "norms": {},
    }
    for norm in args.norms.split(","):
        common = ["--data", "fashion-mnist", "--model", args.model, "--norm", norm, "--epochs", str(args.epochs)]
        common += ["--warmup-epochs", str(args.warmup_epochs), "--lr", str(args.lr)]
        common += ["--learnable-tau"] if norm == "none" else []
        rows = []
        for seed in [int(s) for s in args.seeds.split(",")]:
            row = {"seed": seed}
            for name, flags in PATHS.items():
                run = Path(args.out) / f"{norm}-seed{seed}-{name}"
                row[name] = train(run, [*common, "--seed", str(seed), "--overwrite", *flags])
            row["difference_points"] = points(row["fast"], row["fp32"])
            row["control_difference_points"] = points(row["control"], row["fp32"])
            rows.append(row)
            print(
                f"{norm} seed {seed}: fast ({row['fast']['precision']}) {percent(row['fast'])}, "
                f"fp32 {percent(row['fp32'])}, control {percent(row['control'])}; fast - fp32 "
                f"{signed(row['difference_points'])}, control - fp32 {signed(row['control_difference_points'])}",
                flush=True,
            )
        differences = [row["difference_points"] for row in rows if row["difference_points"] is not None]
        controls = [row["control_difference_points"] for row in rows if row["control_difference_points"] is not None]
        finished = {
            name: [row[name]["final_test_acc"] for row in rows if row[name]["final_test_acc"] is not None]
            for name in PATHS
        }
        summary = {
            "diverged": {name: len(rows) - len(finished[name]) for name in PATHS},
            "mean_difference_points": statistics.mean(differences) if differences else None,
            "max_abs_difference_points": max((abs(d) for d in differences), default=None),
            "mean_control_difference_points": statistics.mean(controls) if controls else None,
            "max_abs_control_difference_points": max((abs(d) for d in controls), default=None),
            "seed_spread_points": {name: 100 * spread(finished[name]) for name in PATHS},
        }
        report["norms"][norm] = {"runs": rows, **summary}
        print(
            f"{norm}: fast - fp32 mean {signed(summary['mean_difference_points'])} over {len(differences)} of "
            f"{len(rows)} seeds, control - fp32 mean {signed(summary['mean_control_difference_points'])} (up to "
            f"{summary['max_abs_control_difference_points'] or 0:.2f} in size); diverged: "
            + ", ".join(f"{name} {count}" for name, count in summary["diverged"].items())
            + "; seed-to-seed std: "
            + ", ".join(f"{name} {value:.2f}" for name, value in summary["seed_spread_points"].items())
            + " points"
        )
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "fast_path_accuracy.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
