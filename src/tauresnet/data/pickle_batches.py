"""The official CIFAR-10/100 'python version': pickled dicts of uint8 rows."""

from __future__ import annotations

import io
import pickle

import numpy as np

from .errors import DataError
from .sources import FileTree

CIFAR10_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
# Only what the official pickles contain may be rebuilt: numpy arrays and dtypes.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # how Python 3 writes bytes in protocol-2 pickles
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _unpickle(tree: FileTree, name: str) -> dict:
    """A pickled dict with str keys; a DataError names the file when it is not one."""
    where = tree.describe(name)
    try:
        loaded = _ArrayUnpickler(io.BytesIO(tree.read(name)), encoding="bytes").load()
    except DataError:
        raise
    except Exception as error:  # a corrupt pickle can fail in many ways; all mean the same
        raise DataError(f"{where}: corrupt pickle batch ({type(error).__name__}: {error}); re-download it") from None
    if not isinstance(loaded, dict):
        raise DataError(f"{where}: not a CIFAR batch (expected a dict)")
    return {key.decode() if isinstance(key, bytes) else key: value for key, value in loaded.items()}


def load_batch(tree: FileTree, name: str, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch -> images (N, 3, 32, 32) uint8, labels (N,) int64."""
    where = tree.describe(name)
    batch = _unpickle(tree, name)
    if "data" not in batch or label_key not in batch:
        raise DataError(f"{where}: missing 'data' or '{label_key}'; not a CIFAR batch file")
    try:
        data = np.asarray(batch["data"])
        labels = np.asarray(batch[label_key], dtype=np.int64).reshape(-1)
    except (TypeError, ValueError) as error:
        raise DataError(f"{where}: malformed 'data' or '{label_key}' ({error})") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DataError(f"{where}: 'data' is {data.dtype} {data.shape}, expected uint8 (N, 3072)")
    if len(data) != len(labels):
        raise DataError(f"{where}: {len(data)} images but {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32), labels


def _meta_names(tree: FileTree, name: str, key: str) -> list[str]:
    meta = _unpickle(tree, name)
    if key not in meta:
        raise DataError(f"{tree.describe(name)}: missing '{key}'; not a CIFAR meta file")
    return [n.decode() if isinstance(n, bytes) else str(n) for n in meta[key]]


def is_pickle_tree(tree: FileTree) -> bool:
    return tree.exists("data_batch_1") or (tree.exists("train") and tree.exists("meta"))


def read_pickle_tree(tree: FileTree):
    """-> (train_x, train_y, test_x, test_y, classes) for CIFAR-10 or CIFAR-100 (fine labels)."""
    if tree.exists("data_batch_1"):
        parts = [load_batch(tree, name, "labels") for name in CIFAR10_TRAIN]
        train_x, train_y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        test_x, test_y = load_batch(tree, "test_batch", "labels")
        classes = _meta_names(tree, "batches.meta", "label_names") if tree.exists("batches.meta") else None
    else:
        train_x, train_y = load_batch(tree, "train", "fine_labels")
        test_x, test_y = load_batch(tree, "test", "fine_labels")
        classes = _meta_names(tree, "meta", "fine_label_names")
    if classes is None:
        classes = [str(i) for i in range(int(train_y.max()) + 1)]
    return train_x, train_y, test_x, test_y, classes
