"""Datasets as uint8 tensors, and batched augmentation."""

from .augment import normalize, random_crop_flip
from .datasets import DATASETS, ImageDataset, load_dataset
from .errors import DataError

__all__ = ["DATASETS", "DataError", "ImageDataset", "load_dataset", "normalize", "random_crop_flip"]
