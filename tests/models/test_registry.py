import pytest
import torch

import tauresnet
from tauresnet.models import describe_model

# He et al. 2016 / torchvision parameter counts (BN, τ = 1 layout).
PARAMS = {
    "resnet20": 269_722,
    "resnet32": 464_154,
    "resnet44": 658_586,
    "resnet56": 853_018,
    "resnet110": 1_727_962,
    "resnet1202": 19_421_274,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
}


@pytest.mark.parametrize("name, count", PARAMS.items())
def test_parameter_counts_match_the_literature(name, count):
    with torch.device("meta"):
        model = tauresnet.create_model(name, norm="batch")
    assert sum(p.numel() for p in model.parameters()) == count


@pytest.mark.parametrize(
    "name, blocks, tau", [("resnet110", 54, 54**-0.5), ("resnet1202", 600, 600**-0.5), ("resnet101", 23, None)]
)
def test_num_blocks_and_sqrt_tau(name, blocks, tau):
    model = tauresnet.create_model(name, tau="sqrt")
    assert model.num_blocks == blocks
    assert float(model.tau) == pytest.approx(blocks**-0.5)
    if tau is None:  # ImageNet default is the paper's 2/√L
        assert describe_model(name)["tau"] == pytest.approx(2 / blocks**0.5)


def test_any_6n_plus_2_depth_builds_and_others_are_refused():
    model = tauresnet.create_model("resnet2402", norm="none")
    assert model.num_blocks == 1200 and model.depth == 2402
    with pytest.raises(ValueError, match="6n\\+2"):
        tauresnet.create_model("resnet21")


def test_unknown_model_suggests_close_names():
    with pytest.raises(ValueError, match="did you mean.*resnet110"):
        tauresnet.create_model("resnet11O")


def test_registry_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):

        @tauresnet.register_model
        def resnet20(**kwargs):
            raise AssertionError


def test_unset_kwargs_are_dropped_so_model_defaults_apply():
    model = tauresnet.create_model("resnet20", tau=None, norm=None)
    assert float(model.tau) == pytest.approx(1 / 3)
    assert isinstance(model.bn1, torch.nn.BatchNorm2d)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"norm": "layer"}, "norm"),
        ({"variant": "fixup", "norm": "batch"}, "without normalisation"),
        ({"variant": "plain", "tau": 0.5}, "does not use tau"),
        ({"tau": -1}, "positive"),
        ({"tau": "abc"}, "sqrt"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tauresnet.create_model("resnet20", **kwargs)
