"""Choosing the device and the precision a run uses, and how it holds host memory."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from pathlib import Path

import torch

log = logging.getLogger(__name__)

# mallopt(3) parameters and glibc's largest mmap threshold on 64-bit systems (4 MiB · sizeof(long)).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024


def pick_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present; asking for CUDA without it is an error."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but no CUDA GPU is available; use --device cpu or auto")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def cpu_has_bf16() -> bool:
    """True on CPUs with native bf16 arithmetic (AVX-512 BF16 or AMX), where bf16 is fast."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_dtype(precision: str, device: torch.device) -> torch.dtype:
    """The autocast dtype: bf16 where the hardware runs it natively (``auto``), else fp32."""
    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.bfloat16 if cpu_has_bf16() else torch.float32


def keep_freed_host_memory() -> bool:
    """Make glibc keep freed activation buffers for reuse instead of returning them to the kernel.

    By default glibc serves large blocks with fresh mmap pages and trims the heap whenever enough
    of its top is free, so every CPU training step page-faults its activations in anew (ResNet-56,
    batch 128: ~2,500 faults per step, ~15 % of the fast path's step time on the dev machine). This
    raises the mmap threshold to glibc's maximum and trims only above 2 GiB free, for the whole
    process; the resident set then stays near the peak of a step, like a caching allocator's. Returns False
    (and changes nothing) off glibc, or when the user set ``MALLOC_MMAP_THRESHOLD_`` or
    ``MALLOC_TRIM_THRESHOLD_`` themselves.
    """
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
        return False  # another C library (musl, macOS): its allocator has no such thresholds
    done = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) == 1
    done = libc.mallopt(M_TRIM_THRESHOLD, ctypes.c_int(2**31 - 1)) == 1 and done
    if not done:
        log.warning("could not tune glibc's allocator (mallopt refused); CPU steps will page-fault more")
    return done
