"""The naive reference the speed benchmark compares against: a τ-ResNet trained the way the
paper's released code does it (after He et al.'s CIFAR scripts).

- per-image augmentation in Python through a ``DataLoader``: PIL image, zero-pad 4, random
  32×32 crop, random flip, to float tensor, normalise (what torchvision's transforms do);
- fp32, NCHW, eager; the branch is multiplied by τ in a separate operation;
- per-step ``loss.item()`` and accuracy bookkeeping on the host, as its AverageMeter does.

Same architecture and parameter count as ``create_model("resnet<d>", norm=...)``; only the
way it is run differs.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from torch import nn
from torch.utils.data import DataLoader, Dataset


class PerImageDataset(Dataset):
    """uint8 (N, C, H, W) images -> normalised float tensors, one image at a time."""

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, mean: tuple, std: tuple, augment: bool, seed: int = 0
    ) -> None:
        self.images = images.transpose(0, 2, 3, 1)  # HWC, as torchvision's CIFAR10 keeps them
        self.labels = labels
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)
        self.augment = augment
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = Image.fromarray(self.images[index])
        if self.augment:
            image = ImageOps.expand(image, border=4, fill=0)
            top, left = self.rng.integers(0, 9, size=2)
            image = image.crop((left, top, left + 32, top + 32))
            if self.rng.random() < 0.5:
                image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        tensor = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (tensor - self.mean) / self.std, int(self.labels[index])


def loader(dataset: PerImageDataset, batch_size: int, shuffle: bool) -> DataLoader:
    # num_workers=0: on a 2-core machine loader processes would take the cores the model
    # needs; the paper's scripts use worker processes on machines with more cores.
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=0, drop_last=shuffle)


class Bias(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias


class NaiveBlock(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int, tau: float, norm: str) -> None:
        super().__init__()
        self.norm = norm
        self.tau = tau
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if norm == "batch":
            self.bn1, self.bn2 = nn.BatchNorm2d(planes), nn.BatchNorm2d(planes)
        else:
            self.bias1a, self.bias1b, self.bias2a, self.bias2b = Bias(), Bias(), Bias(), Bias()
            self.scale = nn.Parameter(torch.tensor(tau))  # the no-norm nets learn τ
        self.pad = planes - in_planes if stride != 1 or in_planes != planes else 0

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if not self.pad:
            return x
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm == "batch":
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out = out * self.tau
        else:
            out = F.relu(self.bias1b(self.conv1(self.bias1a(x))))
            out = self.bias2b(self.conv2(self.bias2a(out)))
            out = out * self.scale
        return F.relu(out + self.shortcut(x))


class NaiveResNet(nn.Module):
    """CIFAR ResNet-(6n+2) with τ = 1/√L; ``norm`` batch or none (scalar biases, learnable τ)."""

    def __init__(self, depth: int, norm: str, num_classes: int = 10, in_chans: int = 3) -> None:
        super().__init__()
        n = (depth - 2) // 6
        tau = 1.0 / math.sqrt(3 * n)
        self.conv1 = nn.Conv2d(in_chans, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16) if norm == "batch" else Bias()
        self.head_bias = nn.Identity() if norm == "batch" else Bias()
        layers, in_planes = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(NaiveBlock(in_planes, planes, stride if i == 0 else 1, tau, norm))
                in_planes = planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        if norm == "none":  # one shared τ in the fast model: keep the count equal
            scales = [block.scale for block in layers]
            for block in layers[1:]:
                del block.scale
                block.scale = scales[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(self.head_bias(out))


def train_steps(model: nn.Module, batches, optimizer: torch.optim.Optimizer, steps: int) -> int:
    """The paper's inner loop for ``steps`` batches; returns the images processed."""
    model.train()
    seen, correct, loss_sum = 0, 0, 0.0
    for step, (x, y) in enumerate(batches):
        if step == steps:
            break
        output = model(x)
        loss = F.cross_entropy(output, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(y)  # host sync each step, as its AverageMeter
        correct += (output.argmax(1) == y).sum().item()
        seen += len(y)
    return seen


@torch.no_grad()
def evaluate(model: nn.Module, batches) -> int:
    """The paper's validation loop; returns the images processed."""
    model.eval()
    seen = 0
    for x, y in batches:
        output = model(x)
        F.cross_entropy(output, y).item()
        (output.argmax(1) == y).sum().item()
        seen += len(y)
    return seen
