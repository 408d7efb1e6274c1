import pytest
import torch

import tauresnet
from tauresnet.data import load_dataset, normalize

from ..conftest import CIFAR_JPG, SHARED_DATA, need

# The checkpoint's own preprocessing (ImageNet statistics), per shared/data/README.md.
MEAN, STD = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])


@pytest.mark.slow
@pytest.mark.parametrize("name, expected", [("resnet20", 0.8103), ("resnet32", 0.8256)])
def test_standard_checkpoint_reproduces_its_accuracy(name, expected):
    model = tauresnet.load_pretrained(need(SHARED_DATA / "pretrained" / f"cifar10-{name}-standard.th"), name).eval()
    assert float(model.tau) == 1.0
    data = load_dataset("cifar10", str(need(CIFAR_JPG)))
    x = normalize(data.test_images, MEAN, STD)
    with torch.inference_mode():
        predictions = torch.cat([model(x[i : i + 2000]).argmax(1) for i in range(0, len(x), 2000)])
    accuracy = (predictions == data.test_labels).float().mean().item()
    assert accuracy == pytest.approx(expected, abs=0.002)


def test_load_pretrained_strips_wrapper_prefixes_and_refuses_misfits():
    source = tauresnet.create_model("resnet20", variant="plain")
    wrapped = {"state_dict": {f"module._orig_mod.{k}": v for k, v in source.state_dict().items()}}
    loaded = tauresnet.load_pretrained(wrapped, "resnet20")
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(loaded.eval()(x), source.eval()(x))
    with pytest.raises(ValueError, match="does not fit model 'resnet32'"):
        tauresnet.load_pretrained(wrapped, "resnet32")
