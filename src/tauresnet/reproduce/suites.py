"""The paper's experiments as data: which runs a suite holds in each tier, and the numbers to
compare against (DESIGN.md §2).

A training suite is a grid of methods × depths × seeds; each cell is one ordinary
``tauresnet train`` run. CIFAR-10 suites hold out a 45k/5k train/validation split: the best
checkpoint is chosen on validation and the test set is evaluated once, on that checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TIERS = ("cpu", "full")


@dataclass(frozen=True)
class Method:
    """One line of a suite's table: the TrainConfig fields that make it what it is."""

    name: str
    label: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class Recipe:
    """The training recipe a tier applies to every run of a suite."""

    depths: tuple[int, ...]
    settings: dict[str, Any]
    note: str


@dataclass(frozen=True)
class TrainingSuite:
    name: str
    title: str
    methods: tuple[Method, ...]
    tiers: dict[str, Recipe]
    # Published error (%) by (method name, depth), and where it comes from.
    paper: dict[tuple[str, int], float] = field(default_factory=dict)
    paper_source: str = ""

    def model(self, depth: int) -> str:
        return f"resnet{depth}"


# The paper's CIFAR recipe (He et al. 2016; the paper's code): 200 epochs, lr ÷10 at 100 and 150.
CIFAR_FULL = {"epochs": 200, "schedule": "step", "batch_size": 128, "lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}
# The CPU tier keeps the recipe's optimiser, batch and augmentation but trains 3 epochs on a
# fixed 20k subset of the 45k split with a cosine schedule (a step schedule needs the long run
# to pay off). Sized so that the no-norm suite at depths 20 and 56 with 2 seeds finishes in
# about an hour on 2 CPU cores: it shows the ordering of the methods, not their final accuracy.
CIFAR_CPU = {**CIFAR_FULL, "epochs": 3, "schedule": "cosine", "train_subset": 20_000}
CIFAR_DATA = {"data": "cifar10", "val_split": 0.1}

BN_VS_TAU = TrainingSuite(
    name="bn-vs-tau",
    title="CIFAR-10, BatchNorm ResNet with and without τ = 1/√L",
    methods=(
        Method("bn", "ResNet + BN (τ = 1)", {"norm": "batch", "variant": "plain"}),
        Method("bn-tau", "ResNet + BN + τ = 1/√L", {"norm": "batch", "variant": "tau", "tau": "sqrt"}),
    ),
    tiers={
        "cpu": Recipe(
            (20, 56), {**CIFAR_DATA, **CIFAR_CPU}, "3 epochs on 20k of the 45k train split, cosine lr, 5k validation"
        ),
        "full": Recipe(
            (20, 32, 56, 110, 1202), {**CIFAR_DATA, **CIFAR_FULL}, "200 epochs, lr ÷10 at 100/150, 45k / 5k split"
        ),
    },
    paper={
        **{("bn", d): e for d, e in zip((20, 32, 56, 110, 1202), (8.08, 7.39, 6.73, 6.61, 6.93), strict=True)},
        **{("bn-tau", d): e for d, e in zip((20, 32, 56, 110, 1202), (7.89, 7.16, 6.18, 5.83, 5.01), strict=True)},
    },
    paper_source="chart published with the paper's code (best test epoch of one run, trained on all 50k)",
)

NO_NORM = TrainingSuite(
    name="no-norm",
    title="CIFAR-10 without normalisation: τ = 1/√L against the baselines",
    methods=(
        Method("tau", "τ = 1/√L, learnable", {"norm": "none", "variant": "tau", "tau": "sqrt", "learnable_tau": True}),
        Method("plain", "plain (τ = 1)", {"norm": "none", "variant": "plain"}),
        Method("fixup", "Fixup", {"norm": "none", "variant": "fixup"}),
        Method("skipinit", "SkipInit", {"norm": "none", "variant": "skipinit"}),
        Method("rezero", "ReZero", {"norm": "none", "variant": "rezero"}),
    ),
    tiers={
        "cpu": Recipe(
            (20, 56), {**CIFAR_DATA, **CIFAR_CPU}, "3 epochs on 20k of the 45k train split, cosine lr, 5k validation"
        ),
        "full": Recipe(
            (20, 56, 110, 1202), {**CIFAR_DATA, **CIFAR_FULL}, "200 epochs, lr ÷10 at 100/150, 45k / 5k split"
        ),
    },
)

# ImageNet (the paper: batch 256, lr 0.1, τ = 2/√L with L the largest stage). The epoch count
# and step milestones are He et al.'s 90-epoch recipe approximated by our step schedule
# (÷10 at 50 % and 75 %). Runs on an image-folder copy: --data-dir with train/ and test/.
IMAGENET = TrainingSuite(
    name="imagenet",
    title="ImageNet, BatchNorm ResNet-50/101 with τ = 2/√L",
    methods=(Method("bn-tau", "ResNet + BN + τ = 2/√L", {"norm": "batch", "variant": "tau", "tau": "2/sqrt"}),),
    tiers={
        "full": Recipe(
            (50, 101),
            {"data": "folder", "epochs": 90, "schedule": "step", "batch_size": 256, "lr": 0.1, "weight_decay": 1e-4},
            "90 epochs, batch 256, lr 0.1 ÷10 at 45/67, τ = 2/√L",
        ),
    },
)

TRAINING_SUITES = {suite.name: suite for suite in (BN_VS_TAU, NO_NORM, IMAGENET)}
ANALYSIS_SUITES = ("stability", "convergence")
SUITES = (*TRAINING_SUITES, *ANALYSIS_SUITES)
