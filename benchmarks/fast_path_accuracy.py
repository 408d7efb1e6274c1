"""Does the fast path cost accuracy? The same short training twice, same seed: once with the fast
path (bf16 autocast where the CPU/GPU has it, channels_last) and once in fp32 with NCHW.

    python benchmarks/fast_path_accuracy.py --epochs 2

Prints both test accuracies, their difference in points and each run's training images/s,
and writes the JSON beside the run directories.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/fast_path_accuracy")
    args = parser.parse_args()
    common = ["--data", "fashion-mnist", "--model", args.model, "--norm", "none", "--learnable-tau"]
    common += ["--epochs", str(args.epochs), "--seed", str(args.seed), "--overwrite"]
    paths = {
        "fast": ["--precision", "auto", "--channels-last"],
        "fp32": ["--precision", "fp32", "--no-channels-last"],
    }
    results = {}
    for name, flags in paths.items():
        run = Path(args.out) / name
        subprocess.run([sys.executable, "-m", "tauresnet", "train", *common, *flags, "--out", str(run)], check=True)
        summary = json.loads((run / "summary.json").read_text())
        results[name] = {
            "precision": summary["precision"],
            "final_test_acc": summary["final_test_acc"],
            "images_per_second": summary["images_per_second"],
        }
    difference = 100 * (results["fast"]["final_test_acc"] - results["fp32"]["final_test_acc"])
    report = {"model": args.model, "epochs": args.epochs, "seed": args.seed, **results, "difference_points": difference}
    (Path(args.out) / "fast_path_accuracy.json").write_text(json.dumps(report, indent=2) + "\n")
    for name, result in results.items():
        print(
            f"{name:5s} ({result['precision']}): test accuracy {100 * result['final_test_acc']:.2f} %, "
            f"{result['images_per_second']:.0f} img/s"
        )
    print(f"difference: {difference:+.2f} points")


if __name__ == "__main__":
    main()
