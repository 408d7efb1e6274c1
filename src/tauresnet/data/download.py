"""Explicit, checksum-verified downloads of the public datasets (only with ``--download``)."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import urllib.request
from pathlib import Path

from .errors import DataError

log = logging.getLogger(__name__)

# CIFAR archives: SHA-256 of the archive. Fashion-MNIST: SHA-256 of each file's *decompressed*
# content, so the same check holds for the original .gz files and for re-compressed copies.
CIFAR_ARCHIVES = {
    "cifar10": (
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    ),
    "cifar100": (
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    ),
}
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_FILES = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def _fetch(url: str, target: Path, sha256: str, decompressed: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    log.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as handle:
            while chunk := response.read(1 << 20):
                handle.write(chunk)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DataError(f"could not download {url} ({error}); put the file at {target} by hand") from None
    data = partial.read_bytes()
    digest = hashlib.sha256(gzip.decompress(data) if decompressed else data).hexdigest()
    if digest != sha256:
        partial.unlink()
        raise DataError(f"{url}: SHA-256 {digest} does not match the expected {sha256}; download refused")
    os.replace(partial, target)


def download_fashion_mnist(folder: Path) -> Path:
    """Fetch the four IDX files into ``folder`` (skipping ones already there)."""
    for name, sha256 in FASHION_FILES.items():
        if not (folder / name).is_file():
            _fetch(FASHION_URL + name, folder / name, sha256, decompressed=True)
    return folder


def download_cifar(name: str, folder: Path) -> Path:
    """Fetch the official python-pickle archive of ``name`` into ``folder``; returns its path."""
    url, sha256 = CIFAR_ARCHIVES[name]
    target = folder / url.rsplit("/", 1)[1]
    if not target.is_file():
        _fetch(url, target, sha256, decompressed=False)
    return target
