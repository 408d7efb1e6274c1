"""Building blocks shared by the CIFAR and ImageNet τ-ResNets."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

NORMS = ("batch", "none")
VARIANTS = ("tau", "plain", "fixup", "skipinit", "rezero")
# Variants that scale each branch by their own per-block learnable scalar instead of τ,
# with the value that scalar starts at.
GAIN_INIT = {"fixup": 1.0, "skipinit": 0.0, "rezero": 0.0}


def make_norm(norm: str, channels: int) -> nn.Module:
    """BatchNorm2d for ``norm="batch"``, nothing for ``norm="none"``."""
    return nn.BatchNorm2d(channels) if norm == "batch" else nn.Identity()


class ScalarBias(nn.Module):
    """Adds one learnable scalar, initialised to 0 (Fixup's bias, used by no-norm τ nets)."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias


def make_scalar_bias(norm: str) -> nn.Module:
    """A scalar bias where there is no normalisation to provide one, else nothing."""
    return ScalarBias() if norm == "none" else nn.Identity()


def conv_then_bias(conv: nn.Conv2d, x: torch.Tensor, bias: nn.Module) -> torch.Tensor:
    """``bias(conv(x))`` for a bias-free ``conv``; a ScalarBias is passed to the convolution as its
    per-channel bias, added in the kernel's epilogue instead of a pass over the output."""
    if not isinstance(bias, ScalarBias):
        return bias(conv(x))
    shift = bias.bias.expand(conv.out_channels)
    return F.conv2d(x, conv.weight, shift, conv.stride, conv.padding, conv.dilation, conv.groups)


class PadShortcut(nn.Module):
    """Option-A shortcut of He et al. 2016: subsample by ``stride``, zero-pad new channels.

    The zero channels go half before and half after the existing ones, as in the standard
    public CIFAR ResNet re-implementation whose checkpoints we load.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        extra = out_channels - in_channels
        self.pad_before, self.pad_after = extra // 2, extra - extra // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad_before, self.pad_after))


def norm_scale(norm: nn.Module, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``scale · norm(x)``; for a plain BatchNorm2d one batch_norm with ``scale·γ`` and ``scale·β``
    (the same statistics and running-average update as the module). Other norms (e.g. a
    synchronised BN) are called as they are and scaled afterwards."""
    if type(norm) is not nn.BatchNorm2d:
        return scale * norm(x)
    momentum = 0.0 if norm.momentum is None else norm.momentum
    if norm.training and norm.track_running_stats:
        norm.num_batches_tracked.add_(1)
        if norm.momentum is None:  # cumulative moving average
            momentum = 1.0 / float(norm.num_batches_tracked)
    use_batch = norm.training or norm.running_mean is None
    return F.batch_norm(
        x, norm.running_mean, norm.running_var, norm.weight * scale, norm.bias * scale, use_batch, momentum, norm.eps
    )


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


def make_shortcut(kind: str, in_channels: int, out_channels: int, stride: int, norm: str) -> nn.Module | None:
    """None when shapes match; else option ``"A"`` (pad) or ``"B"`` (1×1 conv + norm)."""
    if stride == 1 and in_channels == out_channels:
        return None
    if kind == "A":
        return PadShortcut(in_channels, out_channels, stride)
    return nn.Sequential(conv1x1(in_channels, out_channels, stride), make_norm(norm, out_channels))


class ResidualBlock(nn.Module):
    """Common forward of basic and bottleneck blocks: ``act(shortcut(x) + scale · F(x))``.

    ``scale`` is the network's τ, or this block's own ``gain`` for Fixup, SkipInit and ReZero.
    """

    downsample: nn.Module | None
    gain: nn.Parameter | None

    def _init_residual(self, variant: str, norm: str) -> None:
        self.unnormalised = norm == "none"
        init = GAIN_INIT.get(variant)
        self.gain = None if init is None else nn.Parameter(torch.tensor(init))
        # ReZero's block is x + α·F(x) with nothing after the sum (Bachlechner et al. 2020, eq. 1).
        self.act = nn.Identity() if variant == "rezero" else nn.ReLU(inplace=True)

    def branch(self, x: torch.Tensor, scale: torch.Tensor | None) -> torch.Tensor:
        """``scale · F(x)`` (``F(x)`` for None); with BN the scale is folded into the last BN's
        affine parameters."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """x: (N, C_in, H, W); tau: 0-dim -> (N, C_out, H/stride, W/stride)."""
        shortcut = x if self.downsample is None else self.downsample(x)
        scale = tau if self.gain is None else self.gain
        if self.unnormalised:
            # Scale and residual add in one pass; the branch's output is kept for scale's gradient.
            # τ stays out of the conv weights: folded into bf16 weights, the README demo diverged.
            return self.act(torch.addcmul(shortcut, self.branch(x, None), scale))
        out = self.branch(x, scale)
        # In place when the dtypes agree: the branch's last op (batch norm) does not keep its
        # output for backward, and a fresh buffer would cost a pass.
        out = out.add_(shortcut) if out.dtype == shortcut.dtype else out + shortcut
        return self.act(out)

    def _unit(self, x: torch.Tensor, index: int, scale: torch.Tensor | None = None) -> torch.Tensor:
        """Pre-bias, conv, norm, post-bias of the branch's ``index``-th unit (scaled if given).
        A unit has either a norm or scalar biases, never both, so the post-bias can go with the
        convolution."""
        conv, norm = getattr(self, f"conv{index}"), getattr(self, f"bn{index}")
        before, after = getattr(self, f"bias{index}a"), getattr(self, f"bias{index}b")
        out = conv_then_bias(conv, before(x), after)
        return norm(out) if scale is None else norm_scale(norm, out, scale)


class BasicBlock(ResidualBlock):
    """Two 3×3 convolutions; with ``norm="none"`` scalar biases replace BN (Fixup layout)."""

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int, norm: str, variant: str, shortcut: str) -> None:
        super().__init__()
        self.bias1a, self.bias1b = make_scalar_bias(norm), make_scalar_bias(norm)
        self.conv1 = conv3x3(in_channels, planes, stride)
        self.bn1 = make_norm(norm, planes)
        self.relu = nn.ReLU(inplace=True)
        self.bias2a, self.bias2b = make_scalar_bias(norm), make_scalar_bias(norm)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = make_norm(norm, planes)
        self.downsample = make_shortcut(shortcut, in_channels, planes, stride, norm)
        self._init_residual(variant, norm)

    def branch(self, x: torch.Tensor, scale: torch.Tensor | None) -> torch.Tensor:
        return self._unit(self.relu(self._unit(x, 1)), 2, scale)

    def branch_convs(self) -> list[nn.Conv2d]:
        return [self.conv1, self.conv2]


class Bottleneck(ResidualBlock):
    """1×1 reduce, 3×3 (stride here, as torchvision), 1×1 expand by 4."""

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int, norm: str, variant: str, shortcut: str) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self.bias1a, self.bias1b = make_scalar_bias(norm), make_scalar_bias(norm)
        self.conv1 = conv1x1(in_channels, planes)
        self.bn1 = make_norm(norm, planes)
        self.bias2a, self.bias2b = make_scalar_bias(norm), make_scalar_bias(norm)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = make_norm(norm, planes)
        self.bias3a, self.bias3b = make_scalar_bias(norm), make_scalar_bias(norm)
        self.conv3 = conv1x1(planes, out_channels)
        self.bn3 = make_norm(norm, out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = make_shortcut(shortcut, in_channels, out_channels, stride, norm)
        self._init_residual(variant, norm)

    def branch(self, x: torch.Tensor, scale: torch.Tensor | None) -> torch.Tensor:
        out = self.relu(self._unit(self.relu(self._unit(x, 1)), 2))
        return self._unit(out, 3, scale)

    def branch_convs(self) -> list[nn.Conv2d]:
        return [self.conv1, self.conv2, self.conv3]


def init_resnet(model: nn.Module, variant: str, total_blocks: int) -> None:
    """He initialisation (normal, std √(2/fan_out)) for convs, BN at (1, 0).

    Fixup (Zhang, Dauphin, Ma 2019, §3): inside each branch of m convolutions, all but the last
    are He-initialised and scaled by L^(-1/(2m-2)) (L = total branches), the last is zero, and
    the classifier starts at zero; so every branch, and the network's output, start at 0.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    if variant != "fixup":
        return
    for module in model.modules():
        if isinstance(module, ResidualBlock):
            convs = module.branch_convs()
            for conv in convs[:-1]:
                conv.weight.data.mul_(total_blocks ** (-1.0 / (2 * len(convs) - 2)))
            nn.init.zeros_(convs[-1].weight)
    nn.init.zeros_(model.fc.weight)
    nn.init.zeros_(model.fc.bias)


def check_sizes(num_classes: int, in_chans: int) -> None:
    if num_classes < 1 or in_chans < 1:
        raise ValueError(f"num_classes and in_chans must be >= 1, got {num_classes} and {in_chans}")


def check_choices(norm: str, variant: str, shortcut: str) -> None:
    """Refuse unknown or contradictory norm/variant/shortcut settings with the allowed values."""
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r} is not one of {NORMS}")
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r} is not one of {VARIANTS}")
    if shortcut not in ("A", "B"):
        raise ValueError(f"shortcut {shortcut!r} is not 'A' (pad) or 'B' (1x1 conv)")
    if variant in ("fixup", "rezero") and norm != "none":
        raise ValueError(f"variant {variant!r} is defined without normalisation; use norm='none'")


def default_norm(variant: str) -> str:
    """Fixup and ReZero exist to remove normalisation; the others default to BN."""
    return "none" if variant in ("fixup", "rezero") else "batch"


def variant_tau(variant: str, tau: float | str | None, learnable_tau: bool, default: str) -> tuple[float | str, bool]:
    """The τ spec a variant uses: the user's (or ``default``) for 'tau', a fixed 1 otherwise."""
    if variant == "tau":
        return (default if tau is None else tau), learnable_tau
    if tau is not None or learnable_tau:
        raise ValueError(
            f"variant {variant!r} does not use tau (plain fixes it at 1; fixup, skipinit and rezero "
            "learn a per-block scale); drop tau/learnable_tau or use variant='tau'"
        )
    return 1.0, False
