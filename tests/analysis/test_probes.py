"""The theory's predictions at initialisation, measured on random inputs with fixed seeds."""

import math

import pytest

from tauresnet.analysis.probes import parse_tau, probe_cell
from tauresnet.analysis.sweep import fit_slopes, run_sweep, summary_table, verdict

MLP_DEPTHS = [10, 100, 1000, 10000]


@pytest.fixture(scope="module")
def mlp_records():
    return run_sweep("resmlp", MLP_DEPTHS, ["L^-1", "L^-1/2", "L^-1/4", "L^0"], seeds=2, width=256)


def _cell(records, tau, depth):
    return [r for r in records if r.tau_label == tau and r.depth == depth]


def test_parse_tau():
    assert parse_tau("L^-1/2", 100) == pytest.approx(0.1)
    assert parse_tau("L^-1", 50) == pytest.approx(0.02) and parse_tau("L^0", 7) == 1.0 and parse_tau("0.3", 9) == 0.3
    with pytest.raises(ValueError, match="L\\^<exponent>"):
        parse_tau("L^x", 10)


@pytest.mark.slow
def test_tau_inverse_sqrt_stays_bounded_up_to_ten_thousand_blocks(mlp_records):
    for depth in MLP_DEPTHS:
        for record in _cell(mlp_records, "L^-1/2", depth):
            assert record.forward_ratio < 4, (depth, record.forward_ratio)
            assert math.isfinite(record.grad_first) and math.isfinite(record.grad_last)


@pytest.mark.slow
def test_tau_quarter_power_explodes_and_tau_one_overflows_without_exception(mlp_records):
    assert all(r.forward_ratio > 1e6 for r in _cell(mlp_records, "L^-1/4", 1000))
    assert verdict(_cell(mlp_records, "L^0", 1000)) == "overflow"
    assert verdict(_cell(mlp_records, "L^-1/2", 10000)) == "bounded"
    table = {(row["tau_label"], row["depth"]): row["verdict"] for row in summary_table(mlp_records)}
    assert table[("L^-1/4", 1000)] == "growing" and table[("L^0", 10000)] == "overflow"


@pytest.mark.slow
def test_fitted_slope_agrees_across_tau_rules(mlp_records):
    slopes = fit_slopes(mlp_records)
    small_tau = [slopes[rule] for rule in ("L^-1", "L^-1/2", "L^-1/4")]
    assert max(small_tau) / min(small_tau) < 1.25, slopes
    assert 0.5 < slopes["L^-1/2"] < 1.5


@pytest.mark.slow
def test_cifar_resnet_without_norm_bounded_by_tau_and_exploding_without():
    def ratio(depth, tau):
        return probe_cell("cifar", depth, tau, seed=0, batch=4).forward_ratio

    shallow, deep = ratio(20, "L^-1/2"), ratio(1202, "L^-1/2")
    assert 1 / 3 < deep / shallow < 3
    assert ratio(110, "L^0") / ratio(20, "L^0") > 100
