import pickle
import tarfile

import numpy as np
import pytest
import torch

from tauresnet.data import DataError, load_dataset

from ..conftest import CIFAR_JPG, need


@pytest.mark.slow
def test_shared_jpeg_tarball_loads_as_is_and_then_from_cache(tmp_path, monkeypatch):
    data = load_dataset("cifar10", str(need(CIFAR_JPG)))
    assert data.train_images.shape == (50000, 3, 32, 32) and data.test_images.shape == (10000, 3, 32, 32)
    assert data.classes[:3] == ("airplane", "automobile", "bird")
    assert torch.bincount(data.train_labels).tolist() == [5000] * 10
    again = load_dataset("cifar10", str(CIFAR_JPG))
    assert torch.equal(again.test_images, data.test_images)


def _write_cifar10_pickles(folder, count=20, labels_count=None):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
            b"labels": list(rng.integers(0, 10, labels_count or count)),
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [f"c{i}".encode() for i in range(10)]}))
    return folder


def test_pickle_batches_in_a_folder_and_in_an_archive(tmp_path):
    folder = _write_cifar10_pickles(tmp_path / "cifar-10-batches-py")
    data = load_dataset("cifar10", str(folder))
    assert data.train_images.shape == (100, 3, 32, 32) and data.test_images.shape == (20, 3, 32, 32)
    assert data.classes[0] == "c0"
    first = pickle.loads((folder / "data_batch_1").read_bytes())
    assert np.array_equal(data.train_images[0].numpy().reshape(-1), first[b"data"][0])
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    from_archive = load_dataset("cifar10", str(archive))
    assert torch.equal(from_archive.train_images, data.train_images)


def test_corrupt_pickle_names_the_file(tmp_path):
    folder = _write_cifar10_pickles(tmp_path / "c10")
    (folder / "data_batch_3").write_bytes(b"garbage, not a pickle")
    with pytest.raises(DataError, match="data_batch_3: corrupt pickle batch"):
        load_dataset("cifar10", str(folder))


def test_pickle_with_code_is_refused(tmp_path):
    folder = _write_cifar10_pickles(tmp_path / "c10")
    (folder / "test_batch").write_bytes(pickle.dumps(print))
    with pytest.raises(DataError, match="test_batch: corrupt pickle batch.*refusing"):
        load_dataset("cifar10", str(folder))


def test_pickle_label_count_mismatch(tmp_path):
    folder = _write_cifar10_pickles(tmp_path / "c10", labels_count=19)
    with pytest.raises(DataError, match="data_batch_1: 20 images but 19 labels"):
        load_dataset("cifar10", str(folder))


def test_truncated_archive_names_the_file(tmp_path):
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(need(CIFAR_JPG).read_bytes()[:100_000])
    with pytest.raises(DataError, match="cut.tar.gz: corrupt or truncated archive"):
        load_dataset("cifar10", str(archive))
