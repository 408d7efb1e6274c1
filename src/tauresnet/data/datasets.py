"""Finding, reading and splitting the supported datasets into uint8 tensors."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import cache
from .download import download_cifar, download_fashion_mnist
from .errors import DataError
from .folder import read_image_tree
from .idx import read_idx
from .pickle_batches import is_pickle_tree, read_pickle_tree
from .sources import ARCHIVE_SUFFIXES, FileTree

log = logging.getLogger(__name__)

DATASETS = ("fashion-mnist", "cifar10", "cifar100", "folder")
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# Per-channel statistics in [0, 1] units; CIFAR-10's are the paper's (He et al.'s code).
STATS = {
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}


@dataclass(frozen=True)
class ImageDataset:
    """Images as uint8 (N, C, H, W) tensors, labels as int64 (N,), statistics in [0, 1] units."""

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    test_name: str = "test"

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_chans(self) -> int:
        return self.train_images.shape[1]


def _candidates(name: str, data_dir: str | None) -> list[Path]:
    """Where to look: only ``data_dir`` when given, else the documented search path."""
    if data_dir:
        return [Path(data_dir)]
    places = []
    if os.environ.get("TAURESNET_DATA"):
        places.append(Path(os.environ["TAURESNET_DATA"]) / name)
    if name == "fashion-mnist":
        places.append(SYSTEM_FASHION_MNIST)
    return places


def _fashion_files(folder: Path) -> dict[str, Path] | None:
    found = {}
    for part in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        path = next((folder / f for f in (part + ".gz", part) if (folder / f).is_file()), None)
        if path is None:
            return None
        found[part] = path
    return found


def _check_pair(images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path) -> None:
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError(
            f"{images_path}: expected (N, 28, 28) images and (N,) labels, got {images.shape} and {labels.shape}"
        )
    if len(images) != len(labels):
        raise DataError(f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path}")


def read_fashion_mnist(data_dir: str | None, download: bool) -> dict:
    places = _candidates("fashion-mnist", data_dir)
    files = next((f for f in map(_fashion_files, places) if f), None)
    if files is None and download:
        target = places[0] if places else Path.home() / ".cache" / "tauresnet" / "fashion-mnist"
        files = _fashion_files(download_fashion_mnist(target))
    if files is None:
        searched = ", ".join(str(p) for p in places)
        raise DataError(
            f"Fashion-MNIST IDX files not found (searched {searched}); install Debian's dataset-fashion-mnist, "
            "set --data-dir or TAURESNET_DATA, or pass --download"
        )
    arrays = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images_path, labels_path = files[f"{prefix}-images-idx3-ubyte"], files[f"{prefix}-labels-idx1-ubyte"]
        images, labels = read_idx(images_path), read_idx(labels_path)
        _check_pair(images, labels, images_path, labels_path)
        arrays[f"{split}_images"] = images[:, None]
        arrays[f"{split}_labels"] = labels.astype(np.int64)
    arrays["classes"] = list(FASHION_CLASSES)
    return arrays


def _cifar_source(name: str, data_dir: str | None, download: bool) -> Path:
    places = _candidates(name, data_dir)
    for place in places:
        if place.is_file() and place.name.endswith(ARCHIVE_SUFFIXES):
            return place
        if place.is_dir():
            inner = [place / d for d in ("cifar-10-batches-py", "cifar-100-python")]
            inner += [place / f for f in ("cifar-10-python.tar.gz", "cifar-100-python.tar.gz")]
            return next((p for p in inner if p.exists()), place)
    if download:
        return download_cifar(name, places[0] if places else Path.home() / ".cache" / "tauresnet" / name)
    searched = ", ".join(str(p) for p in places) or "nothing: --data-dir is not set"
    raise DataError(
        f"{name} data not found (searched {searched}); pass --data-dir with the python-pickle folder, an "
        f"image-folder tree or an archive of either, set TAURESNET_DATA, or pass --download"
    )


def read_tree_dataset(name: str, source: Path) -> dict:
    """CIFAR pickles or an image tree at ``source`` (folder or archive), through the cache."""
    if not source.exists():
        raise DataError(f"{source}: does not exist; pass --data-dir with the dataset folder or archive")
    path = cache.cache_path(source, name)
    arrays = cache.load_cached(path)
    if arrays is not None:
        return arrays
    tree = FileTree(source)
    if name in ("cifar10", "cifar100") and is_pickle_tree(tree):
        train_x, train_y, test_x, test_y, classes = read_pickle_tree(tree)
    else:
        log.info("decoding images of %s (once; cached in %s)", source, path)
        train_x, train_y, test_x, test_y, classes = read_image_tree(tree)
    arrays = {
        "train_images": train_x,
        "train_labels": train_y,
        "test_images": test_x,
        "test_labels": test_y,
        "classes": classes,
    }
    cache.save_cached(path, arrays)
    return arrays


def split_validation(arrays: dict, fraction: float, seed: int) -> dict:
    """Hold out ``fraction`` of train (a fixed, seeded choice) as the evaluation split."""
    count = len(arrays["train_labels"])
    held = int(round(count * fraction))
    if not 0 < held < count:
        raise DataError(f"val-split {fraction} leaves no train or no validation images out of {count}")
    order = np.random.default_rng(seed).permutation(count)
    val, train = np.sort(order[:held]), np.sort(order[held:])
    return {
        **arrays,
        "train_images": arrays["train_images"][train],
        "train_labels": arrays["train_labels"][train],
        "test_images": arrays["train_images"][val],
        "test_labels": arrays["train_labels"][val],
    }


def _subset(images: np.ndarray, labels: np.ndarray, count: int | None, seed: int):
    if count is None or count >= len(labels):
        return images, labels
    if count < 1:
        raise DataError(f"a subset of {count} images is empty; use a positive size")
    keep = np.sort(np.random.default_rng(seed).permutation(len(labels))[:count])
    return images[keep], labels[keep]


def load_dataset(
    name: str,
    data_dir: str | None = None,
    *,
    download: bool = False,
    val_split: float = 0.0,
    train_subset: int | None = None,
    test_subset: int | None = None,
    split_seed: int = 0,
) -> ImageDataset:
    """Read ``name`` (one of DATASETS) into memory.

    ``val_split`` > 0 evaluates on a held-out part of train instead of test (required for a
    ``folder`` tree without ``test/``). Subsets are seeded, fixed random samples.
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "fashion-mnist":
        arrays = read_fashion_mnist(data_dir, download)
    elif name == "folder":
        if not data_dir:
            raise DataError("--data folder needs --data-dir pointing at a train/<class>/<image> tree")
        arrays = read_tree_dataset(name, Path(data_dir))
    else:
        arrays = read_tree_dataset(name, _cifar_source(name, data_dir, download))
    if val_split:
        arrays = split_validation(arrays, val_split, split_seed)
    elif arrays.get("test_images") is None:
        raise DataError(f"{data_dir}: has no test/ split; pass --val-split (e.g. 0.1) to hold out part of train")
    train_x, train_y = _subset(arrays["train_images"], arrays["train_labels"], train_subset, split_seed)
    test_x, test_y = _subset(arrays["test_images"], arrays["test_labels"], test_subset, split_seed + 1)
    classes = tuple(arrays["classes"])
    for split, labels in (("train", train_y), ("test", test_y)):
        if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
            raise DataError(
                f"{name} {split} labels span {labels.min()}..{labels.max()} but there are {len(classes)} classes"
            )
    if name in STATS:
        mean, std = STATS[name]
    else:
        pixels = train_x.reshape(len(train_x), train_x.shape[1], -1).astype(np.float64) / 255.0
        mean = tuple(pixels.mean(axis=(0, 2)).tolist())
        std = tuple(np.maximum(pixels.std(axis=(0, 2)), 1e-3).tolist())
    return ImageDataset(
        name=name,
        train_images=torch.from_numpy(np.ascontiguousarray(train_x)),
        train_labels=torch.from_numpy(np.asarray(train_y, dtype=np.int64)),
        test_images=torch.from_numpy(np.ascontiguousarray(test_x)),
        test_labels=torch.from_numpy(np.asarray(test_y, dtype=np.int64)),
        classes=classes,
        mean=tuple(mean),
        std=tuple(std),
        test_name="val" if val_split else "test",
    )
