"""CPU training steps with glibc's malloc as it comes, or keeping freed memory (what `smallnets train`, `sweep` and
`confirm` do since CIFAR-10 round 35).

As it comes, malloc maps every block over its threshold (at most 32 MB, a batch's activations) fresh from the kernel
and unmaps it when freed, so each step zero-fills its activations page by page again. CIFAR-10 round 35's MobileNetV2
1M trained at 66-82 images/s with about 30% of its CPU time in the kernel on 184,000 page faults a second; restarted
from its checkpoint with freed memory kept, 123. This benchmark times the same training steps (forward, backward and
an SGD update on random images) both ways, side by side in one run, each side in a child process of its own (the
setting is per process and cannot be undone), and counts each side's page faults, the share of its CPU time spent in
the kernel and its peak memory (what keeping costs).

    python benchmarks/cpu_allocator.py --threads 2                          # mobilenet_v2 1M, batch 128
    python benchmarks/cpu_allocator.py --model resnet --budget 100k --threads 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch
from torch.nn import functional as F

from smallnets.config import parse_count
from smallnets.models import create_model
from smallnets.train import keep_freed_memory


def time_steps(args) -> dict:
    """images/s, page faults per step and kernel share of CPU time over `args.steps` timed steps after 2 untimed, and
    the process's peak memory."""
    model = create_model(args.model, budget=parse_count(args.budget, "--budget"), seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, 3, 32, 32, generator=generator)
    y = torch.randint(0, 10, (args.batch,), generator=generator)

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    for _ in range(2):
        step()
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    user, kernel = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {"images_per_s": args.steps * args.batch / seconds,
            "faults_per_step": (after.ru_minflt - before.ru_minflt) / args.steps,
            "kernel_share": kernel / max(user + kernel, 1e-9), "peak_mb": after.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mobilenet_v2")
    parser.add_argument("--budget", default="1M")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--one", choices=("default", "kept"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one side, in its own process: malloc's settings hold for the whole process
        applied = keep_freed_memory() if args.one == "kept" else False
        if args.threads:
            torch.set_num_threads(args.threads)
        print(json.dumps({**time_steps(args), "applied": applied}))
        return
    print(f"{args.model} {args.budget}, batch {args.batch}, {args.steps} timed training steps, "
          f"{args.threads or torch.get_num_threads()} CPU thread(s), torch {torch.__version__}, each side in its own "
          f"process")
    sides = {side: json.loads(subprocess.run([sys.executable, __file__, *sys.argv[1:], "--one", side],
                                             capture_output=True, text=True, check=True).stdout)
             for side in ("default", "kept")}
    print(f"{'malloc':>20} | {'images/s':>9} | {'page faults/step':>16} | {'kernel share':>12} | {'peak MB':>7}")
    for side, label in (("default", "as it comes"), ("kept", "keeps freed memory")):
        r = sides[side]
        if side == "kept" and not r["applied"]:
            label = "not glibc: unchanged"
        print(f"{label:>20} | {r['images_per_s']:>9,.0f} | {r['faults_per_step']:>16,.0f} | "
              f"{r['kernel_share']:>12.1%} | {r['peak_mb']:>7,.0f}")
    print(f"kept / as it comes: {sides['kept']['images_per_s'] / sides['default']['images_per_s']:.2f}x images/s")


if __name__ == "__main__":
    main()
