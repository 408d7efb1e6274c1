"""``tauresnet`` command line: the only place that prints and exits."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from .config import TrainConfig, config_fields, read_config_file
from .data import DataError

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
    train = sub.add_parser("train", help="train a model; see DESIGN.md §3 for the run directory")
    train.add_argument("--config", help="TOML file of flag values (flags given here win)")
    _add_config_flags(train)
    evaluate = sub.add_parser("eval", help="evaluate a checkpoint: top-1 and loss")
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--data", help="dataset (default: the one it was trained on)")
    evaluate.add_argument("--data-dir", help="dataset folder or archive")
    evaluate.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    evaluate.add_argument(
        "--out", help="write the result as JSON here (default: eval.json beside the checkpoint's run)"
    )
    return parser


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
    if summary["final_test_acc"] is not None:
        print(
            f"{summary['status']}: best {summary['eval_split']} accuracy {100 * summary['best_test_acc']:.2f}%, "
            f"final {100 * summary['final_test_acc']:.2f}% after {summary['epochs_done']} epochs "
            f"in {summary['wall_seconds']:.0f}s; run in {config.out}"
        )
    return result.exit_code


def _eval(args: argparse.Namespace) -> int:
    from .train.evaluate import evaluate_checkpoint

    result = evaluate_checkpoint(Path(args.checkpoint), data=args.data, data_dir=args.data_dir, device=args.device)
    out = Path(args.out) if args.out else Path(args.checkpoint).resolve().parent.parent / "eval.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{result['model']} on {result['data']} {result['split']}: top-1 {100 * result['top1']:.2f}%, "
        f"loss {result['loss']:.4f} ({result['images']} images); written to {out}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    commands = {"models": lambda: _models(), "train": lambda: _train(args), "eval": lambda: _eval(args)}
    try:
        return commands[args.command]()
    except (ValueError, FileNotFoundError, FileExistsError, DataError) as error:
        print(f"tauresnet {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tauresnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
