"""Choosing the device and the precision a run uses."""

from __future__ import annotations

import platform
from pathlib import Path

import torch


def pick_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present; asking for CUDA without it is an error."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but no CUDA GPU is available; use --device cpu or auto")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _cpuinfo() -> str:
    """The text of ``/proc/cpuinfo``; empty where there is none (not Linux)."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_has_bf16() -> bool:
    """True on CPUs with native bf16 arithmetic (AVX-512 BF16 or AMX), where bf16 is fast."""
    flags = _cpuinfo()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_name(cpuinfo: str | None = None) -> str:
    """The CPU's model name with its family and model numbers, e.g. ``AMD EPYC (family 26, model 2)``:
    cloud CPUs often report only a vendor name, and the numbers tell their generations apart.
    ``cpuinfo`` is the text of ``/proc/cpuinfo`` (read when None); ``platform.processor()`` or
    the architecture where it is missing."""
    fields: dict[str, str] = {}
    for line in (_cpuinfo() if cpuinfo is None else cpuinfo).splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            if fields:
                break  # the first processor's block has ended
            continue
        fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        return f"{name} (family {fields['cpu family']}, model {fields['model']})"
    return name


def pick_dtype(precision: str, device: torch.device) -> torch.dtype:
    """The autocast dtype: bf16 where the hardware runs it natively (``auto``), else fp32."""
    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.bfloat16 if cpu_has_bf16() else torch.float32
