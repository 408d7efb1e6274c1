import pickle

import pytest
import torch

import tauresnet
from tauresnet.models.pretrained import read_checkpoint
from tauresnet.train.checkpoint import save_checkpoint


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_atomic_save_leaves_no_temp_files_and_loads_weights_only(tmp_path):
    model = tauresnet.create_model("resnet8", tau=0.136, learnable_tau=True)
    path = tmp_path / "ck" / "last.pt"
    save_checkpoint(path, {"model": model.state_dict(), "epoch": 2})
    save_checkpoint(path, {"model": model.state_dict(), "epoch": 3})
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]
    state = torch.load(path, weights_only=True)
    assert state["epoch"] == 3 and state["format_version"] == 1
    fresh = tauresnet.create_model("resnet8", learnable_tau=True)
    fresh.load_state_dict(state["model"])
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(fresh.eval()(x), model.eval()(x), rtol=0, atol=0)


def test_pickled_code_is_refused_unless_trusted(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "extra": Payload()}, path)
    with pytest.raises(ValueError, match="can run arbitrary code; pass --trust-checkpoint"):
        read_checkpoint(path)
    assert "must never run" not in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", pickle.dumps({"a": 1})[:5]])
def test_corrupt_files_are_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="bad.pt"):
        read_checkpoint(path)
