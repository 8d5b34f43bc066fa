"""CPU training steps with float32 subnormals in the weights: flushed to zero (what smallnets does on a CPU) or not.

Adam at a high rate with weight decay drives a small network's unused weights and their moment estimates towards
zero, into float32's subnormal range (below 1.2e-38), where x86 arithmetic takes a slow path. CIFAR-10 round 17 found
42% of a 25k ResNet's weights subnormal in the later epochs of Adam at 3e-2, and its training fell from about 2,400 to
300 images/s. This benchmark builds the same model, makes the same share of its weights subnormal, and times
training steps (forward and backward; no update, which would move the planted weights while in training nothing moves
them) on random images with flushing off and on, side by side in one run (each side in a child process of its own: the
flag is per thread, and torch's worker threads copy it when they start); a control does the same with no subnormal
weights, where flushing should change nothing.

    python benchmarks/denormals.py --threads 2           # resnet 25k, 42% subnormal, batch 128
    python benchmarks/denormals.py --budget 100k --share 0.2
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import torch
from torch.nn import functional as F

from smallnets.config import parse_count
from smallnets.models import create_model


SUBNORMAL_BITS = 0x000AE398  # 1e-39 as float32 bits; set and counted as bits, so flushing cannot touch them


def subnormal_share(model: torch.nn.Module) -> float:
    def count(p):
        magnitude = p.detach().view(torch.int32) & 0x7FFFFFFF
        return ((magnitude > 0) & (magnitude < 0x00800000)).sum().item()
    return sum(count(p) for p in model.parameters()) / sum(p.numel() for p in model.parameters())


def time_steps(args, share: float) -> tuple[float, float]:
    """(images/s over `args.steps` timed steps after 2 untimed, share of weights made subnormal)."""
    model = create_model(args.model, budget=parse_count(args.budget, "--budget"), seed=0)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            chosen = torch.rand(p.shape, generator=generator) < share
            bits = torch.where(p.view(torch.int32) < 0, SUBNORMAL_BITS | -0x80000000, SUBNORMAL_BITS)
            p.view(torch.int32)[chosen] = bits[chosen].to(torch.int32)
    planted = subnormal_share(model)
    x = torch.randn(args.batch, 3, 32, 32, generator=generator)
    y = torch.randint(0, 10, (args.batch,), generator=generator)

    def step():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    return args.steps * args.batch / (time.perf_counter() - start), planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="resnet")
    parser.add_argument("--budget", default="25k")
    parser.add_argument("--share", type=float, default=0.42, help="share of weights made subnormal")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--one", nargs=2, metavar=("SHARE", "FLUSH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one side, in its own process: the flag is per thread and torch's worker threads copy it at start
        share, flush = float(args.one[0]), args.one[1] == "on"
        torch.set_flush_denormal(flush)
        if args.threads:
            torch.set_num_threads(args.threads)
        print(*time_steps(args, share))
        return
    print(f"{args.model} {args.budget}, batch {args.batch}, {args.steps} timed steps, "
          f"{args.threads or torch.get_num_threads()} CPU thread(s), torch {torch.__version__}, each side in its own "
          f"process")
    print(f"{'weights subnormal':>18} | {'flush off img/s':>15} | {'flush on img/s':>14} | {'on / off':>8}")
    for share in (0.0, args.share):
        (off, planted), (on, _) = (
            map(float, subprocess.run([sys.executable, __file__, *sys.argv[1:], "--one", str(share), flush],
                                      capture_output=True, text=True, check=True).stdout.split())
            for flush in ("off", "on"))
        print(f"{planted:>17.1%} | {off:>15,.0f} | {on:>14,.0f} | {on / off:>7.2f}x")


if __name__ == "__main__":
    main()
