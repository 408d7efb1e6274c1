"""Training images/s of one process against N processes under torchrun (DDP), same global batch.

Each round runs the same short training (real Fashion-MNIST subset, one epoch) once with one
process using all threads and once under ``torchrun --nproc-per-node N`` with the threads split
between the processes; the trainer's own ``images_per_second`` (training steps only) is read from
``summary.json``. Rounds alternate the two, so machine noise hits both; medians and the ratio of
medians are printed and written as JSON.

    python benchmarks/ddp_throughput.py --processes 2 --threads 2 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def run(processes: int, threads: int, args: list[str], out: Path) -> float:
    per_process = max(threads // processes, 1)
    env = {**os.environ, "OMP_NUM_THREADS": str(per_process)}
    train = ["-m", "tauresnet", "train", *args, "--threads", str(per_process), "--out", str(out), "--overwrite"]
    if processes == 1:
        command = [sys.executable, *train]
    else:
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={processes}",
            *train,
        ]
    subprocess.run(command, env=env, check=True, capture_output=True)
    return json.loads((out / "summary.json").read_text())["images_per_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads in all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--images", type=int, default=6400, help="training images per run (one epoch)")
    parser.add_argument("--out", default="runs/ddp_throughput.json")
    args = parser.parse_args()
    train_args = ["--data", "fashion-mnist", "--train-subset", str(args.images), "--test-subset", "500"]
    train_args += ["--model", args.model, "--norm", "none", "--learnable-tau", "--epochs", "1", "--batch-size", "128"]
    rates: dict[int, list[float]] = {1: [], args.processes: []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for processes in rates:
                rates[processes].append(run(processes, args.threads, train_args, Path(folder) / f"p{processes}"))
    medians = {p: statistics.median(r) for p, r in rates.items()}
    report = {
        "model": args.model,
        "threads": args.threads,
        "images_per_second": rates,
        "median": medians,
        "ratio": medians[args.processes] / medians[1],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.model}, global batch 128, {args.threads} threads in all, medians of {args.rounds} rounds:")
    print(f"  1 process:  {medians[1]:.0f} img/s")
    print(f"  {args.processes} processes: {medians[args.processes]:.0f} img/s  (×{report['ratio']:.2f})")


if __name__ == "__main__":
    main()
