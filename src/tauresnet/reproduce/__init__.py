"""``tauresnet reproduce``: the paper's experiments as named suites, aggregated against its numbers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..train.loop import EXIT_INTERRUPTED
from .report import machine, write_report
from .runner import collect, execute, plan, run_state
from .suites import ANALYSIS_SUITES, SUITES, TIERS, TRAINING_SUITES, TrainingSuite

__all__ = ["SUITES", "TIERS", "SuiteResult", "run_suite", "run_training_suite"]
log = logging.getLogger(__name__)


@dataclass
class SuiteResult:
    exit_code: int
    files: list[Path]
    report: str


def run_suite(
    name: str,
    tier: str,
    seeds: int,
    out: Path,
    *,
    resume: bool = False,
    base: dict[str, Any] | None = None,
    depths: tuple[int, ...] | None = None,
) -> SuiteResult:
    """Run suite ``name`` into ``out`` and write its results files.

    ``base``: TrainConfig fields applied to every run that do not change the experiment
    (data_dir, device, threads, ...). ``depths`` narrows a training suite to some of its tier's
    depths. Without ``resume`` a folder that already holds runs is refused.
    """
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; choose one of {', '.join(SUITES)}")
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
    if seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {seeds}")
    if name in ANALYSIS_SUITES:
        return _analysis_suite(name, out, seeds, depths)
    return run_training_suite(TRAINING_SUITES[name], tier, seeds, out, resume=resume, base=base, depths=depths)


def run_training_suite(
    suite: TrainingSuite,
    tier: str,
    seeds: int,
    out: Path,
    *,
    resume: bool = False,
    base: dict[str, Any] | None = None,
    depths: tuple[int, ...] | None = None,
) -> SuiteResult:
    """Every run of ``suite`` in turn (see ``run_suite``); stops after saving when interrupted."""
    specs = plan(suite, tier, seeds, out, base or {}, depths)
    started = [s for s in specs if run_state(s.out) != "new"]
    if started and not resume:
        raise FileExistsError(
            f"{out} already holds {len(started)} run(s) of this suite; pass --resume to skip finished runs and "
            "continue the others, or choose another --out"
        )
    code = 0
    for index, spec in enumerate(specs, 1):
        log.info("run %d/%d: %s depth %d seed %d", index, len(specs), spec.method.name, spec.depth, spec.seed)
        if execute(spec) == EXIT_INTERRUPTED:
            log.warning("suite interrupted; continue it with the same command and --resume (finished runs are kept)")
            code = EXIT_INTERRUPTED
            break
    files = write_report(suite, tier, [collect(s) for s in specs], seeds, out)
    return SuiteResult(code, files, (out / "results.md").read_text())


def _analysis_suite(name: str, out: Path, seeds: int, depths: tuple[int, ...] | None) -> SuiteResult:
    """The analysis tools' figures (default depths unless ``depths``); minutes, so both tiers run
    the same thing and a re-run recomputes them. ``seeds`` applies to stability (convergence
    uses one fixed problem)."""
    from ..analysis import convergence, sweep

    if depths and min(depths) < 1:
        raise ValueError(f"--depths must be residual block counts >= 1, got {list(depths)}")
    depths = tuple(sorted(set(depths))) if depths else None
    out.mkdir(parents=True, exist_ok=True)
    if name == "stability":
        title = f"Signal growth at initialisation, residual MLP (width 256, {seeds} seeds)"
        chosen = list(depths or sweep.DEFAULT_DEPTHS["resmlp"])
        table = sweep.stability_study("resmlp", chosen, sweep.DEFAULT_TAUS, seeds, out)
        files = [out / "records.csv", out / "summary.json", out / "stability.png"]
    else:
        title = "Full-batch gradient descent on a residual MLP (width 256, 16 samples, lr 0.01)"
        table = convergence.convergence_study(list(depths or convergence.DEFAULT_DEPTHS), sweep.DEFAULT_TAUS, out)
        files = [out / "summary.json", out / "convergence.png"]
    report = f"# {title}\n\n- suite `{name}`; machine: {machine()}; written {date.today().isoformat()}\n\n{table}"
    (out / "results.md").write_text(report)
    return SuiteResult(0, [out / "results.md", *files], report)
