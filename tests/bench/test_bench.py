"""`tauresnet bench`: the naive reference is the same network, and the report holds real measurements."""

import json

import numpy as np
import pytest
import torch

from tauresnet.bench import naive
from tauresnet.bench.measure import peak_memory
from tauresnet.cli import main
from tauresnet.models import create_model


@pytest.mark.parametrize("norm", ["batch", "none"])
def test_the_naive_reference_has_the_fast_models_parameter_count(norm):
    kwargs = {"learnable_tau": True} if norm == "none" else {}
    for depth in (20, 56):
        ours = sum(p.numel() for p in create_model(f"resnet{depth}", norm=norm, **kwargs).parameters())
        reference = sum(p.numel() for p in naive.NaiveResNet(depth, norm).parameters())
        assert reference == ours


def test_the_per_image_pipeline_normalises_and_crops_like_the_papers():
    images = np.full((4, 3, 32, 32), 255, dtype=np.uint8)
    data = naive.PerImageDataset(images, np.arange(4), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), augment=True)
    x, y = data[1]
    assert x.shape == (3, 32, 32) and y == 1
    # white image: 2.0 where the crop kept pixels, (0 - 0.5) / 0.25 = -2.0 in the zero padding
    assert set(torch.unique(x).tolist()) <= {2.0, -2.0} and (x == 2.0).float().mean() >= (28 / 32) ** 2


def test_activation_checkpointing_cuts_the_memory_of_a_deep_net():
    common = {"model": "resnet110", "norm": "none", "batch": 64, "steps": 1}
    plain = peak_memory({**common, "path": "fast"})
    checkpointed = peak_memory({**common, "path": "fast", "checkpoint": True})
    assert "error" not in plain and "error" not in checkpointed
    assert checkpointed["step_mib"] < 0.4 * plain["step_mib"]


def test_bench_writes_side_by_side_figures(tmp_path, capsys):
    out = tmp_path / "bench"
    args = (
        "--models resnet8 --norms none --steps 2 --rounds 2 --eval-images 128 --memory-model resnet8 --memory-batch 8"
    )
    assert main(["bench", *args.split(), "--out", str(out)]) == 0
    report = json.loads((out / "bench.json").read_text())
    row = report["throughput"][0]
    assert len(row["train_rounds"]["fast"]) == len(row["train_rounds"]["naive"]) == 2
    assert row["train_fast"] > 0 and row["train_naive"] > 0 and row["eval_fast"] > 0
    per_round = [f / n for f, n in zip(row["train_rounds"]["fast"], row["train_rounds"]["naive"], strict=True)]
    assert row["train_ratio"] == pytest.approx(float(np.median(per_round)))
    assert row["forward_gflop_per_image"] == pytest.approx(0.0245, rel=0.01)  # resnet8: 12.2M multiply-adds
    assert report["matmul_gflops"]["fp32"] > 1
    precision = "bf16" if report["precision"] == "bfloat16" else "fp32"
    per_round_fraction = [
        3 * row["forward_gflop_per_image"] * rate / peak
        for rate, peak in zip(row["train_rounds"]["fast"], row["matmul_gflops_rounds"][precision], strict=True)
    ]
    assert row["fraction_of_matmul"] == pytest.approx(float(np.median(per_round_fraction)))
    assert [m["path"] for m in report["memory"]] == ["naive", "fast", "fast", "fast"]
    assert all(m["step_mib"] > 0 for m in report["memory"])
    naive, fast, checkpointed = report["memory"][:3]
    ratios = report["checkpointing_memory_ratios"]
    assert ratios["peak_vs_fast"] == pytest.approx(checkpointed["peak_mib"] / fast["peak_mib"])
    assert ratios["step_vs_naive"] == pytest.approx(checkpointed["step_mib"] / naive["step_mib"])
    assert "| resnet8 | none |" in capsys.readouterr().out
