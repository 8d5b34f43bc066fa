"""CPU training steps with float32 subnormals in the weights: flushed to zero (what smallnets does on a CPU) or not.

Adam at a high rate with weight decay drives a small network's unused weights and their moment estimates towards
zero, into float32's subnormal range (below 1.2e-38), where x86 arithmetic takes a slow path. CIFAR-10 round 17 found
42% of a 25k ResNet's weights subnormal in the later epochs of Adam at 3e-2, and its training fell from about 2,400 to
300 images/s. This benchmark builds the same model, makes the same share of its weights subnormal, and times
training steps (forward and backward; no update, which would move the planted weights while in training nothing moves
them) on random images with flushing off and on, side by side in one process; a control does the same with no
subnormal weights, where flushing should change nothing.

    python benchmarks/denormals.py --threads 2           # resnet 25k, 42% subnormal, batch 128
    python benchmarks/denormals.py --budget 100k --share 0.2
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F

from smallnets.config import parse_count
from smallnets.models import create_model


def subnormal_share(model: torch.nn.Module) -> float:
    tiny = torch.finfo(torch.float32).tiny
    counts = [((p != 0) & (p.abs() < tiny)).sum().item() for p in model.parameters()]
    return sum(counts) / sum(p.numel() for p in model.parameters())


def time_steps(state: dict, args, share: float, flush: bool) -> tuple[float, float]:
    """(images/s over `args.steps` timed steps after 2 untimed, share of weights made subnormal)."""
    torch.set_flush_denormal(False)  # planted and counted as stored; flushing reads them as zero
    model = create_model(args.model, budget=parse_count(args.budget, "--budget"))
    model.load_state_dict(state)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            chosen = torch.rand(p.shape, generator=generator) < share
            p[chosen] = torch.sign(p[chosen]) * 1e-39  # subnormal: below finfo(float32).tiny = 1.18e-38
    planted = subnormal_share(model)
    x = torch.randn(args.batch, 3, 32, 32, generator=generator)
    y = torch.randint(0, 10, (args.batch,), generator=generator)

    def step():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
    torch.set_flush_denormal(flush)
    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    images_per_s = args.steps * args.batch / (time.perf_counter() - start)
    torch.set_flush_denormal(False)
    return images_per_s, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="resnet")
    parser.add_argument("--budget", default="25k")
    parser.add_argument("--share", type=float, default=0.42, help="share of weights made subnormal")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    state = create_model(args.model, budget=parse_count(args.budget, "--budget"), seed=0).state_dict()
    print(f"{args.model} {args.budget}, batch {args.batch}, {args.steps} timed steps, "
          f"{torch.get_num_threads()} CPU thread(s), torch {torch.__version__}")
    print(f"{'weights subnormal':>18} | {'flush off img/s':>15} | {'flush on img/s':>14} | {'on / off':>8}")
    for share in (0.0, args.share):
        off, planted = time_steps(state, args, share, flush=False)
        on, _ = time_steps(state, args, share, flush=True)
        print(f"{planted:>17.1%} | {off:>15,.0f} | {on:>14,.0f} | {on / off:>7.2f}x")


if __name__ == "__main__":
    main()
