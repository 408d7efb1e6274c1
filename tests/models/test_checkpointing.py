"""Activation checkpointing: same outputs, gradients and BN statistics, less memory."""

import pytest
import torch

from tauresnet.models import create_model


@pytest.mark.parametrize("norm", ["batch", "none"])
def test_checkpointed_blocks_give_the_same_gradients_and_running_stats(norm):
    torch.manual_seed(0)
    kwargs = {"learnable_tau": True} if norm == "none" else {}
    plain = create_model("resnet20", norm=norm, **kwargs)
    checkpointed = create_model("resnet20", norm=norm, **kwargs)
    checkpointed.load_state_dict(plain.state_dict())
    checkpointed.set_grad_checkpointing(True)
    x = torch.randn(8, 3, 32, 32)
    for model in (plain, checkpointed):
        model(x).square().mean().backward()
    for (name, a), (_, b) in zip(plain.named_parameters(), checkpointed.named_parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-7, msg=name)
    # the recomputation in backward must not update BatchNorm's running statistics twice
    for (name, a), (_, b) in zip(plain.named_buffers(), checkpointed.named_buffers(), strict=True):
        torch.testing.assert_close(a, b, msg=name)


def test_checkpointing_is_off_in_evaluation_and_inference():
    model = create_model("resnet8", norm="batch").eval()
    model.set_grad_checkpointing(True)
    with torch.inference_mode():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
