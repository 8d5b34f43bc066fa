"""Stacked training: K seeds of one config trained one after another vs all at once as one stacked model.

Side by side in one process, on the same data and device: training images/s over all K runs (training time only;
loading the data is shared and not counted), wall time of each side (evaluation and testing included), and test
accuracy of both (mean ± std, and the difference between the same seed in the two modes).

    python benchmarks/stacked_throughput.py --device cuda --budget 100k --seeds 8 --epochs 5
    python benchmarks/stacked_throughput.py --device cpu --dataset cifar10_sample --budget 25k --seeds 4 --epochs 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from smallnets.config import TrainConfig, parse_count
from smallnets.data import load_dataset
from smallnets.measure import format_accuracies
from smallnets.stacked import train_stacked
from smallnets.train import RunOptions, train_run


def images_per_s(results) -> float:
    images = sum(sum(m["images_per_s"] * m["epoch_time_s"] for m in r.history) for r in results)
    return images / sum(sum(m["epoch_time_s"] for m in r.history) for r in results)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet")
    p.add_argument("--budget", default="100k")
    p.add_argument("--dataset", default="cifar10")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--augment", action="store_true")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--compile", nargs="?", const="default", help="torch.compile both sides (compile time counted)")
    args = p.parse_args()

    config = TrainConfig(dataset=args.dataset, model=args.model, budget=parse_count(args.budget),
                         epochs=args.epochs, batch_size=args.batch_size, augment=args.augment,
                         val_size=500 if args.dataset == "cifar10_sample" else None)
    options = RunOptions(device=args.device, progress="none", compile=args.compile or False)
    dataset = load_dataset(args.dataset)
    seeds = list(range(args.seeds))

    # Stacked training times the stacked group as a whole: each run's images/s is per model, so the group's
    # throughput is the sum over its models.
    start = time.perf_counter()
    alone = [train_run(config, s, options=options, dataset=dataset) for s in seeds]
    alone_wall = time.perf_counter() - start
    start = time.perf_counter()
    stacked = train_stacked(config, seeds, options=options, dataset=dataset)
    stacked_wall = time.perf_counter() - start
    alone_ips = images_per_s(alone)
    stacked_ips = images_per_s(stacked) * len(stacked)

    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"{args.seeds} seeds of {args.model} (budget {args.budget}, {alone[0].measures['params_total']:,} params), "
          f"{args.epochs} epochs, batch {args.batch_size}, augment {args.augment}, on {dataset.spec.title}, "
          f"{device}, torch {torch.__version__}, threads {torch.get_num_threads()}, compile {args.compile}")
    for name, results, wall, ips in (("one at a time", alone, alone_wall, alone_ips),
                                     ("stacked", stacked, stacked_wall, stacked_ips)):
        accs = [r.test_acc for r in results if r.test_acc is not None]
        print(f"  {name:14s} wall {wall:7.1f} s  {ips:10,.0f} train images/s  ({ips / alone_ips:.2f}x)  "
              f"test acc {format_accuracies(accs)}%")
    diffs = [100 * (b.test_acc - a.test_acc) for a, b in zip(alone, stacked)
             if a.test_acc is not None and b.test_acc is not None]
    if diffs:
        print(f"  same seed, stacked minus one at a time: mean {statistics.fmean(diffs):+.2f} points, "
              f"max |diff| {max(map(abs, diffs)):.2f} points")


if __name__ == "__main__":
    main()
