"""The training loop: one run from a config to a run directory (README: Output)."""

from __future__ import annotations

import logging
import math
import random
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..analysis.monitor import StabilityMonitor
from ..analysis.plots import plot_training
from ..config import RUNTIME_FIELDS, TrainConfig, to_toml
from ..data import ImageDataset, load_dataset, normalize
from ..data.augment import apply_crop_flip, draw_crop_flip
from ..models import create_model
from ..optim import lr_factor, param_groups
from .checkpoint import load_checkpoint, restore_rng, rng_state, save_checkpoint, unwrap
from .device import pick_device, pick_dtype
from .distributed import SINGLE, World, close_world, convert_sync_batchnorm, init_world, scaled_cross_entropy
from .log import write_metrics, write_summary

log = logging.getLogger(__name__)

EXIT_OK, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 3, 130
RUN_FILES = ("config.toml", "metrics.csv", "summary.json", "curves.png", "monitor.csv", "checkpoints")
# Padding of the random crop: 4 px for 32×32 (He et al.), 2 px for 28×28 Fashion-MNIST.
CROP_PADDING = {32: 4, 28: 2}


class Diverged(RuntimeError):
    """The loss became non-finite."""


@dataclass
class RunResult:
    exit_code: int
    summary: dict[str, Any]


class StopRequest:
    """Set by SIGINT/SIGTERM; the loop saves at the next step boundary. A second signal
    restores the default handler's behaviour and exits at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.requested:
            raise SystemExit(EXIT_INTERRUPTED)
        self.requested = True
        log.warning(
            "stop requested (signal %d): saving a checkpoint at the next step; signal again to quit now", signum
        )

    def __enter__(self) -> StopRequest:
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: no signal handling
                pass
        return self

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _stream_seed(seed: int, epoch: int, step: int = -1) -> int:
    """A distinct, reproducible generator seed per (seed, epoch, step): data order and
    augmentation depend only on these, so a run resumed mid-epoch sees the same batches."""
    return ((seed * 1_000_003 + epoch) * 1_000_033 + step + 1) % (2**63)


def check_run_dir(out: Path, config: TrainConfig) -> None:
    """Refuse to mix two runs in one directory unless asked to overwrite (changes nothing)."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} is a file, not a run directory; choose another path")
    present = [name for name in RUN_FILES if (out / name).exists()]
    if present and not config.overwrite:
        raise FileExistsError(
            f"run directory {out} already holds a run ({', '.join(present)}); pass --resume to continue it, --overwrite to replace it, or another --out"
        )


def clear_run_dir(out: Path) -> None:
    """Delete an earlier run's files (after ``check_run_dir`` and once the new run is built)."""
    for name in RUN_FILES:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)


