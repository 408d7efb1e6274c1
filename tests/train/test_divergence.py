"""A loss that turns NaN at a chosen step: stop with exit 3, or roll back and finish."""

import json
import math

import pytest
import torch

import tauresnet
from tauresnet.cli import main
from tauresnet.optim import lr_factor
from tauresnet.train.checkpoint import load_checkpoint
from tauresnet.train.log import write_summary
from tauresnet.train.loop import Trainer

ARGS = "train --data fashion-mnist --train-subset 512 --test-subset 256 --model resnet8 --norm none --learnable-tau --batch-size 64 --epochs 3".split()
STEPS_PER_EPOCH = 8


@pytest.fixture
def nan_at_step(monkeypatch):
    """Make the loss of one global step NaN, once (as a bad batch would)."""
    state = {"step": None, "fired": 0}
    original = Trainer._train_step

    def step(self, x, y, global_count):
        loss, correct = original(self, x, y, global_count)
        if self.epoch * self.steps_per_epoch + self.step == state["step"] and not state["fired"]:
            state["fired"] += 1
            return torch.tensor(math.nan), correct
        return loss, correct

    monkeypatch.setattr(Trainer, "_train_step", step)
    return state


def test_nan_loss_stops_with_exit_3_and_keeps_the_last_good_checkpoint(tmp_path, nan_at_step, caplog):
    nan_at_step["step"] = STEPS_PER_EPOCH + 3  # epoch 2, step 4
    run = tmp_path / "run"
    assert main([*ARGS, "--out", str(run)]) == 3
    assert "epoch 2, step 4" in caplog.text
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["epochs_done"] == 1
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["epoch"] == 1 and state["step"] == 0  # nothing written after the bad step
    assert all(torch.isfinite(v).all() for v in state["model"].values())


def _strict_json(path):
    def refuse(constant):
        raise ValueError(f"{path} holds {constant}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_divergence_in_the_first_epoch_still_writes_strict_json_with_its_time(tmp_path, nan_at_step):
    nan_at_step["step"] = 3
    run = tmp_path / "run"
    assert main([*ARGS, "--out", str(run)]) == 3
    summary = _strict_json(run / "summary.json")
    assert summary["status"] == "diverged" and summary["epochs_done"] == 0
    assert summary["wall_seconds"] > 0


def test_summary_writes_non_finite_numbers_as_null(tmp_path):
    write_summary(tmp_path / "summary.json", {"tau": math.nan, "best_test_acc": math.inf, "epochs_done": 2})
    assert _strict_json(tmp_path / "summary.json") == {"tau": None, "best_test_acc": None, "epochs_done": 2}


def test_rollback_reloads_halves_the_lr_and_finishes(tmp_path, nan_at_step):
    nan_at_step["step"] = STEPS_PER_EPOCH + 3
    run = tmp_path / "run"
    assert main([*ARGS, "--on-diverge", "rollback", "--out", str(run)]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs_done"] == 3
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["rollbacks"] == 1 and state["lr_scale"] == 0.5
    assert [row["epoch"] for row in state["history"]] == [1, 2, 3]
    # The logged rate is the one training used: halved from the rollback (in epoch 2) on.
    cosine = [lr_factor(epoch, 3, "cosine") for epoch in range(3)]
    assert [row["lr"] for row in state["history"]] == pytest.approx(
        [0.1 * cosine[0], 0.05 * cosine[1], 0.05 * cosine[2]]
    )


def test_save_every_writes_mid_epoch_checkpoints(tmp_path):
    run = tmp_path / "run"
    assert main([*ARGS, "--epochs", "1", "--save-every", "3", "--out", str(run)]) == 0
    assert load_checkpoint(run / "checkpoints" / "last.pt")["epoch"] == 1


def test_fixed_tau_is_saved_and_a_fresh_model_from_the_checkpoint_matches(tmp_path):
    run = tmp_path / "run"
    args = [a for a in ARGS if a != "--learnable-tau"]
    assert main([*args[:-1], "1", "--tau", "0.136", "--out", str(run)]) == 0
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["tau"] == pytest.approx(0.136, abs=1e-7) and state["config"]["tau"] == "0.136"
    fresh = tauresnet.create_model("resnet8", in_chans=1, norm="none", tau=state["config"]["tau"])
    fresh.load_state_dict(state["model"])
    assert float(fresh.tau) == pytest.approx(0.136, abs=1e-7)
