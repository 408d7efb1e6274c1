import gzip

import numpy as np
import pytest

from tauresnet.data import DataError, load_dataset
from tauresnet.data.idx import read_idx

from ..conftest import FASHION_MNIST, need


def test_reads_the_real_fashion_mnist_files():
    images = read_idx(need(FASHION_MNIST) / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(FASHION_MNIST / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and sorted(np.bincount(labels)) == [1000] * 10


def test_load_dataset_finds_the_system_copy():
    data = load_dataset("fashion-mnist")
    assert data.train_images.shape == (60000, 1, 28, 28) and data.test_images.shape == (10000, 1, 28, 28)
    assert data.num_classes == 10 and data.in_chans == 1
    assert data.train_labels[:5].tolist() == [9, 0, 0, 3, 0]


def _write(path, raw: bytes, compress: bool = True):
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def test_truncated_file_is_a_clear_error(tmp_path):
    raw = gzip.decompress((FASHION_MNIST / "t10k-labels-idx1-ubyte.gz").read_bytes())
    path = _write(tmp_path / "labels.gz", raw[:-10])
    with pytest.raises(DataError, match=r"labels.gz: IDX file holds 9998 bytes, its header \(10000,\) needs 10008"):
        read_idx(path)


def test_truncated_gzip_stream_is_a_clear_error(tmp_path):
    packed = (FASHION_MNIST / "t10k-labels-idx1-ubyte.gz").read_bytes()
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match="cut.gz: corrupt gzip stream"):
        read_idx(path)


def test_wrong_magic_number_is_a_clear_error(tmp_path):
    path = _write(tmp_path / "bad.gz", b"\x12\x34\x08\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(DataError, match="bad.gz: not an IDX file"):
        read_idx(path)


def test_label_and_image_count_mismatch_names_the_files(tmp_path, monkeypatch):
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        _write(
            tmp_path / name,
            b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (3, 28, 28)) + bytes(3 * 784),
            False,
        )
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        _write(tmp_path / name, b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + bytes(2), False)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: 2 labels for 3 images"):
        load_dataset("fashion-mnist", str(tmp_path))


def test_missing_data_lists_the_places_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("TAURESNET_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="cifar10 data not found .*nowhere/cifar10"):
        load_dataset("cifar10")
