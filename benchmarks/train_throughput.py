"""Training images/s: smallnets' device-resident loop vs a plain PyTorch DataLoader loop, same model, side by side.

The plain loop is what most CIFAR code does: a Dataset whose __getitem__ crops and flips one image at a time, a
DataLoader with default settings (no workers), fp32, each batch copied to the device. Both train the same
budget-fitted ResNet with SGD on the same images with augmentation; the first epoch of each is a warm-up and is not
timed.

    python benchmarks/train_throughput.py --budget 100k --images 10000           # CPU
    python benchmarks/train_throughput.py --budget 100k --images 45000 --device cuda
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.nn import functional as F

from smallnets import data
from smallnets.config import TrainConfig, parse_count
from smallnets.models import create_model
from smallnets.train import RunOptions, resolve_device, train_run


class PerSampleCifar(torch.utils.data.Dataset):
    def __init__(self, x: np.ndarray, y: np.ndarray, spec: data.DatasetSpec):
        self.x, self.y = x, y
        self.mean = torch.tensor(spec.mean).view(-1, 1, 1)
        self.std = torch.tensor(spec.std).view(-1, 1, 1)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        # RandomCrop(32, padding=4), RandomHorizontalFlip, ToTensor, Normalize, one image at a time.
        img = F.pad(torch.from_numpy(self.x[i]).permute(2, 0, 1), (4, 4, 4, 4))
        dy, dx = np.random.randint(0, 9, size=2)
        img = img[:, dy:dy + 32, dx:dx + 32]
        if np.random.rand() < 0.5:
            img = img.flip(2)
        return (img.float() / 255 - self.mean) / self.std, int(self.y[i])


def plain_loop(x, y, spec, knobs, device, epochs: int, batch_size: int) -> float:
    """images/s of the last epoch of a textbook DataLoader loop."""
    torch.manual_seed(0)
    h, _, c = spec.image_shape
    model = create_model("resnet", num_classes=spec.num_classes, in_channels=c, image_size=h, **knobs).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    loader = torch.utils.data.DataLoader(PerSampleCifar(x, y, spec), batch_size=batch_size, shuffle=True,
                                         drop_last=True)
    rate = 0.0
    for _ in range(epochs):
        model.train()
        seen, t0 = 0, time.perf_counter()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += len(yb)
        if device.type == "cuda":
            torch.cuda.synchronize()
        rate = seen / (time.perf_counter() - t0)
    return rate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", default="100k")
    p.add_argument("--images", type=int, default=10000, help="training images per epoch")
    p.add_argument("--epochs", type=int, default=2, help="the last one is timed")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--dataset", default="cifar10")
    p.add_argument("--device")
    p.add_argument("--compile", action="store_true", help="also time smallnets with torch.compile")
    args = p.parse_args()

    device = resolve_device(args.device)
    ds = data.load_dataset(args.dataset)
    budget = parse_count(args.budget)
    cfg = TrainConfig(dataset=args.dataset, model="resnet", budget=budget, epochs=args.epochs,
                      batch_size=args.batch_size, augment=True, lr=0.05, train_limit=args.images, val_size=1000)
    runs = {"smallnets": RunOptions(device=str(device), progress="none")}
    if args.compile:
        runs["smallnets+compile"] = RunOptions(device=str(device), progress="none", compile=True)
    rates, knobs = {}, None
    for name, opts in runs.items():
        r = train_run(cfg, 0, options=opts, dataset=ds)
        rates[name], knobs = r.history[-1]["images_per_s"], r.knobs
    splits = data.make_splits(ds, 1000, train_limit=args.images)
    rates["plain DataLoader"] = plain_loop(*splits.train, ds.spec, knobs, device, args.epochs, args.batch_size)

    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"resnet {knobs} ({budget:,}-parameter budget) on {ds.label}, {args.images:,} images/epoch, "
          f"batch {args.batch_size}, crop+flip, {name}, torch {torch.__version__}")
    base = rates["plain DataLoader"]
    for k, v in rates.items():
        print(f"  {k:20s} {v:10,.0f} images/s   {v / base:5.2f}x")


if __name__ == "__main__":
    main()
