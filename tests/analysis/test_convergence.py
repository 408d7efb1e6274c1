import pytest

from tauresnet.analysis.convergence import gradient_descent
from tauresnet.cli import main


@pytest.mark.parametrize("depth", [10, 100])
def test_gd_reaches_the_target_for_small_tau_at_every_depth(depth):
    for tau in ("L^-1", "L^-1/2"):
        run = gradient_descent(depth, tau, iterations=300)
        assert run.iterations_to_target is not None and not run.diverged, (depth, tau, run.final_loss)
        assert run.final_loss < 1e-3 * run.initial_loss


def test_gd_fails_for_tau_one_at_depth():
    run = gradient_descent(100, "L^0", iterations=50)
    assert run.iterations_to_target is None and run.diverged


def test_convergence_command_writes_table_json_and_plot(tmp_path, capsys):
    out = tmp_path / "conv"
    assert main(["convergence", "--depths", "5,20", "--taus", "L^-1,L^0", "--iterations", "60", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| L^-1 |" in printed and "diverged" in printed
    assert (out / "summary.json").exists() and (out / "convergence.png").stat().st_size > 5000
