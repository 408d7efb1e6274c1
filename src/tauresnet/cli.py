"""``tauresnet`` command line: the only place that prints and exits."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from .analysis.convergence import DEFAULT_DEPTHS as CONVERGENCE_DEPTHS
from .analysis.sweep import DEFAULT_DEPTHS as STABILITY_DEPTHS
from .analysis.sweep import DEFAULT_TAUS
from .config import TrainConfig, config_fields, read_config_file
from .data import DataError
from .reproduce.suites import SUITES as SUITE_NAMES

EXIT_USAGE = 2
log = logging.getLogger("tauresnet")


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field; defaults are None so we know what the user set."""
    for f in config_fields():
        flag = "--" + f.name.replace("_", "-")
        kind = str(f.type)
        help_text = f.metadata["help"] + (f" (default: {f.default})" if f.default is not None else "")
        if "bool" in kind:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            convert = int if kind.startswith("int") else float if kind.startswith("float") else str
            parser.add_argument(flag, type=convert, default=None, choices=f.metadata["choices"], help=help_text)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tauresnet", description="Deep ResNets stabilised by τ = O(1/√L).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="list model names, depth, L, default τ and parameters")
    train = sub.add_parser("train", help="train a model into a run directory (see README: Output)")
    train.add_argument("--config", help="TOML file of flag values (flags given here win)")
    _add_config_flags(train)
    evaluate = sub.add_parser("eval", help="evaluate a checkpoint: top-1 and loss")
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--data", help="dataset (default: the one it was trained on)")
    evaluate.add_argument("--data-dir", help="dataset folder or archive")
    evaluate.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    evaluate.add_argument(
        "--trust-checkpoint",
        action="store_true",
        help="allow full unpickling (can run code in the file): only for checkpoints you trust",
    )
    evaluate.add_argument(
        "--out", help="write the result as JSON here (default: eval.json beside the checkpoint's run)"
    )
    stability = sub.add_parser("stability", help="forward/backward signal size at init over depth × τ")
    stability.add_argument(
        "--family", default="resmlp", choices=("resmlp", "cifar"), help="residual MLP or CIFAR ResNet"
    )
    stability.add_argument("--norm", default="none", choices=("none", "batch"), help="normalisation of CIFAR ResNets")
    stability.add_argument(
        "--depths",
        type=_int_list,
        help="blocks (resmlp) or layers 6n+2 (cifar); default 10,30,100,300,1000,3000,10000 or 20,56,110,1202",
    )
    _add_taus_option(stability)
    stability.add_argument("--seeds", type=int, default=3, help="random initialisations per cell")
    stability.add_argument("--width", type=int, default=256, help="resmlp width (and input size)")
    stability.add_argument("--batch", type=int, default=16, help="random inputs per probe")
    stability.add_argument(
        "--out", default="runs/stability", help="folder for records.csv, summary.json, stability.png"
    )
    convergence = sub.add_parser("convergence", help="full-batch GD on a residual MLP for several depths and τ")
    convergence.add_argument(
        "--depths", type=_int_list, default=CONVERGENCE_DEPTHS, help="residual blocks (default 10,100,1000)"
    )
    _add_taus_option(convergence)
    convergence.add_argument("--width", type=int, default=256, help="hidden width m")
    convergence.add_argument("--samples", type=int, default=16, help="random training samples n")
    convergence.add_argument("--iterations", type=int, default=500, help="gradient-descent steps at most")
    convergence.add_argument("--lr", type=float, default=0.01, help="step size, the same for every cell")
    convergence.add_argument("--target", type=float, default=1e-3, help="success: loss below target × initial loss")
    convergence.add_argument("--out", default="runs/convergence", help="folder for summary.json and convergence.png")
    reproduce = sub.add_parser("reproduce", help="run one of the paper's experiment suites and tabulate it")
    reproduce.add_argument("suite", choices=SUITE_NAMES, help="experiment suite")
    reproduce.add_argument(
        "--tier", default="cpu", choices=("cpu", "full"), help="cpu: scaled down; full: the paper's recipe"
    )
    reproduce.add_argument("--seeds", type=int, default=3, help="seeds per method and depth")
    reproduce.add_argument("--depths", type=_int_list, help="only these of the tier's depths")
    reproduce.add_argument("--out", help="suite folder (default: runs/reproduce/SUITE-TIER)")
    reproduce.add_argument("--resume", action="store_true", help="skip finished runs, continue interrupted ones")
    reproduce.add_argument("--data-dir", help="dataset folder or archive (CIFAR-10, or an ImageNet image tree)")
    reproduce.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    reproduce.add_argument("--threads", type=int, help="CPU threads (default: PyTorch's choice)")
    bench = sub.add_parser("bench", help="training/eval speed and memory: fast path vs a paper-style reference")
    bench.add_argument("--models", type=_str_list, default=["resnet20", "resnet56", "resnet110"], help="CIFAR models")
    bench.add_argument("--norms", type=_str_list, default=["batch", "none"], help="normalisations (batch, none)")
    bench.add_argument("--batch-size", type=int, default=128, help="training batch")
    bench.add_argument("--steps", type=int, default=6, help="training steps per timed round")
    bench.add_argument("--rounds", type=int, default=3, help="alternating fast/naive rounds (medians reported)")
    bench.add_argument("--eval-images", type=int, default=2000, help="images per evaluation round")
    bench.add_argument("--memory-model", default="resnet1202", help="model for the memory check ('' to skip it)")
    bench.add_argument("--memory-batch", type=int, default=32, help="batch of the memory comparison")
    bench.add_argument("--threads", type=int, help="CPU threads (default: PyTorch's choice)")
    bench.add_argument("--out", default="runs/bench", help="folder for bench.json and bench.md")
    return parser