class Trainer:
    """Holds the state of one run; ``run()`` trains to the end or to a stop."""

    def __init__(
        self,
        config: TrainConfig,
        data: ImageDataset | None = None,
        resume_state: dict | None = None,
        show_progress: bool = False,
        world: World = SINGLE,
    ) -> None:
        self.config = config
        self.out = Path(config.out)
        self.world = world
        self.show_progress = show_progress and world.is_main
        if config.threads:
            torch.set_num_threads(config.threads)
        self.device = pick_device(config.device)
        if self.device.type == "cuda" and world.distributed:
            self.device = torch.device("cuda", world.local_rank)
        if config.per_device_batch is not None:
            self.global_batch = config.per_device_batch * world.size
        elif config.batch_size % world.size:
            raise ValueError(
                f"batch-size {config.batch_size} does not split evenly over {world.size} processes; "
                f"use a multiple of {world.size} or set --per-device-batch"
            )
        else:
            self.global_batch = config.batch_size
        self.dtype = pick_dtype(config.precision, self.device)
        self.data = data or load_dataset(
            config.data,
            config.data_dir,
            download=config.download,
            val_split=config.val_split,
            train_subset=config.train_subset,
            test_subset=config.test_subset,
            split_seed=config.seed,
        )
        _seed_all(config.seed)
        # The residual MLP takes flattened images; conv nets take the channel count.
        shape = self.data.train_images.shape[1:]
        size = {"in_features": int(shape.numel())} if config.model == "resmlp" else {"in_chans": self.data.in_chans}
        model = create_model(config.model, num_classes=self.data.num_classes, **size, **config.model_kwargs())
        self.memory_format = (
            torch.channels_last
            if config.channels_last and self.data.train_images.ndim == 4
            else torch.contiguous_format
        )
        if config.sync_bn:
            model = convert_sync_batchnorm(model, self.device)
        if config.checkpoint_activations:
            if not hasattr(model, "set_grad_checkpointing"):
                raise ValueError(f"--checkpoint-activations needs a ResNet; {config.model} has no residual stages")
            model.set_grad_checkpointing(True)
        self.model = model.to(self.device, memory_format=self.memory_format)
        self.forward_model = self._wrap(self.model)
        self.first_step_seconds: float | None = None
        self.images_per_second: float | None = None  # training throughput of the last epoch
        self.optimizer = torch.optim.SGD(
            param_groups(self.model, config.lr, config.weight_decay, config.decay_scalars_and_norms),
            lr=config.lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            # One kernel per tensor: the foreach path would also copy every gradient to add
            # weight decay out of place (ResNet-1202: 78 MB more at the peak).
            fused=True,
        )
        self.train_x = self.data.train_images.to(self.device)
        self.train_y = self.data.train_labels.to(self.device)
        self.test_x = self.data.test_images.to(self.device)
        self.test_y = self.data.test_labels.to(self.device)
        self.mean = torch.tensor(self.data.mean, device=self.device)
        self.std = torch.tensor(self.data.std, device=self.device)
        self.steps_per_epoch = math.ceil(len(self.train_y) / self.global_batch)
        self.epoch, self.step = 0, 0
        self.accumulated = {"loss": 0.0, "correct": 0.0, "seen": 0.0, "seconds": 0.0}
        self.history: list[dict[str, Any]] = []
        self.best_test_acc = -1.0
        self.wall_seconds = 0.0
        self.lr_scale = 1.0  # halved by each --on-diverge rollback
        self.rollbacks = 0
        if resume_state is not None:
            self._restore(resume_state)
        self.monitor: StabilityMonitor | None = None
        if config.monitor and not hasattr(unwrap(self.model), "blocks"):
            raise ValueError(f"--monitor needs a ResNet; {config.model} has no residual stages to monitor")

    def _wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """What the steps call: DistributedDataParallel under torchrun, compiled if asked."""
        if self.world.distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            model = DistributedDataParallel(model, device_ids=ids)
        return torch.compile(model) if self.config.compile else model

    # -- state -----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "model": unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "accumulated": dict(self.accumulated),
            "history": list(self.history),
            "global_batch": self.global_batch,
            "best_test_acc": self.best_test_acc,
            "wall_seconds": self.wall_seconds,
            "config": self.config.to_dict(),
            "classes": list(self.data.classes),
            "tau": float(unwrap(self.model).tau.detach()),
            "lr_scale": self.lr_scale,
            "rollbacks": self.rollbacks,
            "rng": rng_state(),
        }

    def load_weights(self, state: dict[str, Any]) -> None:
        """The model's weights (and a fixed τ, which is a buffer outside state_dict) from a checkpoint."""
        model = unwrap(self.model)
        model.load_state_dict(state["model"])
        if "tau" in state and not model.tau.requires_grad:
            model.tau.fill_(state["tau"])

    def _restore(self, state: dict[str, Any]) -> None:
        saved_batch = state.get("global_batch", self.global_batch)
        if saved_batch != self.global_batch:
            raise ValueError(
                f"this run was trained with a global batch of {saved_batch} and would continue with "
                f"{self.global_batch} ({self.world.size} process(es)); resume it with the same number of "
                "processes, or start a new run"
            )
        self.load_weights(state)
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.step = state["epoch"], state["step"]
        self.accumulated = dict(state["accumulated"])
        self.history = list(state["history"])
        self.best_test_acc = state["best_test_acc"]
        self.wall_seconds = state["wall_seconds"]
        self.lr_scale, self.rollbacks = state.get("lr_scale", 1.0), state.get("rollbacks", 0)
        restore_rng(state["rng"])

    def save(self, name: str) -> None:
        """Rank 0 writes; every rank waits until the file is complete."""
        if self.world.is_main:
            save_checkpoint(self.out / "checkpoints" / name, self.state())
        self.world.barrier()

    def summary(self, status: str) -> dict[str, Any]:
        return {
            "status": status,
            "best_test_acc": max((row["test_acc"] for row in self.history), default=None),
            "final_test_acc": self.history[-1]["test_acc"] if self.history else None,
            "epochs_done": len(self.history),
            "epochs": self.config.epochs,
            "wall_seconds": round(self.wall_seconds, 2),
            "model": self.config.model,
            "tau": float(unwrap(self.model).tau.detach()),
            "num_blocks": unwrap(self.model).num_blocks,
            "device": str(self.device),
            "precision": str(self.dtype).removeprefix("torch."),
            "eval_split": self.data.test_name,
            "processes": self.world.size,
            "global_batch": self.global_batch,
            "images_per_second": self.images_per_second,
            "first_step_seconds": self.first_step_seconds,
        }

    # -- steps -----------------------------------------------------------------------------
    def _set_lr(self, epoch_progress: float) -> float:
        factor = lr_factor(epoch_progress, self.config.epochs, self.config.schedule, self.config.warmup_epochs)
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr * self.lr_scale * group["lr_factor"] * factor
        return self.config.lr * self.lr_scale * factor

    def _batch(self, order: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        """This process's share of global batch ``step``: (images, labels, global batch size).
        The augmentation is drawn for the whole global batch, so any number of processes
        trains on exactly the images one process would."""
        index = order[step * self.global_batch : (step + 1) * self.global_batch]
        share = self.world.share(len(index))
        images = self.train_x[index[share]]
        if self.config.augment:
            generator = torch.Generator().manual_seed(_stream_seed(self.config.seed, self.epoch, step))
            padding = CROP_PADDING.get(images.shape[-1], images.shape[-1] // 8)
            images = apply_crop_flip(images, padding, draw_crop_flip(len(index), padding, generator)[share])
        x = normalize(images, self.mean, self.std).contiguous(memory_format=self.memory_format)
        return x, self.train_y[index[share]], len(index)

    def _train_step(self, x: torch.Tensor, y: torch.Tensor, global_count: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One SGD step; returns this process's (loss sum, correct count), on the device."""
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32):
            logits = self.forward_model(x)
            loss = scaled_cross_entropy(logits.float(), y, global_count, self.world, self.config.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        try:
            self.optimizer.step()
        except RuntimeError as error:
            if "overflow" not in str(error):
                raise
            raise Diverged(f"the update overflowed at epoch {self.epoch + 1}, step {self.step + 1}") from None
        loss_sum = loss.detach() * (global_count / self.world.size)
        return loss_sum, (logits.argmax(1) == y).sum()

    @torch.inference_mode()
    def evaluate(self) -> tuple[float, float]:
        """-> (mean cross-entropy, top-1 accuracy) on the evaluation split (each process
        evaluates its share; the sums are added up over processes)."""
        self.model.eval()
        totals = torch.zeros(2, device=self.device, dtype=torch.float64)  # loss sum, correct
        share = self.world.share(len(self.test_y))
        test_x, test_y = self.test_x[share], self.test_y[share]
        for start in range(0, len(test_y), self.config.eval_batch_size):
            images = test_x[start : start + self.config.eval_batch_size]
            y = test_y[start : start + self.config.eval_batch_size]
            x = normalize(images, self.mean, self.std).contiguous(memory_format=self.memory_format)
            with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32):
                logits = self.model(x).float()
            totals[0] += F.cross_entropy(logits, y, reduction="sum")
            totals[1] += (logits.argmax(1) == y).sum()
        self.model.train()
        loss_sum, correct = self.world.all_reduce(totals).tolist()
        count = max(len(self.test_y), 1)
        return loss_sum / count, correct / count

    def _check_finite(self, loss: torch.Tensor) -> None:
        """Raise Diverged unless ``loss`` is finite on every process (all agree, so all stop)."""
        if self.world.distributed:
            loss = self.world.all_reduce(loss.detach().clone().reshape(1))
        if not torch.isfinite(loss).all().item():
            raise Diverged(f"loss became {loss.sum().item()} at epoch {self.epoch + 1}, step {self.step + 1}")

    def _stop_agreed(self, stop: StopRequest) -> bool:
        """A signal reaches the processes at different moments; stop when any has one."""
        if not self.world.distributed:
            return stop.requested
        if self.device.type == "cuda" and self.step % self.config.log_every:
            return False  # on GPUs agree every log_every steps only: each check is a host sync
        flag = torch.tensor([float(stop.requested)], device=self.device)
        return bool(self.world.all_reduce(flag).item() > 0)

    def _progress_bar(self):
        from tqdm import tqdm

        return tqdm(
            total=self.steps_per_epoch,
            initial=self.step,
            desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
            unit="step",
            leave=False,
            dynamic_ncols=True,
            file=sys.stderr,
        )

    def _train_epoch(self, stop: StopRequest) -> bool:
        """Train the rest of the current epoch; False when a stop was requested."""
        config = self.config
        seed = _stream_seed(config.seed, self.epoch)
        order = torch.randperm(len(self.train_y), generator=torch.Generator().manual_seed(seed)).to(self.device)
        self._reset_meters()
        bar = self._progress_bar() if self.show_progress else None
        try:
            while self.step < self.steps_per_epoch:
                if self._stop_agreed(stop):
                    self._fold_meters()
                    return False
                global_step = self.epoch * self.steps_per_epoch + self.step
                lr = self._set_lr(self.epoch + self.step / self.steps_per_epoch)
                x, y, global_count = self._batch(order, self.step)
                started = time.perf_counter() if self.first_step_seconds is None else 0.0
                loss_sum, batch_correct = self._train_step(x, y, global_count)
                # On CPU a host sync costs nothing, so a diverging run stops in the very step.
                if self.device.type == "cpu" or (self.step + 1) % config.log_every == 0:
                    self._check_finite(loss_sum)
                if self.first_step_seconds is None:
                    self.first_step_seconds = time.perf_counter() - started
                    if config.compile:
                        log.info("first step (torch.compile included): %.1fs", self.first_step_seconds)
                if self.monitor and self.monitor.due(global_step):
                    self.monitor.observe(unwrap(self.model), x, global_step, self.epoch + 1)
                self._loss_sum += loss_sum
                self._correct += batch_correct
                self._seen += len(y)
                self.step += 1
                if (
                    config.save_every
                    and (global_step + 1) % config.save_every == 0
                    and self.step < self.steps_per_epoch
                ):
                    self._check_finite(self._loss_sum)  # never checkpoint a diverged state
                    self._fold_meters()
                    self.save("last.pt")
                if bar and (self.step % 10 == 0 or self.step == self.steps_per_epoch):
                    self._update_bar(bar, lr)
        finally:
            if bar:
                bar.close()
        self._fold_meters()
        return True

    def _update_bar(self, bar, lr: float) -> None:
        done = self.accumulated["seen"] + self._seen
        elapsed = self.accumulated["seconds"] + time.perf_counter() - self._started
        bar.set_postfix(
            loss=f"{(self.accumulated['loss'] + self._loss_sum.item()) / done:.4f}",
            acc=f"{(self.accumulated['correct'] + self._correct.item()) / done:.3f}",
            lr=f"{lr:.3g}",
            img_s=f"{done / max(elapsed, 1e-9):.0f}",
        )
        bar.update(self.step - bar.n)

    def _reset_meters(self) -> None:
        """Running sums of the epoch kept on the device: no host sync per step."""
        self._loss_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        self._correct = torch.zeros((), device=self.device, dtype=torch.int64)
        self._seen = 0
        self._started = time.perf_counter()

    def _fold_meters(self) -> None:
        """Move the device sums into ``accumulated`` (what a checkpoint saves) and restart them."""
        seconds = time.perf_counter() - self._started
        totals = torch.stack(
            [
                self._loss_sum,
                self._correct.double(),
                torch.tensor(float(self._seen), device=self.device, dtype=torch.float64),
            ]
        )
        loss_sum, correct, seen = self.world.all_reduce(totals).tolist()
        self.accumulated = {
            "loss": self.accumulated["loss"] + loss_sum,
            "correct": self.accumulated["correct"] + correct,
            "seen": self.accumulated["seen"] + seen,
            "seconds": self.accumulated["seconds"] + seconds,
        }
        self.wall_seconds += seconds
        self._reset_meters()

    def _finish_epoch(self) -> None:
        eval_started = time.perf_counter()
        test_loss, test_acc = self.evaluate()
        eval_seconds = time.perf_counter() - eval_started
        self.wall_seconds += eval_seconds
        seen = max(self.accumulated["seen"], 1)
        images_per_second = seen / max(self.accumulated["seconds"], 1e-9)
        row = {
            "epoch": self.epoch + 1,
            "lr": self.config.lr
            * self.lr_scale
            * lr_factor(self.epoch, self.config.epochs, self.config.schedule, self.config.warmup_epochs),
            "train_loss": self.accumulated["loss"] / seen,
            "train_acc": self.accumulated["correct"] / seen,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "seconds": self.accumulated["seconds"] + eval_seconds,
        }
        if not (math.isfinite(row["train_loss"]) and math.isfinite(test_loss)):
            raise Diverged(
                f"epoch {self.epoch + 1} ended with train loss {row['train_loss']}, {self.data.test_name} loss {test_loss}"
            )
        bad = [
            name
            for name, value in unwrap(self.model).state_dict().items()
            if value.is_floating_point() and not torch.isfinite(value).all()
        ]
        if bad:
            raise Diverged(f"epoch {self.epoch + 1} left non-finite values in {', '.join(bad[:3])}")
        self.history.append(row)
        self.images_per_second = images_per_second  # timing: reported, not part of the run's state
        self.epoch, self.step = self.epoch + 1, 0
        self.accumulated = {"loss": 0.0, "correct": 0.0, "seen": 0.0, "seconds": 0.0}
        improved = test_acc > self.best_test_acc
        self.best_test_acc = max(self.best_test_acc, test_acc)
        self.save("last.pt")
        if improved:
            self.save("best.pt")
        if self.world.is_main:
            write_metrics(self.out / "metrics.csv", self.history)
            write_summary(self.out / "summary.json", self.summary("running"))
            plot_training(self.history, self.out / "curves.png", f"{self.config.model} on {self.config.data}")
        log.info(
            "epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%  %s loss %.4f acc %.2f%%  tau %.4f  %.1fs (%.0f img/s)",
            row["epoch"],
            self.config.epochs,
            row["lr"],
            row["train_loss"],
            100 * row["train_acc"],
            self.data.test_name,
            test_loss,
            100 * test_acc,
            float(unwrap(self.model).tau.detach()),
            row["seconds"],
            images_per_second,
        )

    def run(self) -> RunResult:
        """Train until ``config.epochs`` are done, a stop is requested or the loss diverges."""
        if self.world.is_main:
            (self.out / "config.toml").write_text(to_toml(self.config))
            if self.config.monitor and self.monitor is None:  # one process records; the others train on
                self.monitor = StabilityMonitor(self.out / "monitor.csv", self.config.monitor_every)
        self.model.train()
        with StopRequest() as stop:
            while self.epoch < self.config.epochs:
                try:
                    if not self._train_epoch(stop):
                        return self._interrupted()
                    self._finish_epoch()
                except Diverged as error:
                    if not self._rollback(error):
                        return self._diverged(error)
        summary = self.summary("completed")
        self._write_summary(summary)
        return RunResult(EXIT_OK, summary)

    def _write_summary(self, summary: dict[str, Any]) -> None:
        if self.world.is_main:
            write_summary(self.out / "summary.json", summary)

    def _interrupted(self) -> RunResult:
        self.save("last.pt")
        summary = self.summary("interrupted")
        self._write_summary(summary)
        log.warning(
            "interrupted at epoch %d step %d; resume with: tauresnet train --resume --out %s",
            self.epoch + 1,
            self.step,
            self.out,
        )
        return RunResult(EXIT_INTERRUPTED, summary)

    def _diverged(self, error: Diverged) -> RunResult:
        self.wall_seconds += time.perf_counter() - self._started  # the unfinished epoch's time counts too
        summary = self.summary("diverged")
        self._write_summary(summary)
        last = self.out / "checkpoints" / "last.pt"
        kept = f"last good checkpoint: {last}" if last.exists() else "no checkpoint was written before it"
        log.error("%s: the run diverged (%s); try a smaller --lr or --tau, or --on-diverge rollback", error, kept)
        return RunResult(EXIT_DIVERGED, summary)

    def _rollback(self, error: Diverged) -> bool:
        """With ``--on-diverge rollback``: reload last.pt, halve the lr, go on. False when not allowed."""
        last = self.out / "checkpoints" / "last.pt"
        if self.config.on_diverge != "rollback" or self.rollbacks >= self.config.max_rollbacks or not last.exists():
            return False
        rollbacks = self.rollbacks + 1
        self._restore(load_checkpoint(last))
        self.rollbacks, self.lr_scale = rollbacks, self.lr_scale * 0.5
        log.warning(
            "%s; rollback %d/%d: reloaded %s (epoch %d, step %d) and halved the lr (now ×%g)",
            error,
            rollbacks,
            self.config.max_rollbacks,
            last,
            self.epoch + 1,
            self.step,
            self.lr_scale,
        )
        return True


def resume_config(out: Path, overrides: dict[str, Any]) -> tuple[TrainConfig, dict[str, Any]]:
    """The config and state to continue the run in ``out``.

    The saved config wins; ``overrides`` may change only fields that do not alter the run
    (epochs to extend it, device, threads, logging); any other difference is refused.
    """
    path = out / "checkpoints" / "last.pt"
    if not path.is_file():
        raise FileNotFoundError(f"nothing to resume: {path} does not exist; start the run without --resume")
    state = load_checkpoint(path)
    saved = TrainConfig.from_saved({**state["config"], "resume": True, "overwrite": False})
    # Besides runtime settings, a resume may extend the run and change how it handles divergence.
    free = RUNTIME_FIELDS | {"epochs", "on_diverge", "max_rollbacks"}
    conflicts = sorted(key for key, value in overrides.items() if key not in free and getattr(saved, key) != value)
    if conflicts:
        details = ", ".join(
            f"--{key.replace('_', '-')} (saved {getattr(saved, key)!r}, given {overrides[key]!r})" for key in conflicts
        )
        raise ValueError(f"--resume: the command contradicts the saved run in {out}: {details}; drop those flags")
    changes = {key: value for key, value in overrides.items() if key in free}
    try:
        config = saved.replace(**changes)
    except ValueError as error:
        raise ValueError(f"--resume: together with the saved run's settings in {out}, {error}") from None
    if config.epochs < len(state["history"]):
        raise ValueError(f"--epochs {config.epochs} is below the {len(state['history'])} epochs {out} has done")
    return config, state


def train(config: TrainConfig, overrides: dict[str, Any] | None = None, show_progress: bool = False) -> RunResult:
    """Run (or, with ``config.resume``, continue) training into ``config.out``; under torchrun,
    as one process of a data-parallel run."""
    world = init_world(config.device, config.dist_backend)
    try:
        return _train(config, overrides, show_progress, world)
    finally:
        close_world(world)


def _train(config: TrainConfig, overrides: dict[str, Any] | None, show_progress: bool, world: World) -> RunResult:
    out = Path(config.out)
    state = None
    if config.resume:
        config, state = resume_config(out, overrides or {"out": config.out})
    else:
        check_run_dir(out, config)  # every process, so that all stop with the same message
    # Build (and so validate) everything before an earlier run's files are deleted.
    trainer = Trainer(config, resume_state=state, show_progress=show_progress, world=world)
    if not config.resume and world.is_main:
        clear_run_dir(out)
    world.barrier()
    log.info("resolved configuration:\n%s", to_toml(config).rstrip())
    log.info(
        "training %s (L = %d, τ = %.4g%s) on %s, %s, %d steps per epoch%s",
        config.model,
        unwrap(trainer.model).num_blocks,
        float(unwrap(trainer.model).tau.detach()),
        ", learnable" if config.learnable_tau else "",
        trainer.device,
        "bf16 autocast" if trainer.dtype == torch.bfloat16 else "fp32",
        trainer.steps_per_epoch,
        f", {world.size} processes × {trainer.global_batch // world.size} images" if world.distributed else "",
    )
    if state is not None:
        log.info("resuming %s at epoch %d, step %d", out, trainer.epoch + 1, trainer.step)
        if world.is_main:
            write_metrics(out / "metrics.csv", trainer.history)
    return trainer.run()
