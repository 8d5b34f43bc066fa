"""Several seeds of one experiment trained side by side as one wide model ("horizontal batching").

A 100k-parameter network leaves a GPU idle between its tiny kernels. K replicates of the same architecture can
share every kernel instead: each parameter and buffer gains a leading model axis, and torch.func.vmap runs the K
models on their own batches (a convolution becomes one grouped convolution, a linear layer one batched matmul,
BatchNorm keeps per-model statistics). The optimizers smallnets offers are elementwise, so one optimizer over the
stacked tensors takes exactly the K steps the K runs would take alone.

Each model keeps everything its seed gives it alone: its initial weights, its data order and augmentation (its own
generator over one shared copy of the split), and its own selection, test evaluation and result. Up to
floating-point reassociation in the grouped kernels, a stacked run reproduces the one-at-a-time runs (tested);
dropout draws differ but have the same distribution.

The models of a group may also differ in their learning rate (a sweep's lr_scales): the optimizer takes one step
at the first model's rate and each model's change is then scaled by its rate over that one. SGD (with momentum and
L2 decay), Adam and AdamW keep state that does not depend on the rate and move the weights in proportion to it, so
the scaled step is exactly the step at the model's own rate. AdaBound's bounds do not scale with the rate: its
models stack only with models of the same rate.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from . import data as data_mod
from .config import TrainConfig
from .errors import SmallnetsError
from .models import create_model
from .progress import EpochProgress
from .train import (RunOptions, RunResult, _atomic_json, _atomic_torch_save, _autocast, build_optimizer,
                    checkpointed_wall, finish_run, lr_factor, maybe_compile, prepare_run, resolve_device,
                    restore_training_state, run_dir_for, train_run, training_state)


def _flat(name: str) -> str:
    return name.replace(".", "__")  # module attribute names may not contain dots


class StackedModels(nn.Module):
    """K models of one architecture as one module whose tensors have a leading model axis of size K.

    forward(x) takes one batch per model, shape [K, B, ...], and returns [K, B, classes]; forward(x, shared=True)
    runs every model on the same batch [B, ...] (evaluation). `unstack(k)` gives model k back as a plain module.
    """

    def __init__(self, models: list[nn.Module]):
        super().__init__()
        if not models:
            raise SmallnetsError("StackedModels needs at least one model")
        shapes = [[(n, t.shape) for n, t in m.state_dict().items()] for m in models]
        if any(s != shapes[0] for s in shapes[1:]):
            raise SmallnetsError("stacked models must share one architecture (same tensor names and shapes)")
        params, buffers = stack_module_state(models)
        self.param_names, self.buffer_names, self.size = list(params), list(buffers), len(models)
        for name, tensor in params.items():
            self.register_parameter(_flat(name), nn.Parameter(tensor))
        for name, tensor in buffers.items():
            self.register_buffer(_flat(name), tensor)
        # Not a submodule: vmap calls it with the stacked tensors swapped in, its own tensors are never used.
        self.__dict__["template"] = copy.deepcopy(models[0])

    def train(self, mode: bool = True) -> "StackedModels":
        super().train(mode)
        self.template.train(mode)
        return self

    def _call(self, params: dict, buffers: dict, x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.template, (params, buffers), (x,))

    def forward(self, x: torch.Tensor, shared: bool = False) -> torch.Tensor:
        params = {n: getattr(self, _flat(n)) for n in self.param_names}
        buffers = {n: getattr(self, _flat(n)) for n in self.buffer_names}
        return vmap(self._call, in_dims=(0, 0, None if shared else 0), randomness="different")(params, buffers, x)

    def state_of(self, k: int) -> dict[str, torch.Tensor]:
        """Model k's state_dict (its own names), copied to the CPU."""
        keys = self.template.state_dict().keys()
        return {n: getattr(self, _flat(n))[k].detach().cpu().clone() for n in keys}

    def unstack(self, k: int) -> nn.Module:
        model = copy.deepcopy(self.template)
        model.load_state_dict(self.state_of(k))
        return model.to(next(self.parameters()).device)


@torch.no_grad()
def evaluate_stacked(stack: StackedModels, batches, device: torch.device, amp: bool = True):
    """Per-model (mean cross-entropy, accuracy), as two lists, with every model on the same batches."""
    stack.eval()
    k = stack.size
    loss_sum = torch.zeros(k, device=device)
    correct = torch.zeros(k, device=device, dtype=torch.long)
    n = 0
    for x, y in batches:
        with _autocast(device, amp):
            logits = stack(x, shared=True).float()  # [K, B, classes]
        loss_sum += F.cross_entropy(logits.flatten(0, 1), y.repeat(k), reduction="none").view(k, -1).sum(1)
        correct += (logits.argmax(-1) == y).sum(1)
        n += len(y)
    return (loss_sum / max(n, 1)).tolist(), (correct.double() / max(n, 1)).tolist()


