"""Shared fixtures: paths of the real data beside the project."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CIFAR_JPG = SHARED_DATA / "cifar10-jpg.tar.gz"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Keep dataset caches out of the shared data folder (one cache for the whole session)."""
    monkeypatch.setenv("TAURESNET_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"test data {path} is missing; see README (shared data and dataset-fashion-mnist)")
    return path
