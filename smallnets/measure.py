"""Honest counting: parameters (total, trainable, non-zero), bytes, MACs/FLOPs and latency of any nn.Module.

Units are part of every name. `torch.utils.flop_counter` counts FLOPs = 2 x MACs of matmuls and convolutions and
ignores BatchNorm, pooling and elementwise ops; we report both, labelled, and say so.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode


@dataclass(frozen=True)
class ParamCounts:
    total: int  # every parameter, dense (a pruned weight counts at full size)
    trainable: int
    nonzero: int  # after pruning masks are applied
    buffers: int  # BatchNorm running stats etc., excluding pruning masks; not parameters but stored with the model

    @property
    def bytes(self) -> dict:
        return {"fp32": 4 * self.total, "fp16": 2 * self.total, "int8": self.total}


def count_parameters(model: nn.Module) -> ParamCounts:
    """Counts that stay right after torch.nn.utils.prune, which keeps the dense `weight_orig` as the parameter and
    multiplies by a `weight_mask` buffer on every forward."""
    total = trainable = nonzero = 0
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            total += p.numel()
            trainable += p.numel() if p.requires_grad else 0
            if name.endswith("_orig") and hasattr(module, name[: -len("_orig")] + "_mask"):
                effective = p.detach() * getattr(module, name[: -len("_orig")] + "_mask")
            else:
                effective = p.detach()
            nonzero += int(torch.count_nonzero(effective)) if effective.device.type != "meta" else effective.numel()
    buffers = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("_mask"))
    return ParamCounts(total, trainable, nonzero, buffers)


def count_flops(model: nn.Module, input_shape: tuple[int, ...]) -> dict:
    """FLOPs and MACs of one forward pass of one image of `input_shape` (C, H, W), in eval mode."""
    device = next(iter(model.parameters()), torch.empty(0)).device
    was_training = model.training
    model.eval()
    try:
        # The fused CPU attention kernel has no FLOP formula, so the counter would skip attention's two matmuls on a
        # CPU (and count them on CUDA or meta); the math backend spells them out as bmm on every device.
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
    flops = counter.get_total_flops()
    return {"flops": int(flops), "macs": int(flops // 2)}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def measure_latency(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1, *, warmup: int = 5,
                    repeats: int = 20, device: str | torch.device | None = None) -> dict:
    """Median wall time of a forward pass over `repeats` runs after `warmup` untimed ones (cudnn autotuning, caches)."""
    device = torch.device(device) if device else next(iter(model.parameters()), torch.empty(0)).device
    model = model.to(device).eval()
    x = torch.randn(batch_size, *input_shape, device=device)
    for _ in range(warmup):
        model(x)
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        _sync(device)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"batch_size": batch_size, "device": str(device), "latency_ms": median * 1e3,
            "latency_ms_p90": sorted(times)[int(0.9 * (len(times) - 1))] * 1e3,
            "images_per_s": batch_size / median, "repeats": repeats}


def measure_model(model: nn.Module, input_shape: tuple[int, ...], *, latency: bool = False,
                  large_batch: int = 256, device: str | torch.device | None = None) -> dict:
    """Everything in one flat dict, units in the keys."""
    counts = count_parameters(model)
    result = {"params_total": counts.total, "params_trainable": counts.trainable, "params_nonzero": counts.nonzero,
              "buffers": counts.buffers, **{f"bytes_{k}": v for k, v in counts.bytes.items()},
              **count_flops(model, input_shape)}
    if latency:
        for bs in (1, large_batch):
            lat = measure_latency(model, input_shape, bs, device=device)
            result[f"latency_ms_b{bs}"] = lat["latency_ms"]
            result[f"images_per_s_b{bs}"] = lat["images_per_s"]
        result["latency_device"] = lat["device"]
    return result


def format_count(n: float) -> str:
    # A unit is taken from where 3 significant figures round up to it, so 999,686 is "1M", not "1e+03k".
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale * 0.9995:
            return f"{n / scale:.3g}{unit}"
    return f"{n:.0f}"


def format_knobs(knobs: dict) -> str:
    """A model's knobs as they are written on the command line: 'depth=14, width=19'."""
    return ", ".join(f"{k}={v}" for k, v in knobs.items())


def format_mean_std(mean: float, std: float, n: int) -> str:
    """An accuracy in percent, with its spread where n values give one (one value has none, not 0.00)."""
    return f"{100 * mean:.2f} ± {100 * std:.2f}" if n > 1 else f"{100 * mean:.2f}"


def format_accuracies(accuracies: list[float]) -> str:
    """format_mean_std of a list of accuracies (fractions); an empty list says so instead of failing."""
    if not accuracies:
        return "n/a"
    std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    return format_mean_std(statistics.fmean(accuracies), std, len(accuracies))


__all__ = ["ParamCounts", "count_parameters", "count_flops", "measure_latency", "measure_model", "format_count",
           "format_knobs", "format_mean_std", "format_accuracies"]