def _add_taus_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--taus",
        type=_str_list,
        default=DEFAULT_TAUS,
        help="τ as exponents of L (L^-1/2) or numbers (default: L^-1,L^-1/2,L^-1/4,L^0)",
    )


def _int_list(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None


def _str_list(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _stability(args: argparse.Namespace) -> int:
    from .analysis.sweep import stability_study

    if args.depths == []:
        raise ValueError("--depths is empty; e.g. --depths 10,100,1000")
    depths = args.depths or STABILITY_DEPTHS[args.family]
    if args.family == "cifar":
        bad = [d for d in depths if d < 8 or (d - 2) % 6]
        if bad:
            raise ValueError(f"depths {bad} are not 6n+2 (e.g. 20, 56, 110, 1202) as CIFAR ResNets need")
    if not args.taus:
        raise ValueError("--taus is empty; give e.g. L^-1,L^-1/2,L^-1/4,L^0")
    if min(depths) < 1 or args.seeds < 1 or args.width < 1 or args.batch < 1:
        raise ValueError("depths, seeds, width and batch must be >= 1")
    out = Path(args.out)
    table = stability_study(
        args.family,
        depths,
        args.taus,
        args.seeds,
        out,
        norm=args.norm,
        width=args.width,
        batch=args.batch,
        on_record=lambda r: log.info(
            "depth %d  τ %s = %.4g  seed %d  ratio %.3g", r.depth, r.tau_label, r.tau, r.seed, r.forward_ratio
        ),
    )
    print(table, end="")
    print(f"wrote {out / 'records.csv'}, {out / 'summary.json'}, {out / 'stability.png'}")
    return 0


def _convergence(args: argparse.Namespace) -> int:
    from .analysis.convergence import convergence_study

    if not args.taus or not args.depths:
        raise ValueError("--taus and --depths must not be empty; e.g. --depths 10,100 --taus L^-1,L^-1/2")
    if not 0 < args.target < 1:
        raise ValueError(f"--target must be in (0, 1), got {args.target}")
    if min(args.depths) < 1 or args.iterations < 1 or args.samples < 1 or args.width < 1 or not args.lr > 0:
        raise ValueError("depths, iterations, samples and width must be >= 1 and lr > 0")
    out = Path(args.out)
    table = convergence_study(
        args.depths,
        args.taus,
        out,
        width=args.width,
        samples=args.samples,
        lr=args.lr,
        iterations=args.iterations,
        target_ratio=args.target,
        on_run=lambda run: log.info(
            "depth %d  τ %s  loss %.3g -> %.3g", run.depth, run.tau_label, run.initial_loss, run.final_loss
        ),
    )
    print(table, end="")
    print(f"wrote {out / 'summary.json'}, {out / 'convergence.png'}")
    return 0


def _check_out_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder; choose another path")


def _reproduce(args: argparse.Namespace) -> int:
    from .reproduce import run_suite

    out = Path(args.out or f"runs/reproduce/{args.suite}-{args.tier}")
    _check_out_folder(out)
    if args.depths == []:
        raise ValueError("--depths is empty; give some of the tier's depths, e.g. --depths 20,56")
    base = {"device": args.device, "threads": args.threads, "data_dir": args.data_dir}
    if args.suite == "imagenet" and not args.data_dir:
        raise ValueError("the imagenet suite needs --data-dir with an image tree train/<class>/*, test/<class>/*")
    result = run_suite(
        args.suite, args.tier, args.seeds, out, resume=args.resume, base=base, depths=tuple(args.depths or ()) or None
    )
    print(result.report, end="")
    print("wrote " + ", ".join(str(path) for path in result.files))
    return result.exit_code


def _bench(args: argparse.Namespace) -> int:
    import torch

    from .bench import markdown, run_bench
    from .models import describe_model

    if not args.models:
        raise ValueError("--models is empty; e.g. --models resnet20,resnet56")
    unknown = [norm for norm in args.norms if norm not in ("batch", "none")]
    if unknown or not args.norms:
        raise ValueError(f"--norms takes batch and/or none, got {args.norms}")

    def is_cifar(name: str) -> bool:
        try:
            return describe_model(name)["family"] == "cifar"
        except ValueError:
            return False

    bad = [m for m in [*args.models, *([args.memory_model] if args.memory_model else [])] if not is_cifar(m)]
    if bad:
        raise ValueError(f"{bad}: the bench compares CIFAR ResNets resnet<6n+2>, e.g. resnet20,resnet56,resnet1202")
    if min(args.batch_size, args.steps, args.rounds, args.eval_images, args.memory_batch) < 1:
        raise ValueError("--batch-size, --steps, --rounds, --eval-images and --memory-batch must be >= 1")
    out = Path(args.out)
    _check_out_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    report = run_bench(
        args.models,
        args.norms,
        args.batch_size,
        args.steps,
        args.rounds,
        args.eval_images,
        args.memory_model or None,
        args.memory_batch,
    )
    (out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (out / "bench.md").write_text(table)
    print(table, end="")
    print(f"wrote {out / 'bench.json'}, {out / 'bench.md'}")
    return 0


def _models() -> int:
    from .models import describe_model, list_models

    rows = [describe_model(name) for name in list_models()]
    print("| model | family | depth | L | default τ | parameters |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['name']} | {row['family']} | {row['depth']} | {row['num_blocks']} | {row['tau_rule']} = {row['tau']:.4f} | {row['params']:,} |"
        )
    return 0


def _train(args: argparse.Namespace) -> int:
    from .train import train

    values: dict[str, Any] = read_config_file(args.config) if args.config else {}
    overrides = {f.name: getattr(args, f.name) for f in config_fields() if getattr(args, f.name) is not None}
    values.update(overrides)
    config = TrainConfig(**values)
    result = train(config, overrides={**values}, show_progress=sys.stderr.isatty())
    summary = result.summary
    if summary["final_test_acc"] is not None and os.environ.get("RANK", "0") == "0":
        print(
            f"{summary['status']}: best {summary['eval_split']} accuracy {100 * summary['best_test_acc']:.2f}%, "
            f"final {100 * summary['final_test_acc']:.2f}% after {summary['epochs_done']} epochs "
            f"in {summary['wall_seconds']:.0f}s; run in {config.out}"
        )
    return result.exit_code


def _eval(args: argparse.Namespace) -> int:
    from .train.evaluate import evaluate_checkpoint

    checkpoint = Path(args.checkpoint)
    result = evaluate_checkpoint(
        checkpoint, data=args.data, data_dir=args.data_dir, device=args.device, trust=args.trust_checkpoint
    )
    if args.out:
        out = Path(args.out)
    else:  # the run directory for checkpoints/<name>.pt, else beside the checkpoint
        resolved = checkpoint.resolve() / "checkpoints" / "best.pt" if checkpoint.is_dir() else checkpoint.resolve()
        in_run = resolved.parent.name == "checkpoints"
        out = resolved.parent.parent / "eval.json" if in_run else resolved.with_suffix(".eval.json")
    if out.is_dir():
        raise ValueError(f"--out {out} is a directory; give a file name such as {out / 'eval.json'}")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{result['model']} on {result['data']} {result['split']}: top-1 {100 * result['top1']:.2f}%, "
        f"loss {result['loss']:.4f} ({result['images']} images); written to {out}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    # Under torchrun only rank 0 reports progress; the others speak up for warnings and errors.
    quiet = os.environ.get("RANK", "0") != "0"
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    commands = {
        "models": _models,
        "train": lambda: _train(args),
        "eval": lambda: _eval(args),
        "stability": lambda: _stability(args),
        "convergence": lambda: _convergence(args),
        "reproduce": lambda: _reproduce(args),
        "bench": lambda: _bench(args),
    }
    try:
        return commands[args.command]()
    except (ValueError, OSError, DataError) as error:
        print(f"tauresnet {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tauresnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
