"""Throughput, memory and arithmetic-rate measurements for ``tauresnet bench``.

Every figure is measured in this process on synthetic uint8 CIFAR-shaped data (the content of
an image does not change the time a step takes); the fast path is the trainer's own epoch loop,
the naive path is ``bench.naive``. Peak memory is measured in a fresh subprocess per setting.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from ..config import TrainConfig
from ..data import ImageDataset
from ..models import create_model
from ..train.loop import StopRequest, Trainer
from . import naive

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)


def synthetic_cifar(train: int, test: int, seed: int = 0) -> ImageDataset:
    """Random uint8 images, 3×32×32, with 10 classes."""
    rng = np.random.default_rng(seed)
    return ImageDataset(
        name="synthetic-cifar",
        train_images=torch.from_numpy(rng.integers(0, 256, (train, 3, 32, 32), dtype=np.uint8)),
        train_labels=torch.from_numpy(rng.integers(0, 10, train)),
        test_images=torch.from_numpy(rng.integers(0, 256, (test, 3, 32, 32), dtype=np.uint8)),
        test_labels=torch.from_numpy(rng.integers(0, 10, test)),
        classes=tuple(str(i) for i in range(10)),
        mean=MEAN,
        std=STD,
        test_name="test",
    )


def images_per_second(run: Callable[[], int]) -> float:
    """Time one call of ``run`` (which returns the images it processed)."""
    started = time.perf_counter()
    images = run()
    return images / (time.perf_counter() - started)


class FastPath:
    """The trainer's path (uint8 data, batched augmentation, bf16 autocast where supported,
    channels_last, fused SGD, device-side meters) for one model, ready to time."""

    def __init__(self, model: str, norm: str, batch: int, steps: int, test_images: int, **options) -> None:
        tau = {"learnable_tau": True} if norm == "none" else {}
        config = TrainConfig(
            data="cifar10", model=model, norm=norm, batch_size=batch, out="unused", log_every=10**6, **tau, **options
        )
        self.trainer = Trainer(config, data=synthetic_cifar(batch * steps, test_images))
        self.stop = StopRequest()  # never entered: no signal handling while timing

    def train(self) -> int:
        self.trainer.epoch, self.trainer.step = 0, 0
        self.trainer._train_epoch(self.stop)
        return int(len(self.trainer.train_y))

    def evaluate(self) -> int:
        self.trainer.evaluate()
        return int(len(self.trainer.test_y))


class NaivePath:
    """The paper-style reference for the same model."""

    def __init__(self, model: str, norm: str, batch: int, steps: int, test_images: int) -> None:
        data = synthetic_cifar(batch * steps, test_images)
        torch.manual_seed(0)
        self.model = naive.NaiveResNet(int(model.removeprefix("resnet")), norm)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        self.steps = steps
        train = naive.PerImageDataset(data.train_images.numpy(), data.train_labels.numpy(), MEAN, STD, augment=True)
        test = naive.PerImageDataset(data.test_images.numpy(), data.test_labels.numpy(), MEAN, STD, augment=False)
        self.train_batches = naive.loader(train, batch, shuffle=True)
        self.test_batches = naive.loader(test, 128, shuffle=False)

    def train(self) -> int:
        return naive.train_steps(self.model, self.train_batches, self.optimizer, self.steps)

    def evaluate(self) -> int:
        return naive.evaluate(self.model, self.test_batches)


def forward_flops(model: str, norm: str) -> int:
    """Floating-point operations (2 per multiply-add) of one 3×32×32 image's forward pass."""
    net = create_model(model, norm=norm)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.zeros(1, 3, 32, 32))
    return int(counter.get_total_flops())


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``run``, after one untimed warm-up call (in which
    oneDNN picks and caches its kernels)."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def matmul_rate(dtype: torch.dtype, size: int = 2048, repeats: int = 5) -> float:
    """Dense square matmul GFLOP/s in ``dtype`` (median of ``repeats``): the machine's peak estimate."""
    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    return 2 * size**3 / median_seconds(lambda: a @ b, repeats) / 1e9


def peak_memory(setting: dict) -> dict:
    """Run ``bench.memory`` on ``setting`` in a fresh process; its JSON report."""
    # A fixed mmap threshold makes glibc return every large freed block to the system; with its
    # adaptive default, freed activations stay cached in the heap and the high-water mark
    # measures the allocator's cache as much as what the step needs. Same for every path.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
    result = subprocess.run(
        [sys.executable, "-m", "tauresnet.bench.memory", json.dumps(setting)],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {**setting, "error": tail}
    return json.loads(result.stdout.strip().splitlines()[-1])