Member = tuple[TrainConfig, int]  # one run of a group: its config and its seed


def _one_config(members: list[Member]) -> bool:
    """Whether a group's runs are seeds of one config (else they differ in learning rate too)."""
    return len({c.hash for c, _ in members}) == 1


def stack_dir_for(results_dir: Path, members: list[Member]) -> Path:
    """Where a stacked group keeps its (single) checkpoint while it trains."""
    if _one_config(members):
        return Path(results_dir) / "runs" / members[0][0].hash / ("stack-seeds" + "-".join(str(s) for _, s in members))
    key = ",".join(f"{c.hash}:{s}" for c, s in members)
    return Path(results_dir) / "runs" / ("stack-" + hashlib.sha256(key.encode()).hexdigest()[:12])


def stackable(a: TrainConfig, b: TrainConfig) -> bool:
    """Whether runs of these two configs can train in one stacked group: equal but for the learning rate, and the
    same rate where the optimizer is AdaBound (see the module docstring)."""
    if dataclasses.replace(a, lr=None) != dataclasses.replace(b, lr=None):
        return False
    return a.optimizer != "adabound" or a.peak_lr == b.peak_lr


def train_stacked(config: TrainConfig, seeds: list[int], results_dir: Path | None = None,
                  options: RunOptions = RunOptions(), callbacks: tuple[Callable[[int, list[dict]], None], ...] = (),
                  dataset: data_mod.Dataset | None = None) -> list[RunResult]:
    """Train one run of `config` per seed, all at once (see train_group)."""
    return train_group([(config, s) for s in seeds], results_dir, options, callbacks, dataset)


