"""SIGKILL at random points, resume each time: the result equals one uninterrupted run."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from tauresnet.train.checkpoint import load_checkpoint

ARGS = "--data fashion-mnist --train-subset 2048 --test-subset 256 --model resnet8 --norm none --learnable-tau --batch-size 64 --epochs 4 --schedule cosine --warmup-epochs 0.5 --save-every 3 --threads 1".split()
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _train(out, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "tauresnet", "train", *ARGS, "--out", str(out), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )


@pytest.mark.slow
def test_sigkill_at_ten_random_points_then_resume_matches_uninterrupted(tmp_path):
    whole = tmp_path / "whole"
    assert _train(whole).wait(timeout=300) == 0
    reference = load_checkpoint(whole / "checkpoints" / "last.pt")

    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731

    def assert_matches_reference(run):
        final = load_checkpoint(run / "checkpoints" / "last.pt")
        assert all(torch.equal(final["model"][k], reference["model"][k]) for k in reference["model"])
        assert strip(final["history"]) == strip(reference["history"])
        assert (run / "metrics.csv").read_text().count("\n") == 5

    rng = random.Random(0)
    kills, attempt = 0, 0
    run = tmp_path / "killed-0"
    while kills < 10:
        last = run / "checkpoints" / "last.pt"
        process = _train(run, "--resume") if last.exists() else _train(run, "--overwrite")
        time.sleep(rng.uniform(0.5, 3.0))
        if process.poll() is not None:  # the run ended before this kill: check it, start another
            assert process.returncode == 0
            assert_matches_reference(run)
            attempt += 1
            run = tmp_path / f"killed-{attempt}"
            continue
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        if last.exists():  # never a half-written checkpoint
            load_checkpoint(last)
    resume = ("--resume",) if (run / "checkpoints" / "last.pt").exists() else ("--overwrite",)
    assert _train(run, *resume).wait(timeout=300) == 0
    assert_matches_reference(run)
