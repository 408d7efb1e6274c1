"""The branch as computed (τ folded into the last BN) equals the textbook one."""

import copy

import pytest
import torch

from tauresnet.models.layers import BasicBlock, Bottleneck


def _textbook(block, x, scale):
    """scale · F(x) written out module by module, as in the paper."""
    units = [1, 2, 3] if isinstance(block, Bottleneck) else [1, 2]
    out = x
    for i in units:
        conv, norm = getattr(block, f"conv{i}"), getattr(block, f"bn{i}")
        out = getattr(block, f"bias{i}b")(norm(conv(getattr(block, f"bias{i}a")(out))))
        if i != units[-1]:
            out = torch.relu(out)
    return scale * out


@pytest.mark.parametrize("kind", [BasicBlock, Bottleneck])
@pytest.mark.parametrize("norm", ["batch", "none"])
def test_folded_branch_matches_the_textbook_branch(kind, norm):
    torch.manual_seed(0)
    block = kind(16, 16 if kind is BasicBlock else 4, 1, norm, "tau", "A")
    for p in block.parameters():  # non-trivial biases and BN affine parameters
        torch.nn.init.normal_(p, std=0.3)
    reference = copy.deepcopy(block)
    x = torch.randn(4, 16, 8, 8)
    scale = torch.tensor(0.37, requires_grad=True)
    ref_scale = torch.tensor(0.37, requires_grad=True)
    folded, textbook = block.branch(x, scale), _textbook(reference, x, ref_scale)
    torch.testing.assert_close(folded, textbook, rtol=1e-5, atol=1e-5)
    folded.square().sum().backward()
    textbook.square().sum().backward()
    torch.testing.assert_close(scale.grad, ref_scale.grad, rtol=1e-4, atol=1e-6)
    for (name, a), (_, b) in zip(block.named_parameters(), reference.named_parameters(), strict=True):
        torch.testing.assert_close(
            a.grad, b.grad, rtol=1e-4, atol=max(1e-5, 1e-6 * b.grad.abs().max().item()), msg=name
        )
    for (name, a), (_, b) in zip(block.named_buffers(), reference.named_buffers(), strict=True):
        torch.testing.assert_close(a, b, msg=name)  # running statistics moved the same way


@pytest.mark.parametrize(
    "kind, in_channels, planes, stride", [(BasicBlock, 16, 16, 1), (BasicBlock, 16, 32, 2), (Bottleneck, 16, 4, 1)]
)
@pytest.mark.parametrize("norm", ["batch", "none"])
def test_block_matches_the_textbook_block(kind, in_channels, planes, stride, norm):
    """relu(shortcut(x) + τ·F(x)), however the block fuses its scale, bias and residual add."""
    torch.manual_seed(0)
    block = kind(in_channels, planes, stride, norm, "tau", "A")
    for p in block.parameters():
        torch.nn.init.normal_(p, std=0.3)
    reference = copy.deepcopy(block)
    x = torch.randn(4, in_channels, 8, 8, requires_grad=True)
    ref_x = x.detach().clone().requires_grad_()
    scale = torch.tensor(0.37, requires_grad=True)
    ref_scale = torch.tensor(0.37, requires_grad=True)
    shortcut = ref_x if reference.downsample is None else reference.downsample(ref_x)
    out, expected = block(x, scale), torch.relu(shortcut + _textbook(reference, ref_x, ref_scale))
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    out.square().sum().backward()
    expected.square().sum().backward()
    torch.testing.assert_close(x.grad, ref_x.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(scale.grad, ref_scale.grad, rtol=1e-4, atol=1e-5)
    for (name, a), (_, b) in zip(block.named_parameters(), reference.named_parameters(), strict=True):
        torch.testing.assert_close(
            a.grad, b.grad, rtol=1e-4, atol=max(1e-5, 1e-5 * b.grad.abs().max().item()), msg=name
        )  # relative to the largest entry: some BN biases' gradients cancel to ~1e-5 of it
