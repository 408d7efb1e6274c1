"""How fast can the CIFAR ResNets' own convolutions run here, next to the dense matmul rate?

The bench reports the training step's GFLOP/s as a fraction of a 2048×2048 matmul. On CPUs whose
bf16 units (AMX, AVX-512 BF16) make large bf16 matmuls several times faster than fp32, that fraction is
bounded by the convolutions themselves: 16-64 channels give the matrix engine short dot products.
This script times the three 3×3 convolution shapes of a CIFAR ResNet (stage 1-3 at batch 128,
channels_last) alone, forward and forward + backward, in bf16 and fp32, beside the matmul rate,
all in one run:

    python benchmarks/conv_rate.py [--batch 128] [--repeats 10]
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from tauresnet.bench.measure import matmul_rate, median_seconds

SHAPES = ((16, 32), (32, 16), (64, 8))  # (channels, height = width) of the three stages


def conv_rates(channels: int, size: int, batch: int, dtype: torch.dtype, repeats: int) -> tuple[float, float]:
    """(forward, forward + backward) GFLOP/s of one 3×3, stride-1 convolution, channels_last."""
    x = torch.randn(batch, channels, size, size).to(dtype).contiguous(memory_format=torch.channels_last)
    w = torch.randn(channels, channels, 3, 3).to(dtype).contiguous(memory_format=torch.channels_last)
    x.requires_grad_(), w.requires_grad_()
    flop = 2 * batch * channels * channels * 9 * size * size
    grad = torch.randn_like(F.conv2d(x, w, padding=1))
    forward = median_seconds(lambda: F.conv2d(x, w, padding=1), repeats)
    both = median_seconds(lambda: F.conv2d(x, w, padding=1).backward(grad), repeats)
    return flop / forward / 1e9, 3 * flop / both / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, channels_last")
    for dtype in (torch.bfloat16, torch.float32):
        name = str(dtype).removeprefix("torch.")
        print(f"{name}: dense 2048² matmul {matmul_rate(dtype, repeats=args.repeats):.0f} GFLOP/s")
        for channels, size in SHAPES:
            forward, both = conv_rates(channels, size, args.batch, dtype, args.repeats)
            print(
                f"  3×3 conv {channels}→{channels} at {size}×{size}: forward {forward:.0f}, forward + backward {both:.0f} GFLOP/s"
            )


if __name__ == "__main__":
    main()
