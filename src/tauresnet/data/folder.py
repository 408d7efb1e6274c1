"""Image-folder trees: ``<split>/<class>/<image>``, decoded with Pillow into uint8 arrays."""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image

from .errors import DataError
from .sources import FileTree

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")


def class_folders(tree: FileTree, split: str) -> list[str]:
    """Sorted class names under ``split``. Hidden and empty folders are skipped with a warning,
    never given a label, so the labels of the other classes do not shift."""
    names = []
    for name in tree.dirs(split):
        if name.startswith("."):
            log.warning("ignoring hidden folder %s", tree.describe(f"{split}/{name}"))
        elif not any(f.startswith(f"{split}/{name}/") for f in _images(tree, split)):
            log.warning("ignoring empty class folder %s", tree.describe(f"{split}/{name}"))
        else:
            names.append(name)
    return names


def _images(tree: FileTree, split: str) -> list[str]:
    return [
        f
        for f in tree.files()
        if f.startswith(split + "/") and f.lower().endswith(IMAGE_SUFFIXES) and not f.rsplit("/", 1)[-1].startswith(".")
    ]


def decode_image(raw: bytes, name: str, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """Bytes -> (H, W, C) uint8 in Pillow ``mode`` ('RGB' or 'L'), resized to ``size`` (W, H) if given."""
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image = image.convert(mode)
            if size is not None and image.size != size:
                image = image.resize(size, Image.Resampling.BILINEAR)
            array = np.asarray(image, dtype=np.uint8)
    except Exception as error:  # image decoders fail in many ways on damaged files; all mean the same
        reason = str(error).split(" <_io.")[0] or type(error).__name__
        raise DataError(f"{name}: corrupt or unreadable image ({reason}); remove or replace it") from None
    return array[:, :, None] if array.ndim == 2 else array


def read_split(tree: FileTree, split: str, classes: list[str], mode: str, size: tuple[int, int] | None):
    """Decode every image of ``split`` whose class is in ``classes``.

    Returns images (N, C, H, W) uint8 and labels (N,) int64 (index into ``classes``). All images
    are resized to ``size``, or to the first image's size when None.
    """
    index = {name: label for label, name in enumerate(classes)}
    images, labels = [], []
    for path in _images(tree, split):
        class_name = path[len(split) + 1 :].split("/", 1)[0]
        if class_name not in index:
            continue
        array = decode_image(tree.read(path), tree.describe(path), mode, size)
        if size is None:
            size = (array.shape[1], array.shape[0])
        images.append(array)
        labels.append(index[class_name])
    if not images:
        raise DataError(f"{tree.describe(split)}: no images found; expected {split}/<class>/<image> files")
    return np.stack(images).transpose(0, 3, 1, 2).copy(), np.asarray(labels, dtype=np.int64)


def read_image_tree(tree: FileTree, mode: str = "RGB", size: tuple[int, int] | None = None):
    """Read ``train/`` (and ``test/`` when present) of a tree.

    Returns (train_images, train_labels, test_images | None, test_labels | None, classes); test
    classes must be the train classes, or a subset of them.
    """
    classes = class_folders(tree, "train")
    if not classes:
        raise DataError(f"{tree.describe('train')}: no class folders with images; expected train/<class>/<image>")
    train_x, train_y = read_split(tree, "train", classes, mode, size)
    size = (train_x.shape[3], train_x.shape[2])
    test_classes = class_folders(tree, "test")
    if not test_classes:
        return train_x, train_y, None, None, classes
    unknown = sorted(set(test_classes) - set(classes))
    if unknown:
        raise DataError(f"{tree.describe('test')}: classes {unknown} are not in train/; the splits must share classes")
    test_x, test_y = read_split(tree, "test", classes, mode, size)
    return train_x, train_y, test_x, test_y, classes
