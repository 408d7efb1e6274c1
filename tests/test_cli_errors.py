"""Every kind of bad input: exit 2, one line on stderr naming the problem, no files damaged."""

import gzip
import pickle

import pytest
import torch

from tauresnet.cli import main

TINY = ["--train-subset", "256", "--test-subset", "128", "--epochs", "1", "--model", "resnet8"]


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def bad_inputs(tmp_path):
    idx = tmp_path / "idx"
    idx.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (idx / f"{name}.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"ab"))
    pickles = tmp_path / "pickles"
    pickles.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (pickles / name).write_bytes(pickle.dumps({b"data": b"x"})[:-3])
    jpegs = tmp_path / "jpegs"
    for split in ("train", "test"):
        (jpegs / split / "cat").mkdir(parents=True)
        (jpegs / split / "cat" / "0.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (tmp_path / "archive.tar.gz").write_bytes(b"\x1f\x8b\x08 not really")
    evil = tmp_path / "evil.pt"
    torch.save({"x": pickle.PickleError()}, evil)
    return tmp_path


CASES = {
    "unknown model": (["--model", "resnet2O"], "did you mean"),
    "depth not 6n+2": (["--model", "resnet21"], "6n+2"),
    "tau zero": (["--tau", "0"], "tau must be positive"),
    "tau not numeric": (["--tau", "abc"], "sqrt"),
    "missing data dir": (["--data", "cifar10", "--data-dir", "{tmp}/nowhere"], "not found"),
    "corrupt idx": (["--data-dir", "{tmp}/idx"], "IDX file holds"),
    "corrupt pickle": (["--data", "cifar10", "--data-dir", "{tmp}/pickles"], "corrupt pickle batch"),
    "corrupt jpeg": (["--data", "folder", "--data-dir", "{tmp}/jpegs"], "0.jpg: corrupt or unreadable image"),
    "corrupt archive": (["--data", "cifar10", "--data-dir", "{tmp}/archive.tar.gz"], "corrupt or truncated archive"),
    "bad config value": (["--epochs", "0"], "epochs must be >= 1"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_training_input_is_one_clear_line(case, bad_inputs, capsys):
    flags, message = CASES[case]
    flags = [f.replace("{tmp}", str(bad_inputs)) for f in flags]
    before = _snapshot(bad_inputs)
    assert main(["train", *TINY, *flags, "--out", str(bad_inputs / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert _snapshot(bad_inputs) == before


def test_untrusted_checkpoint_is_refused_and_another_models_checkpoint_cannot_resume(bad_inputs, capsys):
    assert main(["eval", str(bad_inputs / "evil.pt")]) == 2
    assert "--trust-checkpoint" in capsys.readouterr().err
    run = bad_inputs / "run"
    assert main(["train", *TINY, "--out", str(run)]) == 0
    capsys.readouterr()
    before = _snapshot(run)
    assert main(["train", "--resume", "--model", "resnet20", "--out", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model (saved 'resnet8', given 'resnet20')" in err[0]
    assert _snapshot(run) == before


def test_a_bad_command_with_overwrite_leaves_the_earlier_run_intact(bad_inputs, capsys):
    run = bad_inputs / "run"
    assert main(["train", *TINY, "--out", str(run)]) == 0
    before = _snapshot(run)
    for flags in (
        ["--model", "resmlp", "--checkpoint-activations"],
        ["--data", "cifar10", "--data-dir", str(bad_inputs / "nowhere")],
    ):
        capsys.readouterr()
        assert main(["train", *TINY, *flags, "--overwrite", "--out", str(run)]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        assert _snapshot(run) == before
    assert main(["train", *TINY, "--model", "resnet21", "--out", str(bad_inputs / "never")]) == 2
    assert not (bad_inputs / "never").exists()  # nothing, not even an empty folder


def test_resuming_with_another_global_batch_is_refused(bad_inputs, capsys):
    run = bad_inputs / "run"
    assert main(["train", *TINY, "--out", str(run)]) == 0
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    state["global_batch"] = 2 * state["global_batch"]  # as if it ran on twice the processes
    torch.save(state, run / "checkpoints" / "last.pt")
    capsys.readouterr()
    assert main(["train", "--resume", "--epochs", "2", "--out", str(run)]) == 2
    assert "resume it with the same number of processes" in capsys.readouterr().err
