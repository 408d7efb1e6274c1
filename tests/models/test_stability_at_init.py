"""Theory: log(‖h_L‖/‖h_0‖) grows like c·L·τ²; τ = 1/√L keeps it bounded."""

import torch

import tauresnet


def _feature_ratio(name: str, **kwargs) -> float:
    torch.manual_seed(0)
    model = tauresnet.create_model(name, norm="none", **kwargs).double()
    x = torch.randn(4, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        h0 = model.stem(x)
        return (model.forward_features(x).norm() / h0.norm()).item()


def test_tau_sqrt_bounded_from_depth_20_to_1202_while_plain_explodes():
    tau_small, tau_large = _feature_ratio("resnet20", tau="sqrt"), _feature_ratio("resnet1202", tau="sqrt")
    assert 0.1 < tau_small < 10 and 0.1 < tau_large < 10
    assert tau_large / tau_small < 3
    plain_small, plain_deep = _feature_ratio("resnet20", variant="plain"), _feature_ratio("resnet110", variant="plain")
    assert plain_deep / plain_small > 1e6  # orders of magnitude already at depth 110
