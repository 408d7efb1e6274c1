"""The training configuration: one frozen, typed, self-checking record.

Every field is a ``tauresnet train`` flag (``batch_size`` -> ``--batch-size``) and a TOML key
(``batch-size`` or ``batch_size``). Defaults follow the paper's CIFAR recipe (SGD 0.1, momentum
0.9, weight decay 1e-4, batch 128, τ = 1/√L) with the README demo's shorter cosine schedule.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .data.datasets import DATASETS
from .models.layers import NORMS, VARIANTS

SCHEDULES = ("step", "cosine")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "bf16", "fp32")
# Fields that say where and how a run executes, not what it computes: a resumed run or a
# reproduce suite may differ in them.
RUNTIME_FIELDS = frozenset(
    {
        "device",
        "threads",
        "data_dir",
        "download",
        "out",
        "resume",
        "overwrite",
        "log_every",
        "eval_batch_size",
        "save_every",
        "monitor",
        "monitor_every",
        "compile",
        "checkpoint_activations",
        "dist_backend",
    }
)


def _opt(help_text: str, default: Any = None, choices: tuple | None = None) -> Any:
    return field(default=default, metadata={"help": help_text, "choices": choices})


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run depends on; saved as ``config.toml`` and inside every checkpoint."""

    # data
    data: str = _opt("dataset", "fashion-mnist", DATASETS)
    data_dir: str | None = _opt("dataset folder or archive (default: the documented search paths)")
    download: bool = _opt("download the dataset from its official URL (SHA-256 checked) if not found", False)
    val_split: float = _opt("hold out this fraction of train and evaluate on it instead of test", 0.0)
    train_subset: int | None = _opt("train on a fixed random subset of this many images")
    test_subset: int | None = _opt("evaluate on a fixed random subset of this many images")
    augment: bool = _opt("random crop (zero padding) + horizontal flip, batched on tensors", True)
    # model
    model: str = _opt("model name (see `tauresnet models`)", "resnet20")
    norm: str | None = _opt("normalisation (default: batch, or none for fixup/rezero)", None, NORMS)
    tau: str | None = _opt("τ: a number, sqrt (1/√L), inv (1/L) or c/sqrt (default: the model's rule)")
    learnable_tau: bool = _opt("learn one τ shared by all blocks (mean gradient, lr/10)", False)
    variant: str = _opt("tau, or a baseline", "tau", VARIANTS)
    # optimisation
    epochs: int = _opt("epochs", 15)
    batch_size: int = _opt("training batch size", 128)
    # 256 rather than larger: on a 2-core CPU it evaluates ResNet-20/56 25-45 % faster than 1000.
    eval_batch_size: int = _opt("evaluation batch size", 256)
    lr: float = _opt("base learning rate (τ and scalar biases use lr/10)", 0.1)
    momentum: float = _opt("SGD momentum", 0.9)
    nesterov: bool = _opt("Nesterov momentum", False)
    weight_decay: float = _opt("weight decay", 1e-4)
    decay_scalars_and_norms: bool = _opt("apply weight decay to τ, scalar biases and norm parameters too", True)
    schedule: str = _opt("lr schedule: step (÷10 at 50%% and 75%% of epochs) or cosine", "cosine", SCHEDULES)
    warmup_epochs: float = _opt("linear warm-up from 0 over this many epochs", 0.0)
    label_smoothing: float = _opt("label smoothing", 0.0)
    seed: int = _opt("random seed (init, data order, augmentation)", 0)
    # execution
    device: str = _opt("device", "auto", DEVICES)
    precision: str = _opt("bf16 autocast where the hardware has it (auto), or force one", "auto", PRECISIONS)
    channels_last: bool = _opt("channels_last memory format", True)
    threads: int | None = _opt("CPU threads (default: PyTorch's choice)")
    compile: bool = _opt("torch.compile the model (the first steps take longer; the time is logged)", False)
    checkpoint_activations: bool = _opt(
        "activation checkpointing in segments of ~√(n/4) blocks per stage: far less memory, one extra forward", False
    )
    # distributed (under torchrun)
    per_device_batch: int | None = _opt(
        "batch per process under torchrun; replaces batch-size (global batch = this × processes)"
    )
    sync_bn: bool = _opt("synchronise BatchNorm statistics across processes under torchrun", False)
    dist_backend: str = _opt(
        "process-group backend under torchrun: auto (nccl on CUDA, gloo on CPU)", "auto", ("auto", "nccl", "gloo")
    )
    # output
    out: str = _opt("run directory", "runs/latest")
    resume: bool = _opt("continue the run in --out from checkpoints/last.pt", False)
    overwrite: bool = _opt("start afresh in a non-empty --out, deleting its run files", False)
    log_every: int = _opt("progress/log interval in steps", 50)
    save_every: int | None = _opt("also save checkpoints/last.pt every this many steps (default: each epoch)")
    on_diverge: str = _opt(
        "on a non-finite loss: stop (exit 3) or rollback to last.pt with half the lr", "stop", ("stop", "rollback")
    )
    max_rollbacks: int = _opt("at most this many rollbacks per run", 3)
    monitor: bool = _opt("record branch/skip ratios, gradient norm and τ to monitor.csv; warn on instability", False)
    monitor_every: int = _opt("stability monitor interval in steps", 50)

    def __post_init__(self) -> None:
        for f in fields(self):
            choices = f.metadata.get("choices")
            value = getattr(self, f.name)
            if choices and value is not None and value not in choices:
                raise ValueError(f"{f.name.replace('_', '-')} {value!r} is not one of {', '.join(choices)}")
        positive = ("epochs", "batch_size", "eval_batch_size", "log_every", "monitor_every")
        if self.save_every is not None and self.save_every < 1:
            raise ValueError(f"save-every must be >= 1 step, got {self.save_every}")
        if self.max_rollbacks < 0:
            raise ValueError(f"max-rollbacks must be >= 0, got {self.max_rollbacks}")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        for name in ("lr", "momentum", "weight_decay", "warmup_epochs", "label_smoothing"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name.replace('_', '-')} must be a finite number >= 0, got {value}")
        if not self.lr > 0:
            raise ValueError(f"lr must be a finite number > 0, got {self.lr}")
        if self.momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in [0, 2**32 - 1], got {self.seed}")
        if self.per_device_batch is not None and self.per_device_batch < 1:
            raise ValueError(f"per-device-batch must be >= 1, got {self.per_device_batch}")
        if self.compile and self.checkpoint_activations:
            raise ValueError("compile and checkpoint-activations do not combine here; choose one")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")
        if not 0 <= self.val_split < 1:
            raise ValueError(f"val-split must be in [0, 1), got {self.val_split}")
        if self.label_smoothing >= 1:
            raise ValueError(f"label-smoothing must be < 1, got {self.label_smoothing}")
        if self.warmup_epochs >= self.epochs and self.warmup_epochs > 0:
            raise ValueError(f"warmup-epochs {self.warmup_epochs} must be shorter than epochs {self.epochs}")

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> TrainConfig:
        """A config from a checkpoint's dict; keys this version does not know are dropped."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})

    def model_kwargs(self) -> dict[str, Any]:
        """Arguments for ``create_model`` (unset ones are dropped there)."""
        return {
            "norm": self.norm,
            "tau": self.tau,
            "learnable_tau": self.learnable_tau or None,
            "variant": self.variant,
        }

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def config_fields() -> list[dataclasses.Field]:
    return list(fields(TrainConfig))


def _coerce(f: dataclasses.Field, value: Any) -> Any:
    """Check a TOML value against the field's type; numbers given as strings are refused."""
    kind = str(f.type)
    if value is None:
        return None
    if "bool" in kind:
        if not isinstance(value, bool):
            raise ValueError(f"config key {f.name!r} must be true or false, got {value!r}")
        return value
    if kind.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"config key {f.name!r} must be an integer, got {value!r}")
        return value
    if kind.startswith("float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"config key {f.name!r} must be a number, got {value!r}")
        return float(value)
    return str(value)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """TOML -> {field name: value}; unknown keys are refused with the known ones."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ValueError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"config file {path} is a directory; pass a .toml file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"config file {path} is not valid UTF-8 TOML: {error}") from None
    known = {f.name: f for f in config_fields()}
    values = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ValueError(f"config file {path}: unknown key {key!r}; known keys: {', '.join(sorted(known))}")
        values[name] = _coerce(known[name], value)
    return values


def to_toml(config: TrainConfig) -> str:
    """Full resolved config as TOML (unset values are written as comments)."""
    lines = []
    for name, value in config.to_dict().items():
        key = name.replace("_", "-")
        if value is None:
            lines.append(f"# {key} = (unset)")
        elif isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            lines.append(f"{key} = {value!r}")
        else:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{key} = "{escaped}"')
    return "\n".join(lines) + "\n"
