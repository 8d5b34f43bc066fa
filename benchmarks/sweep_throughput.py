"""Sweep throughput: the same fixed sweep run one trial at a time, with the concurrent executor (worker processes
sharing the device), and with stacking on top (each trial trains all seeds and learning rates of a point as one
wide model), side by side.

Prints, for each: wall time, training images/s over the whole sweep, mean GPU utilisation (sampled with nvidia-smi
where there is a GPU), and the test accuracy of the runs (mean ± std, and the mean difference between the same
config and seed against one-at-a-time: they must agree within seed noise).

    python benchmarks/sweep_throughput.py --device cuda --runs 32 --seeds 4 --epochs 10     # the target setting
    python benchmarks/sweep_throughput.py --device cuda --runs 32 --seeds 4 --lr-scales 0.5,1 --epochs 10
    python benchmarks/sweep_throughput.py --device cpu --runs 8 --seeds 2 --epochs 1 --dataset cifar10_sample
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FAMILIES = ["resnet", "shallow_cnn", "mobilenet_v2", "squeezenet"]
BUDGETS = ["25k", "50k", "75k", "100k"]


def sweep_file(path: Path, name: str, args, stack: bool) -> None:
    """About `runs` runs: families x budgets x learning rates x seeds, all <= 100k parameters."""
    scales = [float(v) for v in args.lr_scales.split(",")]
    seeds = args.seeds or max(1, args.runs // (len(FAMILIES) * len(BUDGETS) * len(scales)))
    points = max(1, args.runs // (seeds * len(scales)))
    families = FAMILIES[: max(1, min(len(FAMILIES), points))]
    budgets = BUDGETS[: max(1, min(len(BUDGETS), points // len(families)))]
    train = {"batch_size": args.batch_size}
    if args.train_limit:
        train["train_limit"] = args.train_limit
    if args.dataset == "cifar10_sample":
        train["val_size"] = 500
    path.write_text(json.dumps({"name": name, "datasets": [args.dataset], "families": families, "budgets": budgets,
                                "seeds": list(range(seeds)), "epochs": [args.epochs], "train": train,
                                "lr_scales": scales, "stack_seeds": stack, "stack_lrs": stack}))


class GpuSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.running = [], shutil.which("nvidia-smi") is not None

    def run(self):
        while self.running:
            out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip():
                self.samples.append(float(out.stdout.split()[0]))
            time.sleep(0.5)

    def mean(self):
        self.running = False
        return statistics.fmean(self.samples) if self.samples else None


def run_mode(args, workdir: Path, workers: str, stack: bool) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / "sweep.yaml"  # JSON is valid YAML
    sweep_file(spec, f"bench-{workers}-{int(stack)}", args, stack)
    cmd = [sys.executable, "-m", "smallnets.cli", "sweep", "--config", str(spec), "--results", str(workdir),
           "--workers", workers]
    if args.device:
        cmd += ["--device", args.device]
    if stack:  # stacked even on a CPU, where auto would train the seeds one after another
        cmd += ["--stack", "on"]
    gpu = GpuSampler()
    gpu.start()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    util = gpu.mean()
    from smallnets.store import RunStore
    with RunStore(workdir / "results.sqlite") as store:
        rows = store.runs()
        images = sum(sum(e["images_per_s"] * e["epoch_time_s"] for e in store.epochs(r["id"])) for r in rows)
    return {"wall_s": wall, "images_per_s": images / wall, "gpu_util": util, "runs": len(rows),
            "acc": {(r["config_hash"], r["seed"]): r["test_acc"] for r in rows}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=32)
    p.add_argument("--seeds", type=int, help="seeds per grid point (default: runs // (16 x learning rates))")
    p.add_argument("--lr-scales", default="1", help="comma-separated multiples of the default learning rate")
    p.add_argument("--modes", default="one,concurrent,stacked", help="which of one,concurrent,stacked to run")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--dataset", default="cifar10")
    p.add_argument("--train-limit", type=int)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device")
    p.add_argument("--workers", default="auto", help="concurrent side: a number or auto")
    args = p.parse_args()

    import torch

    from smallnets.measure import format_accuracies
    device = torch.cuda.get_device_name() if (args.device or "").startswith("cuda") else "CPU"
    print(f"about {args.runs} runs of <= 100k-parameter models, {args.epochs} epochs each, on {args.dataset}, "
          f"{device}, torch {torch.__version__}, workers={args.workers}", flush=True)
    # Each mode's line is printed as it finishes, so a call cut off by its time limit keeps the modes done.
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        modes = {"one": ("one at a time", "1", False), "concurrent": ("concurrent", args.workers, False),
                 "stacked": ("stacked", args.workers, True)}
        for key in args.modes.split(","):
            mode, workers, stack = modes[key]
            r = results[mode] = run_mode(args, Path(tmp) / mode.replace(" ", "_"), workers, stack)
            base = next(iter(results.values()))
            accs = list(r["acc"].values())
            util = f"{r['gpu_util']:.0f}%" if r["gpu_util"] is not None else "n/a"
            print(f"  {mode:14s} {r['runs']} runs  wall {r['wall_s']:7.1f} s  {r['images_per_s']:10,.0f} images/s  "
                  f"({r['images_per_s'] / base['images_per_s']:.2f}x)  GPU util {util}  "
                  f"test acc {format_accuracies(accs)}%",
                  flush=True)
    base = next(iter(results.values()))
    for mode, r in list(results.items())[1:]:
        paired = [r["acc"][k] - v for k, v in base["acc"].items() if k in r["acc"]]
        if paired:
            print(f"  same config and seed, {mode} minus {next(iter(results))}: mean "
                  f"{100 * statistics.fmean(paired):+.2f} points, max |diff| {100 * max(map(abs, paired)):.2f} points")


if __name__ == "__main__":
    main()
