"""Does `--compile` pay off here? Training images/s of the trainer's fast path, eager against
torch.compile, for no-norm CIFAR ResNets (real step: batched augmentation, bf16 autocast where
supported, channels_last), after a warm-up round that includes the compilation.

    python benchmarks/compile_speed.py --models resnet20,resnet56 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import time

from tauresnet.bench.measure import FastPath


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="resnet20,resnet56")
    parser.add_argument("--steps", type=int, default=6, help="training steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for model in args.models.split(","):
        medians = {}
        for compiled in (False, True):
            started = time.perf_counter()
            path = FastPath(model, "none", 128, args.steps, 0, compile=compiled)
            path.train()
            warm_up = time.perf_counter() - started
            rates = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                images = path.train()
                rates.append(images / (time.perf_counter() - started))
            name = "compiled" if compiled else "eager"
            medians[name] = statistics.median(rates)
            print(f"{model} {name:8s}: first round (build, compile) {warm_up:.1f}s, median {medians[name]:.0f} img/s")
        print(f"{model}: compiled / eager = {medians['compiled'] / medians['eager']:.2f}")


if __name__ == "__main__":
    main()