def train_group(members: list[Member], results_dir: Path | None = None, options: RunOptions = RunOptions(),
                callbacks: tuple[Callable[[int, list[dict]], None], ...] = (),
                dataset: data_mod.Dataset | None = None) -> list[RunResult]:
    """Train one run per (config, seed) member, all at once as one stacked model. The configs may differ only in
    their learning rate. With `results_dir`, each run gets its usual run folder and result (as train_run would write
    it); the group checkpoints every epoch and a relaunch resumes it. Runs already finished are not trained again."""
    members = list(members)
    if not members or len(set((c.hash, s) for c, s in members)) != len(members):
        raise SmallnetsError(f"stacked training needs distinct seeds for each config, got seeds "
                             f"{[s for _, s in members]}")
    bad = [c for c, _ in members if not stackable(members[0][0], c)]
    if bad:
        raise SmallnetsError(f"stacked runs must share every setting but the learning rate (and AdaBound its rate "
                             f"too): {members[0][0].hash} vs {bad[0].hash}")
    run_dirs = {m: run_dir_for(results_dir, *m) if results_dir is not None else None for m in members}
    done = {m: RunResult.from_dict(json.loads((run_dirs[m] / "result.json").read_text())) for m in members
            if run_dirs[m] is not None and (run_dirs[m] / "result.json").is_file()}
    todo = [m for m in members if m not in done]
    if not todo:
        return [done[m] for m in members]

    config = todo[0][0]  # the reference: its learning rate is the optimizer's, the others are scaled from it
    device, _, ds, splits, knobs = prepare_run(config, options, dataset)
    spec = ds.spec
    models = [create_model(config.model, **spec.model_kwargs, seed=s, **knobs).to(device) for _, s in todo]
    knobs = models[0].smallnets_config["knobs"]
    stack = StackedModels(models)
    del models
    k = stack.size
    ema = AveragedModel(stack, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay), use_buffers=True) \
        if config.ema_decay else None

    shared_train = data_mod.DeviceBatches(*splits.train, spec, batch_size=config.batch_size, device=device,
                                          shuffle=True, augment=config.augment, cutout=config.cutout,
                                          drop_last=True)
    data_rngs = [torch.Generator(device=device).manual_seed(s) for _, s in todo]
    train_batches = [shared_train.with_generator(g) for g in data_rngs]
    val_batches = data_mod.DeviceBatches(*splits.val, spec, batch_size=1024, device=device) \
        if len(splits.val[1]) else None
    steps = len(shared_train)
    optimizer = build_optimizer(stack, config, model_axes=1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config, steps))
    lr_ratios = [c.peak_lr / config.peak_lr for c, _ in todo]
    rescale = _StepScaler(stack, lr_ratios) if any(r != 1.0 for r in lr_ratios) else None
    step_model = maybe_compile(stack, options)

    histories: list[list[dict]] = [[] for _ in todo]
    bests = [{"epoch": None, "val_acc": -1.0, "state": None} for _ in todo]
    diverged: list[str | None] = [None] * k
    start_epoch, train_time, images_seen, wall_before = 0, 0.0, 0, 0.0
    group_dir = stack_dir_for(results_dir, todo) if results_dir is not None else None
    ckpt_path = group_dir / "checkpoint.pt" if group_dir is not None else None
    if ckpt_path is not None and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        restore_training_state(ckpt, stack, optimizer, scheduler, ema, data_rngs, device, ckpt_path)
        histories, bests, diverged = ckpt["histories"], ckpt["bests"], ckpt["diverged"]
        start_epoch, train_time, images_seen = ckpt["epoch"], ckpt["train_time"], ckpt["images_seen"]
        wall_before = checkpointed_wall(ckpt)
    elif group_dir is not None:
        group_dir.mkdir(parents=True, exist_ok=True)
        for c, s in todo:
            run_dirs[(c, s)].mkdir(parents=True, exist_ok=True)
            _atomic_json({"config": c.to_dict(), "config_hash": c.hash, "seed": s,
                          "stacked_with": _describe(todo)}, run_dirs[(c, s)] / "config.json")

    eval_stack = ema.module if ema is not None else stack
    title = f"{config.model} {config.dataset} {_describe_text(todo)} (stacked)"
    progress = EpochProgress(title, config.epochs, steps, options.progress, start_epoch)
    wall_start = time.perf_counter()
    try:
        for epoch in range(start_epoch, config.epochs):
            if all(diverged):
                break
            stack.train()
            t0 = time.perf_counter()
            loss_sum = torch.zeros(k, device=device)
            correct = torch.zeros(k, device=device, dtype=torch.long)
            seen = 0
            for i, batches in enumerate(zip(*train_batches)):
                x = torch.stack([b[0] for b in batches])
                y = torch.stack([b[1] for b in batches])
                with _autocast(device, options.amp):
                    logits = step_model(x)
                # Sum over models of each model's mean loss: model k's gradient is exactly its own run's gradient.
                per_model = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="none",
                                            label_smoothing=config.label_smoothing).view(k, -1).mean(1)
                optimizer.zero_grad(set_to_none=True)
                per_model.sum().backward()
                if rescale is not None:
                    rescale.before_step()
                optimizer.step()
                if rescale is not None:
                    rescale.after_step()
                scheduler.step()
                if ema is not None:
                    ema.update_parameters(stack)
                loss_sum += per_model.detach() * y.shape[1]
                correct += (logits.detach().argmax(-1) == y).sum(1)
                seen += y.shape[1]
                if i % 50 == 49:
                    _mark_diverged(diverged, loss_sum, f"epoch {epoch + 1}, step {i + 1}")
                progress.step(epoch, i + 1)
            _mark_diverged(diverged, loss_sum, f"epoch {epoch + 1}")
            epoch_time = time.perf_counter() - t0
            train_time += epoch_time
            images_seen += seen
            train_loss, train_acc = (loss_sum / max(seen, 1)).tolist(), (correct.double() / max(seen, 1)).tolist()
            val_loss = val_acc = [None] * k
            if val_batches is not None:
                val_loss, val_acc = evaluate_stacked(eval_stack, val_batches, device, options.amp)
            epoch_metrics = []
            for j in range(k):
                m = {"epoch": epoch + 1, "train_loss": train_loss[j], "train_acc": train_acc[j],
                     "lr": optimizer.param_groups[0]["lr"] * lr_ratios[j], "epoch_time_s": epoch_time,
                     "images_per_s": seen / epoch_time, "val_loss": val_loss[j], "val_acc": val_acc[j]}
                epoch_metrics.append(m)
                if diverged[j]:
                    continue
                histories[j].append(m)
                if config.select == "best_val" and val_acc[j] is not None and val_acc[j] > bests[j]["val_acc"]:
                    bests[j] = {"epoch": epoch + 1, "val_acc": val_acc[j], "state": eval_stack.state_of(j)}
            if ckpt_path is not None:
                _atomic_torch_save({
                    "configs": [c.to_dict() for c, _ in todo], "seeds": [s for _, s in todo], "epoch": epoch + 1,
                    **training_state(stack, optimizer, scheduler, ema, data_rngs, device),
                    "histories": histories, "bests": bests, "diverged": diverged, "train_time": train_time,
                    "images_seen": images_seen, "wall_time": wall_before + time.perf_counter() - wall_start,
                }, ckpt_path)
            live = [m for m, bad in zip(epoch_metrics, diverged) if not bad] or epoch_metrics
            progress.epoch_done(epoch, {**_mean(live), "images_per_s": k * seen / epoch_time})
            for cb in callbacks:
                cb(epoch + 1, epoch_metrics)
    finally:
        progress.close()

    wall = wall_before + time.perf_counter() - wall_start
    for j, (c, s) in enumerate(todo):
        # Wall time and images/s are the group's, shared by its runs: each model saw `images_seen` images in
        # `train_time`, alongside k - 1 others.
        result = RunResult(c, s, "diverged" if diverged[j] else "finished", knobs, histories[j],
                           error=diverged[j], device=str(device), data=ds.describe(), wall_time_s=wall,
                           train_images_per_s=images_seen / train_time if train_time else 0.0,
                           options={"amp": options.amp and device.type == "cuda", "channels_last": False,
                                    "compile": options.compile, "stacked_with": _describe(todo)})
        finish_run(result, eval_stack.unstack(j), bests[j], splits, options, run_dirs[(c, s)])
        done[(c, s)] = result
    if ckpt_path is not None:
        ckpt_path.unlink(missing_ok=True)
        try:
            group_dir.rmdir()
        except OSError:
            pass
    return [done[m] for m in members]


