import logging

import numpy as np
import pytest
from PIL import Image

from tauresnet.data import DataError, load_dataset


def _tree(root, classes=("ant", "bee"), per_class=3, splits=("train", "test")):
    rng = np.random.default_rng(0)
    for split in splits:
        for label, name in enumerate(classes):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                pixels = np.full((12, 12, 3), 40 * label + i, dtype=np.uint8) + rng.integers(
                    0, 5, (12, 12, 3), dtype=np.uint8
                )
                Image.fromarray(pixels).save(root / split / name / f"{i}.png")
    return root


def test_image_folder_tree(tmp_path):
    data = load_dataset("folder", str(_tree(tmp_path / "t")))
    assert data.classes == ("ant", "bee")
    assert data.train_images.shape == (6, 3, 12, 12) and data.train_labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.mean[0] > 0


def test_hidden_and_empty_class_folders_are_ignored_without_shifting_labels(tmp_path, caplog):
    root = _tree(tmp_path / "t", classes=("ant", "cat"))
    for split in ("train", "test"):
        (root / split / ".cache").mkdir()
        (root / split / "bee").mkdir()  # empty, sorts between ant and cat
    with caplog.at_level(logging.WARNING):
        data = load_dataset("folder", str(root))
    assert data.classes == ("ant", "cat") and data.train_labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert any("empty class folder" in r.message and "bee" in r.message for r in caplog.records)
    assert any("hidden folder" in r.message for r in caplog.records)


def test_no_test_split_needs_val_split(tmp_path):
    root = _tree(tmp_path / "t", per_class=10, splits=("train",))
    with pytest.raises(DataError, match="--val-split"):
        load_dataset("folder", str(root))
    data = load_dataset("folder", str(root), val_split=0.2)
    assert len(data.train_labels) == 16 and len(data.test_labels) == 4 and data.test_name == "val"


def test_corrupt_jpeg_names_the_file(tmp_path):
    root = _tree(tmp_path / "t")
    (root / "train" / "bee" / "1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DataError, match=r"bee/1.png: corrupt or unreadable image"):
        load_dataset("folder", str(root))


def test_empty_tree_is_a_clear_error(tmp_path):
    (tmp_path / "t" / "train" / "ant").mkdir(parents=True)
    with pytest.raises(DataError, match="no class folders with images"):
        load_dataset("folder", str(tmp_path / "t"))
