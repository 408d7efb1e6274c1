"""Decoded datasets cached as uint8 ``.npz`` so a second run starts in seconds."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
CACHE_VERSION = 1
ARRAYS = ("train_images", "train_labels", "test_images", "test_labels")


def fingerprint(source: Path) -> str:
    """Changes when any file of ``source`` (a file or a tree) changes in name, size or mtime."""
    digest = hashlib.sha256(f"v{CACHE_VERSION}:{source.resolve()}".encode())
    paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    for path in paths:
        stat = path.stat()
        digest.update(
            f"{path.relative_to(source) if path != source else ''}:{stat.st_size}:{stat.st_mtime_ns}".encode()
        )
    return digest.hexdigest()[:20]


def cache_dir(source: Path) -> Path:
    """``$TAURESNET_CACHE``, else ``.tauresnet-cache`` beside the data when writable,
    else ``~/.cache/tauresnet``."""
    if os.environ.get("TAURESNET_CACHE"):
        return Path(os.environ["TAURESNET_CACHE"])
    beside = source.resolve().parent / ".tauresnet-cache"
    if os.access(beside if beside.exists() else beside.parent, os.W_OK):
        return beside
    return Path.home() / ".cache" / "tauresnet"


def cache_path(source: Path, kind: str) -> Path:
    return cache_dir(source) / f"{kind}-{fingerprint(source)}.npz"


def load_cached(path: Path) -> dict | None:
    """The cached arrays and class names, or None when absent or unreadable (then re-decoded)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as cached:
            arrays = {name: cached[name] for name in ARRAYS if name in cached}
            arrays["classes"] = json.loads(str(cached["classes"]))
        return arrays
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as error:
        log.warning("ignoring unreadable cache %s (%s); decoding again", path, error)
        return None


def save_cached(path: Path, arrays: dict) -> None:
    """Write atomically; a cache that cannot be written only costs speed next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {name: arrays[name] for name in ARRAYS if arrays.get(name) is not None}
        payload["classes"] = np.asarray(json.dumps(list(arrays["classes"])))
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            np.savez(handle, **payload)
        os.replace(handle.name, path)
    except OSError as error:
        log.warning("could not write dataset cache %s (%s); set TAURESNET_CACHE to a writable folder", path, error)
