import pytest
import torch

import tauresnet

IMAGENET = {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"}


def _input(name: str, batch: int = 2) -> torch.Tensor:
    if name == "resmlp":
        return torch.randn(batch, 784)
    size = 64 if name in IMAGENET else 32
    return torch.randn(batch, 3, size, size)


@pytest.mark.parametrize("norm", ["batch", "none"])
@pytest.mark.parametrize("name", tauresnet.list_models())
def test_every_model_forward_backward_and_channels_last(name, norm):
    torch.manual_seed(0)
    kwargs = {} if name == "resmlp" else {"norm": norm}
    model = tauresnet.create_model(name, num_classes=7, learnable_tau=True, **kwargs)
    x = _input(name)
    out = model(x)
    assert out.shape == (2, 7)
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not no_grad, f"parameters without a finite gradient: {no_grad[:5]}"
    assert model.tau.grad.abs() > 0
    if name != "resmlp":
        model.eval()
        with torch.no_grad():
            reference = model(x)
            model_cl = model.to(memory_format=torch.channels_last)
            got = model_cl(x.contiguous(memory_format=torch.channels_last))
        torch.testing.assert_close(got, reference, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("in_chans, size", [(1, 28), (3, 32), (5, 32)])
def test_cifar_nets_take_grayscale_28px_and_any_channel_count(in_chans, size):
    model = tauresnet.create_model("resnet20", in_chans=in_chans, norm="none")
    assert model(torch.randn(3, in_chans, size, size)).shape == (3, 10)


def test_option_b_shortcut_has_projection_convs():
    model = tauresnet.create_model("resnet20", shortcut="B")
    assert isinstance(model.layer2[0].downsample[0], torch.nn.Conv2d)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_option_a_pads_zero_channels_on_both_sides():
    model = tauresnet.create_model("resnet20")
    shortcut = model.layer2[0].downsample
    x = torch.ones(1, 16, 8, 8)
    out = shortcut(x)
    assert out.shape == (1, 32, 4, 4)
    assert out[:, :8].abs().sum() == 0 and out[:, 24:].abs().sum() == 0 and (out[:, 8:24] == 1).all()


def test_norm_none_has_no_batchnorm_and_scalar_biases_start_at_zero():
    model = tauresnet.create_model("resnet56", norm="none")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    biases = [p for n, p in model.named_parameters() if n.endswith(".bias") and p.ndim == 0]
    assert len(biases) == 4 * 27 + 2 and all(b.item() == 0 for b in biases)


def test_norm_none_stem_adds_its_scalar_bias_before_the_relu():
    torch.manual_seed(0)
    model = tauresnet.create_model("resnet20", norm="none")
    torch.nn.init.constant_(model.bias1.bias, -0.2)
    x = torch.randn(2, 3, 32, 32)
    expected = torch.relu(model.conv1(x) - 0.2)
    torch.testing.assert_close(model.stem(x), expected)
    assert (model.conv1(x) > 0).sum() > (expected > 0).sum()  # the bias moved values across 0


def test_batch_norm_multiplies_the_second_bn_output_by_tau():
    torch.manual_seed(0)
    model = tauresnet.create_model("resnet20", tau=0.25).eval()
    block = model.layer1[0]
    x = torch.randn(2, 16, 8, 8)
    expected = torch.relu(x + 0.25 * block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x))))))
    torch.testing.assert_close(block(x, model.tau), expected)


def _relative_error(got: torch.Tensor, expected: torch.Tensor) -> float:
    return ((got - expected).norm() / expected.norm()).item()


def _compiled_matches_eager(model: torch.nn.Module, x: torch.Tensor) -> None:
    compiled = torch.compile(model)
    with torch.no_grad():
        before = model(x)
        assert _relative_error(compiled(x), before) < 1e-4
        model.tau.fill_(model.tau.item() * 3)  # a new learnable τ value must not give stale results
        after = model(x)
        assert _relative_error(after, before) > 1e-2
        assert _relative_error(compiled(x), after) < 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet8", "resnet18", "resmlp"])
def test_torch_compile_matches_eager_and_follows_tau_changes(name):
    torch.manual_seed(0)
    kwargs = {} if name == "resmlp" else {"norm": "none"}
    model = tauresnet.create_model(name, learnable_tau=True, **kwargs).eval()
    _compiled_matches_eager(model, _input(name, batch=4))


@pytest.mark.parametrize("name", ["resnet20", "resnet18"])
def test_head_classifies_in_fp32_under_bf16_autocast(name):
    torch.manual_seed(0)
    model = tauresnet.create_model(name, norm="none").eval()
    x = _input(name, batch=4)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        features = model.forward_features(x)
        logits = model.forward_head(features)
    assert features.dtype == torch.bfloat16
    assert logits.dtype == torch.float32
    with torch.no_grad():
        pooled = features.float().mean(dim=(2, 3))
        expected = model.fc(model.head_bias(pooled))  # fp32 throughout, outside autocast
    torch.testing.assert_close(logits, expected, rtol=1e-6, atol=1e-6)
    # A bf16 classifier would round the logits to 8 significant bits: visibly different.
    assert not torch.equal(logits, expected.bfloat16().float())
