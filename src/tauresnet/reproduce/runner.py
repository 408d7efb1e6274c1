"""Running a training suite: one ordinary run directory per (method, depth, seed).

Re-running a suite skips runs that finished (completed or diverged), resumes interrupted ones
from their last checkpoint and starts the rest; the test set is evaluated once per run, on the
checkpoint chosen on the validation split, and stored in the run's ``test.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import RUNTIME_FIELDS, TrainConfig, read_config_file
from ..train import train
from ..train.evaluate import evaluate_checkpoint
from ..train.loop import EXIT_INTERRUPTED
from .suites import Method, TrainingSuite

log = logging.getLogger(__name__)
FINISHED = ("completed", "diverged")


@dataclass(frozen=True)
class RunSpec:
    method: Method
    depth: int
    seed: int
    config: TrainConfig

    @property
    def out(self) -> Path:
        return Path(self.config.out)


def plan(
    suite: TrainingSuite, tier: str, seeds: int, out: Path, base: dict[str, Any], depths: tuple[int, ...] | None = None
) -> list[RunSpec]:
    """Every run of ``suite`` in ``tier``: recipe settings, then the method's, then ``base``
    (device, threads, data location: what does not change the experiment)."""
    if tier not in suite.tiers:
        raise ValueError(f"suite {suite.name} has no {tier} tier; it has {', '.join(suite.tiers)}")
    recipe = suite.tiers[tier]
    unknown = sorted(set(depths or ()) - set(recipe.depths))
    if unknown:
        raise ValueError(f"depths {unknown} are not in the {tier} tier of {suite.name}: {list(recipe.depths)}")
    specs = []
    for depth in dict.fromkeys(depths or recipe.depths):
        for method in suite.methods:
            for seed in range(seeds):
                run_dir = out / f"{method.name}-{depth}" / f"seed{seed}"
                values = {
                    **recipe.settings,
                    **method.settings,
                    **base,
                    "model": suite.model(depth),
                    "seed": seed,
                    "out": str(run_dir),
                }
                specs.append(RunSpec(method, depth, seed, TrainConfig(**values)))
    return specs


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when it is missing or damaged (it is then redone)."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):  # ValueError covers bad JSON and bad UTF-8
        return None
    return value if isinstance(value, dict) else None


def run_state(run_dir: Path) -> str:
    """finished, resumable (a checkpoint to continue from) or new."""
    if (read_json(run_dir / "summary.json") or {}).get("status") in FINISHED:
        return "finished"
    return "resumable" if (run_dir / "checkpoints" / "last.pt").is_file() else "new"


def check_same_experiment(spec: RunSpec) -> None:
    """Refuse to count a run made with another recipe (another tier, dataset, ...) as this one."""
    path = spec.out / "config.toml"
    try:
        saved = read_config_file(path)
    except ValueError:
        raise ValueError(f"{path} is missing or damaged; delete {spec.out} to redo that run") from None
    wanted = spec.config.to_dict()
    default = TrainConfig().to_dict()
    different = [key for key in wanted if key not in RUNTIME_FIELDS and saved.get(key, default[key]) != wanted[key]]
    if different:
        details = ", ".join(
            f"{key.replace('_', '-')} {saved.get(key, default[key])!r} (suite: {wanted[key]!r})" for key in different
        )
        raise ValueError(
            f"{spec.out} holds a run made with other settings: {details}; use another --out, or delete that run to redo it"
        )


def execute(spec: RunSpec) -> int:
    """Bring one run to its end (or to an interruption) and evaluate it on test once.

    Returns the trainer's exit code (0 also for a run found already finished).
    """
    state = run_state(spec.out)
    if state != "new":
        check_same_experiment(spec)
    if state == "finished":
        log.info("%s: finished before, skipped", spec.out)
        code = 0
    else:
        # A run without a checkpoint has nothing to lose: start it afresh over any partial files.
        config = spec.config.replace(resume=state == "resumable", overwrite=state == "new")
        log.info("%s: %s", spec.out, "resuming" if config.resume else "starting")
        overrides = {key: getattr(config, key) for key in ("out", "device", "threads", "data_dir")}
        code = train(config, overrides=overrides).exit_code
        if code == EXIT_INTERRUPTED:
            return code
    test_file = spec.out / "test.json"
    best = spec.out / "checkpoints" / "best.pt"
    if read_json(test_file) is None and best.is_file():
        result = evaluate_checkpoint(best, data_dir=spec.config.data_dir, device=spec.config.device, split="test")
        test_file.write_text(json.dumps(result, indent=2) + "\n")
    return code


def collect(spec: RunSpec) -> dict[str, Any]:
    """One row of results.csv from a run directory (missing values are None)."""
    summary = read_json(spec.out / "summary.json") or {}
    test = read_json(spec.out / "test.json") or {}
    top1 = test.get("top1")
    return {
        "method": spec.method.name,
        "depth": spec.depth,
        "seed": spec.seed,
        "status": summary.get("status", "missing"),
        "epochs_done": summary.get("epochs_done"),
        "best_val_acc": summary.get("best_test_acc"),
        "test_acc": top1,
        "test_error": None if top1 is None else 100 * (1 - top1),
        "tau": summary.get("tau"),
        "wall_seconds": summary.get("wall_seconds"),
        "run_dir": str(spec.out),
    }
