#!/bin/sh
# Fashion-MNIST round 17 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 16's results folder (every front point was on 3 seeds, so this round tries the rates left open):
#   0. (only where round 16's results folder is gone) rebuild it from round 16's committed export: 253 runs, without
#      their model files;
#   1. SGDM 0.4 at 500k for the CIFAR ResNet, whose 0.2 took the 500k point in round 16 but was bracketed only from
#      below there;
#   2. SGDM 0.2 at 100k and at 500k for MobileNetV2, whose 0.1 beat 0.05 at both and whose 0.2 led at 25k, 50k and
#      250k; SGDM 0.1 at 1M for ShuffleNetV2, whose 0.1 beat 0.05 from 50k to 500k while 1M had tried only 0.05;
#   3. SGDM 0.2 at 500k for ResNet18_S (0.1 beat 0.05 there, bracketed only from below): it joined the front on seed
#      0, and the dry run after it listed its seeds 1 and 2; then 0.4 at 100k for MobileNetV2 once its 0.2 had beaten
#      0.1 there, and 0.2 at 1M for ShuffleNetV2 once its 0.1 had beaten 0.05 there;
#   4. ResNet18_S 492.7k at 0.2's seeds 1 and 2 (confirm) and the dry run after them (it lists nothing);
#   5. SGDM 0.4 at 500k and 0.2 at 1M for ResNet18_S, the rates next to its new point, then 0.4 at 1M;
#   6. SGDM 0.2 and 0.4 at 50k for ResNet18_S, which had tried up to 0.1 there: 0.2 joined the front on seed 0, and
#      confirm ran its seeds 1 and 2 (it fell below ResNet 49.7k on 3 seeds and left the front);
#   7. a confirm dry run after each chain of sweeps (as listed; twice after the last confirm), the report (plots
#      linked) and the exports.
# Otherwise the recipe of rounds 0-16: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round17
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round16/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-resnet-500k-0.4.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-mobilenet-100k-0.2.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-mobilenet-500k-0.2.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-shufflenet-1m-0.1.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-resnet18s-500k-0.2.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-mobilenet-100k-0.4.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-shufflenet-1m-0.2.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-resnet18s-500k-0.4.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-resnet18s-1m-0.2.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-resnet18s-1m-0.4.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-resnet18s-50k-0.2.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round17-resnet18s-50k-0.4.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
