import csv
import logging

from tauresnet.cli import main

TINY = "train --data fashion-mnist --train-subset 512 --test-subset 256 --epochs 1 --batch-size 64 --monitor --monitor-every 2".split()


def test_monitor_records_every_k_steps(tmp_path):
    run = tmp_path / "run"
    assert main([*TINY, "--model", "resnet8", "--norm", "none", "--learnable-tau", "--out", str(run)]) == 0
    with open(run / "monitor.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows] == [0, 2, 4, 6]
    assert all(0 < float(r["median_branch_ratio"]) < 1 and float(r["grad_norm"]) > 0 for r in rows)
    assert abs(float(rows[0]["l_tau2"]) - 1.0) < 0.05  # τ starts at 1/√L, so L·τ² ≈ 1


def test_monitor_warns_once_in_plain_words_when_the_signal_explodes(tmp_path, caplog):
    run = tmp_path / "run"
    with caplog.at_level(logging.WARNING):
        code = main(
            [*TINY, "--model", "resnet56", "--norm", "none", "--variant", "plain", "--lr", "0.001", "--out", str(run)]
        )
    warnings = [r.message for r in caplog.records if "stability monitor" in r.message]
    assert sum("heading for overflow" in m for m in warnings) == 1, warnings  # warned once, not every step
    assert code in (0, 3)
