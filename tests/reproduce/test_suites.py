"""`tauresnet reproduce`: a tiny suite end to end (aggregation, skipping, resuming)."""

import csv
import json
import statistics

import pytest

import tauresnet.train.loop as loop
from tauresnet.cli import main
from tauresnet.reproduce import SUITES, run_training_suite
from tauresnet.reproduce.report import aggregate
from tauresnet.reproduce.suites import TRAINING_SUITES, Method, Recipe, TrainingSuite

TINY = TrainingSuite(
    name="tiny",
    title="tiny suite",
    methods=(
        Method("tau", "τ = 1/√L", {"norm": "none", "tau": "sqrt", "learnable_tau": True}),
        Method("plain", "plain", {"norm": "none", "variant": "plain"}),
    ),
    tiers={
        "cpu": Recipe(
            (8,),
            {
                "data": "fashion-mnist",
                "val_split": 0.1,
                "train_subset": 256,
                "test_subset": 256,
                "epochs": 2,
                "batch_size": 64,
                "threads": 1,
            },
            "2 epochs on 256 images",
        )
    },
    paper={("tau", 8): 9.5},
    paper_source="a made-up number for the test",
)


class StopAfterThreeSteps(loop.StopRequest):
    """A stop request that arrives during the first run's fourth step."""

    checks = 0

    @property
    def requested(self):
        StopAfterThreeSteps.checks += 1
        return StopAfterThreeSteps.checks > 3

    @requested.setter
    def requested(self, value):
        pass


def _rows(folder):
    with open(folder / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_tiny_suite_aggregates_skips_finished_runs_and_resumes_an_interrupted_one(tmp_path, monkeypatch):
    out = tmp_path / "suite"
    with monkeypatch.context() as patch:
        patch.setattr(loop, "StopRequest", StopAfterThreeSteps)
        first = run_training_suite(TINY, "cpu", 2, out)
    assert first.exit_code == 130
    assert [r["status"] for r in _rows(out)] == ["interrupted", "missing", "missing", "missing"]
    with pytest.raises(FileExistsError, match="--resume"):
        run_training_suite(TINY, "cpu", 2, out)

    second = run_training_suite(TINY, "cpu", 2, out, resume=True)
    assert second.exit_code == 0
    rows = _rows(out)
    assert [(r["method"], r["seed"], r["status"]) for r in rows] == [
        ("tau", "0", "completed"),
        ("tau", "1", "completed"),
        ("plain", "0", "completed"),
        ("plain", "1", "completed"),
    ]
    # the test set is evaluated once per run, on the best-validation checkpoint
    for row in rows:
        test = json.loads((tmp_path / row["run_dir"] / "test.json").read_text())
        assert test["split"] == "test" and test["images"] == 10_000
        assert float(row["test_error"]) == pytest.approx(100 * (1 - test["top1"]))

    # the interrupted-then-resumed run equals the same run done in one go
    fresh = run_training_suite(TINY, "cpu", 1, tmp_path / "fresh")
    assert fresh.exit_code == 0
    assert _rows(tmp_path / "fresh")[0]["test_acc"] == rows[0]["test_acc"]
    assert _rows(tmp_path / "fresh")[0]["best_val_acc"] == rows[0]["best_val_acc"]

    # mean ± std over seeds, and the paper's number beside ours
    tau_errors = [float(r["test_error"]) for r in rows if r["method"] == "tau"]
    table = aggregate(
        [
            {
                **r,
                "test_error": float(r["test_error"]),
                "best_val_acc": float(r["best_val_acc"]),
                "wall_seconds": float(r["wall_seconds"]),
                "depth": int(r["depth"]),
            }
            for r in rows
        ]
    )
    assert table[0]["test_error_mean"] == pytest.approx(statistics.fmean(tau_errors))
    assert table[0]["test_error_std"] == pytest.approx(statistics.stdev(tau_errors))
    report = (out / "results.md").read_text()
    assert f"| τ = 1/√L | 8 | {statistics.fmean(tau_errors):.2f} ± {statistics.stdev(tau_errors):.2f} |" in report
    assert "| 9.50 |" in report and "tier `cpu`" in report
    assert (out / "results.png").stat().st_size > 10_000

    # runs made with another recipe are not counted as this suite's
    longer = TrainingSuite(
        TINY.name, TINY.title, TINY.methods, {"cpu": Recipe((8,), {**TINY.tiers["cpu"].settings, "epochs": 3}, "")}
    )
    with pytest.raises(ValueError, match=r"holds a run made with other settings: epochs 2 \(suite: 3\)"):
        run_training_suite(longer, "cpu", 2, out, resume=True)

    # a third call finds every run finished and trains nothing
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/seed*/checkpoints/last.pt")}
    assert run_training_suite(TINY, "cpu", 2, out, resume=True).exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/seed*/checkpoints/last.pt")} == stamps


def test_the_paper_suites_are_defined_with_both_tiers():
    assert set(SUITES) == {"bn-vs-tau", "no-norm", "imagenet", "stability", "convergence"}
    assert TRAINING_SUITES["bn-vs-tau"].tiers["full"].depths == (20, 32, 56, 110, 1202)
    assert TRAINING_SUITES["bn-vs-tau"].tiers["full"].settings["epochs"] == 200
    assert TRAINING_SUITES["bn-vs-tau"].paper[("bn-tau", 1202)] == 5.01
    assert TRAINING_SUITES["no-norm"].tiers["cpu"].depths == (20, 56)
    assert {m.name for m in TRAINING_SUITES["no-norm"].methods} == {"tau", "plain", "fixup", "skipinit", "rezero"}


def test_bad_reproduce_requests_fail_with_one_line(tmp_path, capsys):
    assert main(["reproduce", "no-norm", "--depths", "44", "--out", str(tmp_path / "x")]) == 2
    assert "depths [44] are not in the cpu tier of no-norm" in capsys.readouterr().err
    assert main(["reproduce", "imagenet", "--out", str(tmp_path / "y")]) == 2
    assert "needs --data-dir" in capsys.readouterr().err
    assert main(["reproduce", "no-norm", "--seeds", "0", "--out", str(tmp_path / "z")]) == 2
    assert not (tmp_path / "x").exists() and not (tmp_path / "z").exists()


def test_the_stability_suite_takes_the_seeds_and_depths_it_is_given(tmp_path):
    out = tmp_path / "stability"
    assert main(["reproduce", "stability", "--seeds", "2", "--depths", "10,3,10", "--out", str(out)]) == 0
    with open(out / "records.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted({int(row["depth"]) for row in rows}) == [3, 10]
    assert {int(row["seed"]) for row in rows} == {0, 1}
    assert "2 seeds" in (out / "results.md").read_text()
