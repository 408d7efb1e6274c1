"""End-to-end training on a small real subset of Fashion-MNIST."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from tauresnet.cli import main as cli_main
from tauresnet.optim import lr_factor
from tauresnet.train.checkpoint import load_checkpoint

SMALL = "--data fashion-mnist --train-subset 2048 --test-subset 512 --model resnet8 --norm none --learnable-tau --batch-size 64 --lr 0.2 --seed 3".split()


def main(args):
    return cli_main(["train", *args])


def _rows(run):
    with open(run / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_training_writes_the_documented_files_and_the_loss_falls(tmp_path):
    run = tmp_path / "run"
    assert main([*SMALL, "--epochs", "4", "--out", str(run)]) == 0
    rows = _rows(run)
    assert list(rows[0]) == ["epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"]
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert float(rows[-1]["train_loss"]) < 0.7 * float(rows[0]["train_loss"])
    assert float(rows[-1]["test_acc"]) > 0.5  # 10 classes: chance is 0.1
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs_done"] == 4
    assert summary["best_test_acc"] == pytest.approx(max(float(r["test_acc"]) for r in rows), abs=1e-6)
    assert (run / "curves.png").stat().st_size > 10_000
    assert 'model = "resnet8"' in (run / "config.toml").read_text()
    for name in ("last.pt", "best.pt"):
        state = torch.load(run / "checkpoints" / name, weights_only=True)
        assert not any(k.startswith(("module.", "_orig_mod.")) for k in state["model"])
        assert state["config"]["model"] == "resnet8"
    # τ was learned, and is saved once, in the model's state
    assert load_checkpoint(run / "checkpoints" / "last.pt")["model"]["tau"].item() != pytest.approx(
        1 / 3**0.5, abs=1e-6
    )


def test_a_second_run_into_the_same_directory_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*SMALL, "--epochs", "1", "--train-subset", "128", "--out", str(run)]) == 0
    before = (run / "metrics.csv").read_text()
    assert main([*SMALL, "--epochs", "1", "--out", str(run)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (run / "metrics.csv").read_text() == before


@pytest.mark.slow
def test_resume_after_sigint_reproduces_the_uninterrupted_run(tmp_path):
    whole, parted = tmp_path / "whole", tmp_path / "parted"
    args = [*SMALL, "--epochs", "3", "--schedule", "step", "--warmup-epochs", "0.5"]
    assert main([*args, "--out", str(whole)]) == 0

    process = subprocess.Popen(
        [sys.executable, "-m", "tauresnet", "train", *args, "--out", str(parted)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.time() + 120
    while not (parted / "metrics.csv").exists() and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    interrupted = json.loads((parted / "summary.json").read_text())
    assert interrupted["status"] == "interrupted" and interrupted["epochs_done"] < 3
    mid_epoch_step = load_checkpoint(parted / "checkpoints" / "last.pt")["step"]

    assert main(["--resume", "--out", str(parted)]) == 0
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(_rows(parted)) == strip(_rows(whole))
    final_whole = load_checkpoint(whole / "checkpoints" / "last.pt")["model"]
    final_parted = load_checkpoint(parted / "checkpoints" / "last.pt")["model"]
    assert all(torch.equal(final_whole[k], final_parted[k]) for k in final_whole)
    assert mid_epoch_step >= 0


def test_resume_refuses_a_contradicting_config(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*SMALL, "--epochs", "1", "--train-subset", "128", "--out", str(run)]) == 0
    assert main(["--resume", "--out", str(run), "--model", "resnet20"]) == 2
    assert "model (saved 'resnet8', given 'resnet20')" in capsys.readouterr().err


def test_lr_schedules():
    assert [lr_factor(e, 200, "step") for e in (0, 99.9, 100, 150)] == pytest.approx([1, 1, 0.1, 0.01])
    assert lr_factor(0, 10, "cosine") == 1 and lr_factor(5, 10, "cosine") == pytest.approx(0.5)
    assert lr_factor(0.5, 10, "cosine", warmup_epochs=1) == pytest.approx(0.5 * lr_factor(0.5, 10, "cosine"))
