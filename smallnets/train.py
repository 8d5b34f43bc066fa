"""Training one run (a TrainConfig and a seed): fast, resumable after a kill, and honest about what it selected.

The whole split lives on the device (data.DeviceBatches); on CUDA the step runs under bf16 autocast with
channels_last, optionally compiled. Validation every epoch; the test set is evaluated once, on the last or the
best-validation checkpoint, never used to choose anything.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import functools
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from . import data as data_mod
from .config import TrainConfig
from .errors import SmallnetsError
from .measure import count_flops, count_parameters, format_knobs, measure_model
from .models import create_model, fit_budget
from .progress import EpochProgress


@dataclass(frozen=True)
class RunOptions:
    """How a run executes; none of this changes what the experiment is, so it is not part of the config hash."""

    device: str | None = None  # None: cuda if available, else cpu
    amp: bool = True  # bf16 autocast on CUDA (ignored on CPU)
    channels_last: bool | None = None  # None: on CUDA only
    compile: bool | str = False  # torch.compile the model; a string names the mode, e.g. "reduce-overhead" (CUDA
    # graphs) or "max-autotune". Compile time is counted in the wall time.
    progress: str = "auto"  # auto | bar | lines | none
    data_dir: str | None = None
    download: bool | None = None  # None: unless SMALLNETS_OFFLINE is set
    stack: str = "auto"  # several seeds of one config: "on" trains them as one stacked model (smallnets.stacked),
    # "off" one after another, "auto" stacks on CUDA only (on a CPU grouped convolutions are slower than separate
    # ones; see docs/benchmarks.md)

    def __post_init__(self):
        if self.stack not in ("auto", "on", "off"):
            raise SmallnetsError(f"stack must be auto, on or off, got '{self.stack}'")


class Diverged(Exception):
    pass


@dataclass
class RunResult:
    config: TrainConfig
    seed: int
    status: str  # finished | diverged
    knobs: dict  # the family's full knob settings (fitted when a budget was given)
    history: list[dict] = field(default_factory=list)
    val_acc: float | None = None
    test_acc: float | None = None
    test_loss: float | None = None
    selected_epoch: int | None = None
    wall_time_s: float = 0.0
    train_images_per_s: float = 0.0
    measures: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    device: str = ""
    options: dict = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["config"] = self.config.to_dict()
        d["config_hash"] = self.config.hash
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunResult":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        d["config"] = TrainConfig.from_dict(d["config"])
        return cls(**d)


def resolve_device(name: str | None) -> torch.device:
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SmallnetsError(f"unknown device '{name}'; expected cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SmallnetsError("device 'cuda' requested but no CUDA GPU is available")
    return device


def build_optimizer(model: nn.Module, config: TrainConfig, model_axes: int = 0) -> torch.optim.Optimizer:
    """Weight decay only on tensors with dim >= 2 (weights of convs and linears), unless decay_all. `model_axes`
    leading axes of every tensor index stacked models (smallnets.stacked) and do not count as dims."""
    params = [p for p in model.parameters() if p.requires_grad]
    if config.decay_all:
        groups = [{"params": params, "weight_decay": config.decay}]
    else:
        groups = [{"params": [p for p in params if p.dim() - model_axes >= 2], "weight_decay": config.decay},
                  {"params": [p for p in params if p.dim() - model_axes < 2], "weight_decay": 0.0}]
    lr = config.peak_lr
    if config.optimizer == "sgdm":
        return torch.optim.SGD(groups, lr=lr, momentum=config.momentum, nesterov=config.nesterov)
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=lr)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    from pytorch_optimizer import AdaBound
    # As in Luo et al. 2019: final_lr 0.1, gamma 1e-3, and L2 weight decay (pytorch-optimizer decouples by default).
    return AdaBound(groups, lr=lr, final_lr=0.1, gamma=1e-3, weight_decouple=False)


def lr_factor(config: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """The schedule as a pure function of the step, so that resuming needs nothing but the step count."""
    total = config.epochs * steps_per_epoch
    warmup = int(config.warmup_epochs * steps_per_epoch)

    def factor(step: int) -> float:
        if config.schedule == "onecycle":  # linear up for 30% of training, then linearly down to zero
            peak = max(1, int(0.3 * total))
            return step / peak if step < peak else max(0.0, (total - step) / max(1, total - peak))
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        if config.schedule == "cosine":
            return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        if config.schedule == "step":  # divided by 10 at 50% and 75% of training, as in He et al.
            return 0.1 ** ((progress >= 0.5) + (progress >= 0.75))
        return 1.0
    return factor


def _autocast(device: torch.device, amp: bool):
    if device.type == "cuda" and amp:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(model: nn.Module, batches, device: torch.device, amp: bool = True) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) over all batches."""
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    n = 0
    for x, y in batches:
        with _autocast(device, amp):
            logits = model(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum")
        correct += (logits.argmax(1) == y).sum()
        n += len(y)
    return (loss_sum / max(n, 1)).item(), correct.item() / max(n, 1)


@torch.no_grad()
def correct_per_image(model: nn.Module, batches, device: torch.device, amp: bool = True) -> torch.Tensor:
    """A bool per image, in batch order: did the model's top class match the label (for paired comparisons)."""
    model.eval()
    hits = []
    for x, y in batches:
        with _autocast(device, amp):
            hits.append(model(x).argmax(1) == y)
    return torch.cat(hits).cpu()


def maybe_compile(module: nn.Module, options: RunOptions) -> nn.Module:
    """The module to step with: torch.compile'd when options.compile asks (a string names the mode)."""
    if not options.compile:
        return module
    mode = options.compile if isinstance(options.compile, str) and options.compile != "default" else None
    return torch.compile(module, mode=mode)


class RecordedModelMismatch(SmallnetsError):
    """A config's recorded runs were built as another model than the one it builds now."""


def training_state(model: nn.Module, optimizer, scheduler, ema, data_rngs: list[torch.Generator],
                   device: torch.device) -> dict:
    """Everything a resumed run needs to continue exactly where it stopped (with restore_training_state)."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "ema": ema.state_dict() if ema is not None else None, "data_rngs": [g.get_state() for g in data_rngs],
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def restore_training_state(ckpt: dict, model: nn.Module, optimizer, scheduler, ema,
                           data_rngs: list[torch.Generator], device: torch.device, path: Path | None = None) -> None:
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as e:  # e.g. a width the budget fitter chose differently when the checkpoint was written
        lines = str(e).splitlines()  # a title line, then one line per mismatched tensor
        detail = (lines[1] if len(lines) > 1 else str(e)).strip()
        raise RecordedModelMismatch(f"checkpoint {path or '(in memory)'} holds another model than this config "
                                    f"builds now ({detail}); delete it to train from scratch") from None
    optimizer.load_state_dict(ckpt["optimizer"])
    scheduler.load_state_dict(ckpt["scheduler"])
    if ema is not None:
        ema.load_state_dict(ckpt["ema"])
    for g, state in zip(data_rngs, ckpt.get("data_rngs") or [ckpt["data_rng"]]):  # data_rng: older checkpoints
        g.set_state(state.cpu())
    torch.set_rng_state(ckpt["torch_rng"].cpu())
    if device.type == "cuda" and ckpt.get("cuda_rng") is not None:
        torch.cuda.set_rng_state(ckpt["cuda_rng"].cpu(), device)


def checkpointed_wall(ckpt: dict) -> float:
    """The wall time a resumed run had spent up to its checkpoint, so its record counts every launch (the time
    between the last checkpoint and a kill is lost work, not counted). Checkpoints from before this was kept hold
    only the epochs' own time, a lower bound."""
    return ckpt.get("wall_time", ckpt["train_time"])


def _atomic_torch_save(obj, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _atomic_json(obj, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1, default=str))
    os.replace(tmp, path)


def run_dir_for(results_dir: Path, config: TrainConfig, seed: int) -> Path:
    return Path(results_dir) / "runs" / config.hash / f"seed{seed}"


def train_run(config: TrainConfig, seed: int = 0, run_dir: Path | None = None, options: RunOptions = RunOptions(),
              callbacks: tuple[Callable[[int, dict], None], ...] = (), dataset: data_mod.Dataset | None = None,
              ) -> RunResult:
    """Train one run. With `run_dir`, every epoch is checkpointed there (atomically) and a relaunch resumes from the
    last one; a finished run returns its stored result without training again."""
    if run_dir is not None:
        run_dir = Path(run_dir)
        if (run_dir / "result.json").is_file():
            return RunResult.from_dict(json.loads((run_dir / "result.json").read_text()))
        run_dir.mkdir(parents=True, exist_ok=True)
        _atomic_json({"config": config.to_dict(), "config_hash": config.hash, "seed": seed}, run_dir / "config.json")

    device, channels_last, ds, splits, knobs = prepare_run(config, options, dataset)
    spec = ds.spec
    model = create_model(config.model, **spec.model_kwargs, seed=seed, **knobs)
    knobs = model.smallnets_config["knobs"]
    model = model.to(device, memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay), use_buffers=True) \
        if config.ema_decay else None

    data_rng = torch.Generator(device=device).manual_seed(seed)
    train_batches = data_mod.DeviceBatches(*splits.train, spec, batch_size=config.batch_size, device=device,
                                           shuffle=True, augment=config.augment, cutout=config.cutout,
                                           drop_last=True, generator=data_rng, channels_last=channels_last)
    eval_kw = dict(batch_size=1024, device=device, channels_last=channels_last)
    val_batches = data_mod.DeviceBatches(*splits.val, spec, **eval_kw) if len(splits.val[1]) else None
    steps = len(train_batches)
    optimizer = build_optimizer(model, config)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config, steps))
    step_model = maybe_compile(model, options)

    history: list[dict] = []
    best = {"epoch": None, "val_acc": -1.0, "state": None}
    start_epoch, train_time, images_seen, wall_before = 0, 0.0, 0, 0.0
    ckpt_path = run_dir / "checkpoint.pt" if run_dir is not None else None
    if ckpt_path is not None and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        restore_training_state(ckpt, model, optimizer, scheduler, ema, [data_rng], device, ckpt_path)
        history, best = ckpt["history"], ckpt["best"]
        start_epoch, train_time, images_seen = ckpt["epoch"], ckpt["train_time"], ckpt["images_seen"]
        wall_before = checkpointed_wall(ckpt)

    eval_model = ema.module if ema is not None else model
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    title = f"{config.model} {config.dataset} seed {seed}"
    progress = EpochProgress(title, config.epochs, steps, options.progress, start_epoch)
    wall_start = time.perf_counter()
    status, error = "finished", None
    try:
        for epoch in range(start_epoch, config.epochs):
            model.train()
            t0 = time.perf_counter()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device, dtype=torch.long)
            seen = 0
            for i, (x, y) in enumerate(train_batches):
                with _autocast(device, options.amp):
                    logits = step_model(x)
                    loss = loss_fn(logits.float(), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                if ema is not None:
                    ema.update_parameters(model)
                loss_sum += loss.detach() * len(y)
                correct += (logits.detach().argmax(1) == y).sum()
                seen += len(y)
                # A sync every 50 steps is cheap, and stops a diverged run long before the epoch ends.
                if i % 50 == 49 and not torch.isfinite(loss_sum):
                    raise Diverged(f"loss became {loss_sum.item()} in epoch {epoch + 1}, step {i + 1}")
                progress.step(epoch, i + 1)
            train_loss = (loss_sum / max(seen, 1)).item()
            if not math.isfinite(train_loss):
                raise Diverged(f"loss became {train_loss} in epoch {epoch + 1}")
            epoch_time = time.perf_counter() - t0
            train_time += epoch_time
            images_seen += seen
            metrics = {"epoch": epoch + 1, "train_loss": train_loss, "train_acc": correct.item() / max(seen, 1),
                       "lr": optimizer.param_groups[0]["lr"], "epoch_time_s": epoch_time,
                       "images_per_s": seen / epoch_time, "val_loss": None, "val_acc": None}
            if val_batches is not None:
                metrics["val_loss"], metrics["val_acc"] = evaluate(eval_model, val_batches, device, options.amp)
                if config.select == "best_val" and metrics["val_acc"] > best["val_acc"]:
                    best = {"epoch": epoch + 1, "val_acc": metrics["val_acc"],
                            "state": {k: v.detach().cpu().clone() for k, v in eval_model.state_dict().items()}}
            history.append(metrics)
            if ckpt_path is not None:
                _atomic_torch_save({
                    "config": config.to_dict(), "seed": seed, "epoch": epoch + 1,
                    **training_state(model, optimizer, scheduler, ema, [data_rng], device), "history": history,
                    "best": best, "train_time": train_time, "images_seen": images_seen,
                    "wall_time": wall_before + time.perf_counter() - wall_start,
                }, ckpt_path)
            progress.epoch_done(epoch, metrics)
            for cb in callbacks:
                cb(epoch + 1, metrics)
    except Diverged as e:
        status, error = "diverged", str(e)
    finally:
        progress.close()

    result = RunResult(config, seed, status, knobs, history, error=error, device=str(device),
                       data=ds.describe(), wall_time_s=wall_before + time.perf_counter() - wall_start,
                       train_images_per_s=images_seen / train_time if train_time else 0.0,
                       options={"amp": options.amp and device.type == "cuda", "channels_last": channels_last,
                                "compile": options.compile})
    finish_run(result, eval_model, best, splits, options, run_dir)
    if ckpt_path is not None:
        ckpt_path.unlink(missing_ok=True)  # optimizer state is dead weight once the run is over
    return result


def flush_subnormals() -> None:
    """Flush float32 subnormals to zero on the CPU. Adam at a high rate with weight decay drives unused weights and
    their moments into the subnormal range (round 17: 42% of a 25k ResNet's weights at Adam 3e-2), where x86
    arithmetic is many times slower (2,400 images/s fell to 300). No value above 1.2e-38 changes. The flag is per
    thread and torch's CPU worker threads copy it when they start, so the CLI sets it before any exist."""
    torch.set_flush_denormal(True)


KEEP_FREED_MEMORY = {"M_TRIM_THRESHOLD": (-1, 2**31 - 1), "M_TOP_PAD": (-2, 64 << 20), "M_MMAP_MAX": (-4, 0)}
_kept_freed_memory = False


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for reuse instead of handing it back to the kernel. As it comes, malloc
    maps each block over its threshold (128 KB, rising to at most 32 MB) fresh from the kernel and unmaps it when
    freed, and trims its heap's free top, so every training step zero-fills its activations page by page again: CIFAR-10
    round 35's MobileNetV2 1M spent about 30% of its CPU time in the kernel on 184,000 page faults a second, at 66-82
    images/s, and 123 once restarted with freed memory kept (benchmarks/cpu_allocator.py times both). The price is a
    process that holds on to its peak memory. True where it took effect (glibc); other C libraries are left as they
    are. Called first thing by the commands that train."""
    global _kept_freed_memory
    if not _kept_freed_memory and sys.platform.startswith("linux"):
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            return False
        mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
        # mallopt returns 1 on success; musl's is a stub that returns 0 and changes nothing
        _kept_freed_memory = all([mallopt(param, value) == 1 for param, value in KEEP_FREED_MEMORY.values()])
    return _kept_freed_memory


def kept_freed_memory() -> bool:
    return _kept_freed_memory


def prepare_run(config: TrainConfig, options: RunOptions, dataset: data_mod.Dataset | None = None):
    """(device, channels_last, dataset, splits, the family's knobs fitted to the budget) for a config."""
    device = resolve_device(options.device)
    if device.type == "cpu":
        flush_subnormals()
    channels_last = device.type == "cuda" if options.channels_last is None else options.channels_last
    ds = dataset or data_mod.load_dataset(config.dataset, options.data_dir, download_missing=options.download)
    if ds.spec.name != config.dataset:
        raise SmallnetsError(f"dataset given is {ds.spec.name}, config asks for {config.dataset}")
    splits = data_mod.make_splits(ds, config.val_size, train_limit=config.train_limit)
    return device, channels_last, ds, splits, fitted_knobs(config)


def fitted_knobs(config: TrainConfig) -> dict:
    """The family knobs a config's model is built with, its width fitted to the budget; SmallnetsError where the
    family cannot meet the budget."""
    return dict(_fitted_knobs(config))


@functools.lru_cache(maxsize=1024)  # a sweep asks for one config's fit several times (plan, check, train)
def _fitted_knobs(config: TrainConfig) -> tuple:
    knobs = config.knob_dict
    if config.budget is not None:
        knobs = fit_budget(config.model, config.budget, **data_mod.get_spec(config.dataset).model_kwargs, **knobs).knobs
    return tuple(knobs.items())


def meta_model(config: TrainConfig, knobs: dict | None = None) -> nn.Module:
    """The model a config builds, on the meta device: its shapes, parameter count and knobs without memory or data.
    With `knobs` (a recorded run's), the model those build instead of the one fitted to the budget now.
    SmallnetsError where the family cannot meet the budget."""
    knobs = fitted_knobs(config) if knobs is None else knobs
    with torch.device("meta"):
        return create_model(config.model, **data_mod.get_spec(config.dataset).model_kwargs, **knobs)


def model_knobs(config: TrainConfig) -> dict:
    """Every knob of the model a config builds with this version of smallnets, the family's defaults filled in (as
    a run records them)."""
    return meta_model(config).smallnets_config["knobs"]


def check_recorded_models(store, members, replaced: bool = False) -> None:
    """RecordedModelMismatch where a (config, seed) run about to train has a config with runs in `store` (a
    store.RunStore) built as another model than the one it builds now: a budget fitter or a family default changed
    since, and the new seed would be averaged with the old ones under one config hash as if they were seeds of one
    model. With `replaced` (a forced retrain), the recorded runs of the members' own seeds do not count."""
    seeds: dict[str, set[int]] = {}
    configs = {}
    for config, seed in members:
        configs[config.hash] = config
        seeds.setdefault(config.hash, set()).add(seed)
    for h, config in configs.items():
        recorded = {s: k for s, k in store.recorded_knobs(h).items() if not (replaced and s in seeds[h])}
        if not recorded:
            continue
        now = json.loads(json.dumps(model_knobs(config)))  # as stored: JSON turns tuples into lists

        def differs(then: dict) -> bool:  # a knob one side lacks came or went at its default: not another model
            return any(then[k] != now[k] for k in then.keys() & now.keys())
        seed, then = next(((s, k) for s, k in sorted(recorded.items()) if differs(k)), (None, None))
        if then is not None:
            now_text, then_text = (format_knobs(dict(sorted(k.items()))) for k in (now, then))
            raise RecordedModelMismatch(
                f"config {h} ({config.model}, {config.dataset}, budget {config.budget}) now builds ({now_text}) but "
                f"its recorded seed {seed} was built as ({then_text}): new seeds would mix two models under one "
                f"config. Use a new results folder, or retrain every seed (smallnets train --force)")


def finish_run(result: RunResult, eval_model: nn.Module, best: dict, splits: data_mod.Splits, options: RunOptions,
               run_dir: Path | None) -> None:
    """Load the selected checkpoint, test it once, measure it, and write model.pt and result.json into run_dir."""
    config, device = result.config, torch.device(result.device)
    channels_last = result.options.get("channels_last", False)
    if result.status == "finished":
        if config.select == "best_val":
            eval_model.load_state_dict(best["state"])
            result.selected_epoch = best["epoch"]
        else:
            result.selected_epoch = config.epochs
        selected = next(m for m in result.history if m["epoch"] == result.selected_epoch)
        result.val_acc = selected["val_acc"]
        spec = splits.dataset.spec
        h, w, c = spec.image_shape
        test_batches = data_mod.DeviceBatches(*splits.test, spec, batch_size=1024, device=device,
                                              channels_last=channels_last)
        result.test_loss, result.test_acc = evaluate(eval_model, test_batches, device, options.amp)
        result.measures = measure_model(copy.deepcopy(eval_model).float(), (c, h, w))
    if run_dir is not None:
        if result.status == "finished":
            _atomic_torch_save({"config": config.to_dict(), "seed": result.seed, "knobs": result.knobs,
                                "state_dict": eval_model.state_dict()}, run_dir / "model.pt")
        _atomic_json(result.to_dict(), run_dir / "result.json")


def recount_measures(result: RunResult) -> dict:
    """A recorded run's measures with its MACs/FLOPs counted again by this version of smallnets, from the model its
    recorded knobs build on the meta device (shapes only: the weights are not needed, so a run exported without its
    model file is recounted too). Counts that depend on the weights (non-zero parameters) are kept as recorded.
    SmallnetsError where the knobs no longer build a model of the recorded size: that would be another model."""
    model = meta_model(result.config, result.knobs)
    total = count_parameters(model).total
    if total != result.measures.get("params_total"):
        raise SmallnetsError(f"{result.config.model} run (config {result.config.hash}, seed {result.seed}): its knobs "
                             f"now build {total:,} parameters, not the {result.measures.get('params_total')} recorded; "
                             "not recounted")
    h, w, c = data_mod.get_spec(result.config.dataset).image_shape
    return {**result.measures, **count_flops(model, (c, h, w))}


def load_trained_model(run_dir: Path, device: str = "cpu") -> nn.Module:
    """The selected weights of a finished run, in eval mode."""
    saved = torch.load(Path(run_dir) / "model.pt", map_location=device, weights_only=False)
    cfg = TrainConfig.from_dict(saved["config"])
    model = create_model(cfg.model, **data_mod.get_spec(cfg.dataset).model_kwargs, **saved["knobs"])
    model.load_state_dict(saved["state_dict"])
    return model.to(device).eval()
