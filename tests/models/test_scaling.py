import math

import pytest
import torch

import tauresnet
from tauresnet.models.scaling import mean_gradient


@pytest.mark.parametrize(
    "spec, blocks, expected",
    [
        (0.25, 9, 0.25),
        ("0.136", 54, 0.136),
        ("sqrt", 54, 1 / math.sqrt(54)),
        ("inv", 600, 1 / 600),
        ("0.5/sqrt", 9, 0.5 / 3),
        ("2/sqrt", 23, 2 / math.sqrt(23)),
    ],
)
def test_resolve_tau(spec, blocks, expected):
    assert tauresnet.resolve_tau(spec, blocks) == pytest.approx(expected)


@pytest.mark.parametrize("spec", [0, -0.1, "nan", "inf", "x/sqrt", "cube", True])
def test_resolve_tau_refuses_bad_specs(spec):
    with pytest.raises(ValueError):
        tauresnet.resolve_tau(spec, 9)


def test_mean_gradient_keeps_value_and_divides_gradient():
    tau = torch.tensor(0.3, requires_grad=True)
    scaled = mean_gradient(tau, 4)
    assert scaled.item() == pytest.approx(0.3)
    (scaled * 5).backward()
    assert tau.grad.item() == pytest.approx(5 / 4)


def test_learnable_tau_gradient_is_the_mean_of_per_block_contributions():
    """Hand computation on a 3-block residual MLP: dLoss/dτ = mean over blocks of
    <dLoss/dh_l, W_l h_{l-1} ⊙ relu'(...)>, computed by treating each block's τ separately."""
    torch.manual_seed(0)
    model = tauresnet.create_model("resmlp", in_features=5, width=8, num_blocks=3, num_classes=2, learnable_tau=True)
    x = torch.randn(4, 5)
    model(x).square().sum().backward()
    shared_grad = model.tau.grad.item()

    # Same forward with one independent τ per block: autograd gives each block's contribution.
    per_block = [model.tau.detach().clone().requires_grad_(True) for _ in range(3)]
    h = torch.relu(model.input(x))
    for tau, layer in zip(per_block, model.blocks, strict=True):
        h = torch.relu(h + tau * layer(h))
    model.output(h).square().sum().backward()
    contributions = [tau.grad.item() for tau in per_block]
    assert shared_grad == pytest.approx(sum(contributions) / 3, rel=1e-5)
    assert abs(sum(contributions)) > 1e-6  # the check is not vacuous


def test_learnable_tau_appears_once_in_state_dict():
    model = tauresnet.create_model("resnet20", learnable_tau=True)
    keys = [k for k in model.state_dict() if "tau" in k]
    assert keys == ["tau"]
    assert [name for name, _ in model.named_parameters() if "tau" in name] == ["tau"]


def test_fixed_tau_is_not_in_state_dict_so_standard_checkpoints_fit():
    model = tauresnet.create_model("resnet20", tau=0.2)
    assert "tau" not in model.state_dict()
    assert float(model.tau) == pytest.approx(0.2)


def test_param_groups_put_scalars_at_a_tenth_of_the_lr():
    model = tauresnet.create_model("resnet20", norm="none", learnable_tau=True)
    groups = tauresnet.param_groups(model, lr=0.1, weight_decay=1e-4, decay_scalars_and_norms=False)
    scalar_group = next(g for g in groups if any(p is model.tau for p in g["params"]))
    assert scalar_group["lr"] == pytest.approx(0.01)
    assert scalar_group["weight_decay"] == 0.0
    # τ plus 4 scalar biases per block (9 blocks) plus the stem and head biases.
    assert sum(p.numel() for p in scalar_group["params"]) == 1 + 4 * 9 + 2
    conv_group = next(g for g in groups if any(p is model.conv1.weight for p in g["params"]))
    assert conv_group["lr"] == pytest.approx(0.1) and conv_group["weight_decay"] == pytest.approx(1e-4)
    assert sum(p.numel() for g in groups for p in g["params"]) == sum(p.numel() for p in model.parameters())
