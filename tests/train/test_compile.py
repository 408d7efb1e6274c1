"""`--compile`: the compiled model trains to the eager model's numbers and saves plain keys."""

import csv
import json

import pytest
import torch

from tauresnet.cli import main

TINY = "--data fashion-mnist --train-subset 256 --test-subset 256 --model resnet8 --norm none --learnable-tau --batch-size 64 --epochs 1 --precision fp32 --threads 2 --seed 5".split()


def _row(run):
    with open(run / "metrics.csv", newline="") as handle:
        return next(csv.DictReader(handle))


def test_compiled_training_matches_eager_and_reports_the_first_step(tmp_path):
    assert main(["train", *TINY, "--compile", "--out", str(tmp_path / "compiled")]) == 0
    assert main(["train", *TINY, "--out", str(tmp_path / "eager")]) == 0
    compiled, eager = _row(tmp_path / "compiled"), _row(tmp_path / "eager")
    assert float(compiled["train_loss"]) == pytest.approx(float(eager["train_loss"]), rel=1e-4)
    assert float(compiled["test_loss"]) == pytest.approx(float(eager["test_loss"]), rel=1e-3)
    summary = json.loads((tmp_path / "compiled" / "summary.json").read_text())
    assert (
        summary["first_step_seconds"]
        > json.loads((tmp_path / "eager" / "summary.json").read_text())["first_step_seconds"]
    )
    state = torch.load(tmp_path / "compiled" / "checkpoints" / "last.pt", weights_only=True)
    assert not any(key.startswith("_orig_mod.") for key in state["model"])
