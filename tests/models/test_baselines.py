"""Fixup, SkipInit and ReZero start with every residual branch contributing exactly zero."""

import pytest
import torch

import tauresnet


@pytest.mark.parametrize(
    "variant, norm", [("fixup", "none"), ("skipinit", "batch"), ("skipinit", "none"), ("rezero", "none")]
)
@pytest.mark.parametrize("name", ["resnet20", "resnet50"])
def test_branches_contribute_zero_at_init(name, variant, norm):
    torch.manual_seed(0)
    model = tauresnet.create_model(name, variant=variant, norm=norm).train()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        for block in model.blocks():
            scale = block.gain
            assert scale is not None
            branch = block.branch(torch.randn(2, block.conv1.in_channels, 8, 8), scale)
            assert branch.abs().max().item() == 0.0
        out = model(x)
    assert torch.isfinite(out).all()


def test_fixup_init_follows_its_paper():
    model = tauresnet.create_model("resnet56", variant="fixup")
    block = model.layer1[0]
    assert block.conv2.weight.abs().sum() == 0
    assert model.fc.weight.abs().sum() == 0 and model.fc.bias.abs().sum() == 0
    # first conv: He std sqrt(2/fan_out) scaled by L^(-1/2), L = 27 blocks
    expected = (2 / (16 * 9)) ** 0.5 * 27**-0.5
    assert block.conv1.weight.std().item() == pytest.approx(expected, rel=0.1)
    assert block.gain.item() == 1.0


def test_rezero_has_no_activation_after_the_sum():
    model = tauresnet.create_model("resnet20", variant="rezero")
    x = torch.randn(2, 16, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(model.layer1[0](x, model.tau), x)  # identity, negatives kept


def test_plain_is_tau_one():
    model = tauresnet.create_model("resnet20", variant="plain")
    assert float(model.tau) == 1.0 and model.layer1[0].gain is None
