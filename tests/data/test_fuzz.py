"""Random bytes, truncations and bit flips of real files: every reader ends in its clear error."""

import gzip
import io
import pickle
import random
import tarfile

import numpy as np
import pytest
import torch

from tauresnet.data import DataError, load_dataset
from tauresnet.data.folder import decode_image
from tauresnet.data.idx import read_idx
from tauresnet.data.sources import FileTree
from tauresnet.models.pretrained import read_checkpoint
from tauresnet.train.checkpoint import load_checkpoint

from ..conftest import CIFAR_JPG, FASHION_MNIST, need

CASES_PER_READER = 50


def _mutations(original: bytes, rng: random.Random):
    """Random bytes, truncations and byte flips of ``original``."""
    for i in range(CASES_PER_READER):
        kind = i % 3
        if kind == 0:
            yield bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 600)))
        elif kind == 1:
            yield original[: rng.randint(0, len(original) - 1)]
        else:
            data = bytearray(original)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            yield bytes(data)


def _real_files(tmp_path):
    labels = need(FASHION_MNIST / "t10k-labels-idx1-ubyte.gz").read_bytes()
    with tarfile.open(need(CIFAR_JPG)) as tar:
        jpeg = tar.extractfile("test/cat/0000.jpg").read()
    small = io.BytesIO()
    with tarfile.open(fileobj=small, mode="w:gz") as tar:
        for name in ("train/cat/0.jpg", "test/cat/0.jpg"):
            info = tarfile.TarInfo(name)
            info.size = len(jpeg)
            tar.addfile(info, io.BytesIO(jpeg))
    batch = pickle.dumps({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2, 3]}, protocol=2)
    checkpoint = io.BytesIO()
    torch.save({"format_version": 1, "model": {"w": torch.ones(3)}, "epoch": 1}, checkpoint)
    return {
        "idx": gzip.decompress(labels),
        "jpeg": jpeg,
        "archive": small.getvalue(),
        "pickle": batch,
        "checkpoint": checkpoint.getvalue(),
    }


def _read(kind: str, path):
    if kind == "idx":
        return read_idx(path)
    if kind == "jpeg":
        return decode_image(path.read_bytes(), str(path), "RGB", None)
    if kind == "archive":
        tree = FileTree(path)
        return [tree.read(name) for name in tree.files()]
    if kind == "pickle":
        folder = path.parent / "batches"
        folder.mkdir(exist_ok=True)
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            (folder / name).write_bytes(path.read_bytes())
        return load_dataset("cifar10", str(folder))
    read_checkpoint(path)
    return load_checkpoint(path)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["idx", "jpeg", "archive", "pickle", "checkpoint"])
def test_damaged_files_end_in_the_documented_error(tmp_path, kind):
    rng = random.Random(kind)
    original = _real_files(tmp_path)[kind]
    path = tmp_path / f"sample.{'tar.gz' if kind == 'archive' else kind}"
    outcomes = {"error": 0, "read": 0}
    for data in _mutations(original, rng):
        path.write_bytes(data)
        try:
            _read(kind, path)
            outcomes["read"] += 1  # a flip inside pixel data can leave a valid file
        except (DataError, ValueError) as error:
            assert str(error) and "\n" not in str(error).strip(), str(error)
            outcomes["error"] += 1
    assert outcomes["error"] >= CASES_PER_READER // 2, outcomes