class _StepScaler:
    """Gives each stacked model the step of its own learning rate: remembers the weights before the optimizer's
    step (taken at the reference rate) and scales each model's change by its rate over the reference rate."""

    def __init__(self, stack: StackedModels, lr_ratios: list[float]):
        self.params = [p for p in stack.parameters() if p.requires_grad]
        self.before = [torch.empty_like(p) for p in self.params]
        ratios = torch.tensor(lr_ratios, device=self.params[0].device, dtype=self.params[0].dtype)
        self.weights = [ratios.view(-1, *[1] * (p.dim() - 1)) for p in self.params]

    @torch.no_grad()
    def before_step(self) -> None:
        torch._foreach_copy_(self.before, self.params)

    @torch.no_grad()
    def after_step(self) -> None:
        torch._foreach_lerp_(self.before, self.params, self.weights)  # before + ratio * (after - before)
        torch._foreach_copy_(self.params, self.before)


def _describe(members: list[Member]) -> list:
    """A group's runs as a result records them: its seeds, or (learning rate, seed) pairs where the rates differ."""
    if _one_config(members):
        return [s for _, s in members]
    return [[c.peak_lr, s] for c, s in members]


def _describe_text(members: list[Member]) -> str:
    if _one_config(members):
        return "seeds " + ",".join(str(s) for _, s in members)
    return "runs " + ",".join(f"lr{c.peak_lr:g}/seed{s}" for c, s in members)


def _mark_diverged(diverged: list, loss_sum: torch.Tensor, where: str) -> None:
    finite = torch.isfinite(loss_sum).tolist()
    for j, ok in enumerate(finite):
        if not ok and not diverged[j]:
            diverged[j] = f"loss became {loss_sum[j].item()} in {where}"


def _mean(metrics: list[dict]) -> dict:
    keys = ("train_loss", "train_acc", "val_acc")
    out = {}
    for key in keys:
        values = [m[key] for m in metrics if m[key] is not None and math.isfinite(m[key])]
        out[key] = sum(values) / len(values) if values else (None if key == "val_acc" else float("nan"))
    return out


def train_runs(members: list[Member], results_dir: Path | None = None, options: RunOptions = RunOptions(),
               dataset: data_mod.Dataset | None = None,
               on_result: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Every (config, seed) run, stacked or one after another as `options.stack` says (auto: stacked on CUDA).
    Stacked, the runs that may share a stack (`stackable`) train as one group each. `on_result` gets each result as
    soon as it is final (as each run, or each stacked group, ends), so a caller can record it before the next
    starts."""
    stack = options.stack == "on" or (options.stack == "auto" and resolve_device(options.device).type == "cuda")
    groups: list[list[Member]] = []
    for member in members:
        home = next((g for g in groups if stack and stackable(g[0][0], member[0])), None)
        if home is None:
            groups.append([member])
        else:
            home.append(member)
    results = {}
    for group in groups:
        if len(group) > 1:
            outcomes = train_group(group, results_dir, options, dataset=dataset)
        else:
            (config, seed), = group
            run_dir = run_dir_for(results_dir, config, seed) if results_dir is not None else None
            outcomes = [train_run(config, seed, run_dir, options, dataset=dataset)]
        for member, result in zip(group, outcomes):
            results[member] = result
            if on_result:
                on_result(result)
    return [results[m] for m in members]


def train_seeds(config: TrainConfig, seeds: list[int], results_dir: Path | None = None,
                options: RunOptions = RunOptions(), dataset: data_mod.Dataset | None = None,
                on_result: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Every seed of one config (see train_runs)."""
    return train_runs([(config, s) for s in seeds], results_dir, options, dataset, on_result)
