"""Data-parallel training under torchrun (2 CPU processes, Gloo) against one process."""

import csv
import os
import subprocess
import sys

import pytest
import torch

from tauresnet.train.checkpoint import load_checkpoint
from tauresnet.train.distributed import World

COMMON = "--data fashion-mnist --train-subset 480 --test-subset 256 --model resnet8 --batch-size 64 --precision fp32 --threads 1 --seed 1 --lr 0.1".split()
NETS = {
    "no-norm-learnable-tau": ["--norm", "none", "--tau", "sqrt", "--learnable-tau"],
    "bn-sync": ["--norm", "batch", "--sync-bn", "--lr", "0.02"],
}
# Gloo sums gradients in another order than one process does, so runs agree to float32
# rounding. Tolerances (rtol, atol) after 2 epochs (16 steps), for loss curves and weights.
# Behind a BN the first convolution's gradient is a sum with heavy cancellation (terms ~1e3×
# the total): summation order alone moves it ~1e-4 relative per step. BN makes the loss
# invariant to those directions (the curves still agree to ~5e-6 at lr 0.02), but the conv
# weights and running statistics drift apart by up to ~1.5e-3 absolute.
CURVE_TOLERANCE = {"no-norm-learnable-tau": (1e-5, 1e-6), "bn-sync": (1e-4, 1e-6)}
WEIGHT_TOLERANCE = {"no-norm-learnable-tau": (1e-5, 5e-5), "bn-sync": (1e-2, 3e-3)}  # weights are O(0.1-1)


def _train(args, processes, env_extra=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    env.pop("WORLD_SIZE", None)
    if processes == 1:
        command = [sys.executable, "-m", "tauresnet", "train", *args]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"]
        command += ["-m", "tauresnet", "train", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _losses(run):
    with open(run / "metrics.csv", newline="") as handle:
        return [(float(r["train_loss"]), float(r["test_loss"]), float(r["test_acc"])) for r in csv.DictReader(handle)]


def _assert_same_weights(a, b, rtol, atol):
    left, right = load_checkpoint(a / "checkpoints" / "last.pt"), load_checkpoint(b / "checkpoints" / "last.pt")
    assert left["model"].keys() == right["model"].keys()
    for key, value in left["model"].items():
        if value.is_floating_point():
            torch.testing.assert_close(value, right["model"][key], rtol=rtol, atol=atol, msg=key)
        else:
            assert torch.equal(value, right["model"][key]), key


@pytest.mark.parametrize("net", sorted(NETS))
def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path, net):
    # 480 images / batch 64: the last global batch (32) checks the uneven-share loss scaling too.
    args = [*COMMON, *NETS[net], "--epochs", "2"]
    two = _train([*args, "--out", str(tmp_path / "two")], processes=2)
    _train([*args, "--out", str(tmp_path / "one")], processes=1)
    assert two.stdout.count("completed:") == 1  # only rank 0 reports
    rtol, atol = CURVE_TOLERANCE[net]
    one_curve, two_curve = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    assert len(one_curve) == len(two_curve) == 2
    for a, b in zip(one_curve, two_curve, strict=True):
        assert a == pytest.approx(b, rel=rtol, abs=atol)
    _assert_same_weights(tmp_path / "one", tmp_path / "two", *WEIGHT_TOLERANCE[net])
    if net == "no-norm-learnable-tau":  # τ moved, identically (mean gradient over blocks, lr/10)
        tau = load_checkpoint(tmp_path / "two" / "checkpoints" / "last.pt")["model"]["tau"]
        assert abs(tau.item() - 1 / 3**0.5) > 1e-4


def test_synced_bn_matches_plain_bn_in_one_process_to_its_float32_rounding(tmp_path):
    # PyTorch's CPU BatchNorm accumulates batch statistics in float32 (~1e-4 relative off the
    # exact mean here); the synced one uses float64. Two steps apart they agree to 1e-3.
    args = [*COMMON, "--norm", "batch", "--epochs", "1", "--train-subset", "128"]
    _train([*args, "--sync-bn", "--out", str(tmp_path / "two")], processes=2)
    _train([*args, "--out", str(tmp_path / "plain")], processes=1)
    for a, b in zip(_losses(tmp_path / "plain"), _losses(tmp_path / "two"), strict=True):
        assert a == pytest.approx(b, rel=1e-3)


def test_a_two_process_run_resumes_in_one_process_and_back(tmp_path):
    # Each resume extends --epochs (the schedule follows the new length), so the reference
    # is the same chain of resumes in one process.
    args = [*COMMON, *NETS["no-norm-learnable-tau"]]
    chains = {"switched": (2, 1, 2), "one": (1, 1, 1)}
    for name, processes in chains.items():
        run = tmp_path / name
        _train([*args, "--epochs", "1", "--out", str(run)], processes=processes[0])
        _train(["--resume", "--epochs", "2", "--threads", "1", "--out", str(run)], processes=processes[1])
        _train(["--resume", "--epochs", "3", "--threads", "1", "--out", str(run)], processes=processes[2])
    switched, one = _losses(tmp_path / "switched"), _losses(tmp_path / "one")
    rtol, atol = CURVE_TOLERANCE["no-norm-learnable-tau"]
    assert len(switched) == 3
    for a, b in zip(one, switched, strict=True):
        assert a == pytest.approx(b, rel=rtol, abs=atol)
    _assert_same_weights(tmp_path / "one", tmp_path / "switched", *WEIGHT_TOLERANCE["no-norm-learnable-tau"])


def test_a_batch_that_does_not_split_over_the_processes_is_refused(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    command += ["-m", "tauresnet", "train", *COMMON, "--batch-size", "63", "--out", str(tmp_path / "odd")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "batch-size 63 does not split evenly over 2 processes" in result.stderr
    assert not (tmp_path / "odd" / "checkpoints").exists()


def test_nccl_on_cpu_is_refused_with_the_fix(monkeypatch):
    from tauresnet.train.distributed import init_world

    monkeypatch.setenv("WORLD_SIZE", "2")
    for name, value in (("RANK", "0"), ("LOCAL_RANK", "0"), ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "29999")):
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match="nccl needs CUDA GPUs; use --dist-backend gloo"):
        init_world("cpu", "nccl")


def test_shares_cover_a_batch_once_in_order():
    for count in (0, 1, 7, 64):
        shares = [World(rank, 3).share(count) for rank in range(3)]
        covered = [i for share in shares for i in range(count)[share]]
        assert covered == list(range(count))
