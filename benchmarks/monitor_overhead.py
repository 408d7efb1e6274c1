"""Overhead of the training-time stability monitor on ResNet-56 (CPU), measured side by side.

Runs the same training steps with and without ``--monitor`` (default interval) in alternation,
several rounds, and prints the median seconds per step of each and their ratio. Usage:

    python benchmarks/monitor_overhead.py [--steps 100] [--rounds 5] [--model resnet56]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import torch

from tauresnet.config import TrainConfig
from tauresnet.data import load_dataset
from tauresnet.train.loop import StopRequest, Trainer


def seconds_per_step(config: TrainConfig, data, steps: int) -> float:
    trainer = Trainer(config.replace(out=tempfile.mkdtemp()), data=data)
    trainer.steps_per_epoch = steps + 5  # one short "epoch": 5 warm-up steps, then the timed ones
    order = torch.arange(len(data.train_labels))
    with StopRequest():
        for step in range(5):
            trainer._train_step(*trainer._batch(order, step))
        started = time.perf_counter()
        for step in range(5, steps + 5):
            x, y = trainer._batch(order, step)
            trainer._train_step(x, y)
            if trainer.monitor and trainer.monitor.due(step):
                trainer.monitor.observe(trainer.model, x, step, 1)
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet56")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = load_dataset("fashion-mnist", train_subset=128 * (args.steps + 5), test_subset=128)
    base = TrainConfig(model=args.model, norm="none", learnable_tau=True)
    plain, monitored = [], []
    for _ in range(args.rounds):
        plain.append(seconds_per_step(base, data, args.steps))
        monitored.append(seconds_per_step(base.replace(monitor=True), data, args.steps))
    ratios = [m / p for m, p in zip(monitored, plain, strict=True)]
    result = {
        "model": args.model,
        "steps": args.steps,
        "rounds": args.rounds,
        "monitor_every": base.monitor_every,
        "median_s_per_step_plain": statistics.median(plain),
        "median_s_per_step_monitor": statistics.median(monitored),
        "median_ratio": statistics.median(ratios),
        "ratios": ratios,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
