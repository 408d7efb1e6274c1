"""apply_tau on a torchvision-style ResNet written here (torchvision itself is not a dependency)."""

import pytest
import torch
from torch import nn

import tauresnet


class TvBasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + identity)


class TvResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        planes = [64, 128, 256, 512]
        inplanes = 64
        for i, p in enumerate(planes):
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(TvBasicBlock(inplanes, p, stride), TvBasicBlock(p, p)))
            inplanes = p
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def test_apply_tau_matches_a_native_tau_resnet_with_the_same_weights():
    torch.manual_seed(0)
    tv = TvResNet18().eval()
    ours = tauresnet.create_model("resnet18", tau=0.3).eval()
    ours.load_state_dict(tv.state_dict())  # torchvision layout loads as is
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        before = tv(x)
        assert tauresnet.apply_tau(tv, 0.3) == (2, 0.3)
        after = tv(x)
        torch.testing.assert_close(after, ours(x), rtol=1e-5, atol=1e-5)
    assert not torch.allclose(before, after)
    assert tauresnet.apply_tau(TvResNet18(), "sqrt") == (2, pytest.approx(2**-0.5))


def test_apply_tau_refuses_models_it_does_not_understand_and_double_application():
    with pytest.raises(ValueError, match="no residual blocks in Sequential"):
        tauresnet.apply_tau(nn.Sequential(nn.Linear(3, 3)), "sqrt")
    model = TvResNet18()
    tauresnet.apply_tau(model, 0.5)
    with pytest.raises(ValueError, match="already applied"):
        tauresnet.apply_tau(model, 0.5)
