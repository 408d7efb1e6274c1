"""Reader for the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from .errors import DataError

_UBYTE = 0x08


def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Decode IDX bytes: magic ``00 00 08 ndim``, ndim big-endian int32 sizes, then uint8 data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{name}: not an IDX file (wrong magic number); re-download it")
    if raw[2] != _UBYTE:
        raise DataError(f"{name}: IDX element type 0x{raw[2]:02x} is not unsigned byte (0x08)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{name}: truncated IDX header; re-download the file")
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise DataError(f"{name}: IDX file holds {len(raw)} bytes, its header {shape} needs {expected}; re-download it")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain) into a uint8 array of the shape its header gives."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{name}: corrupt gzip stream ({error}); re-download the file") from None
    return parse_idx(raw, name)
