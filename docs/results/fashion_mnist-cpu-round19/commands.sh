#!/bin/sh
# Fashion-MNIST round 19 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 18's results folder:
#   0. (only where round 18's results folder is gone) rebuild it from round 18's committed export: 279 runs, without
#      their model files;
#   1. SGDM 0.1 at 500k for the CIFAR ResNet, untried there (0.1 took the top of the front at 1M in round 18);
#   2. a second seed of SqueezeNet 250k at 0.01, whose seed 0 gave 87.40 in round 6 and 84.96 when run again;
#   3. the optimizer comparison at equal tuning effort on the CIFAR ResNet 25k: Adam, AdamW and AdaBound at five
#      multiples of their default rate (SGDM had five rates there already), seed 0, then AdamW at 0.1, since its best
#      rate, 3e-2, was the top of that grid;
#   4. seeds 1 and 2 of each optimizer's chosen rate (confirm, optimizers only, configs of at most 25k, one round),
#      between two dry runs; AdamW 25k joined the front;
#   5. AdamW at 3e-2 on the ResNet at 50k and 100k, to see whether its lead holds there, and a dry run of the front's
#      confirm (nothing to train: neither joined the front);
#   6. AdamW at 1e-2 at 50k and 100k, a second rate, then seeds 1 and 2 of AdamW's chosen rate at each (confirm,
#      optimizers, the ResNet, one round, between dry runs): the first launch, from 50k, left out the 50k model
#      (49,709 parameters; the bounds count parameters, not budgets), so a second launch from 30k trained it; then a
#      dry run of the front's confirm;
#   7. AdamW at 3e-2 on the ResNet and ResNet18_S at 10k and 25k (the ResNet 25k run is the one of step 3, taken
#      from the database), then the front's confirm up to 25k (one round) between two dry runs;
#   8. the report (plots linked) and the exports of all runs.
# SGDM 0.001 from 250k to 1M for the shallow CNN was planned after step 4 and dropped before it ran, for time
# (d15e866). Otherwise the recipe of rounds 0-18: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round19
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round18/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round19-resnet-500k-0.1.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round19-squeezenet-250k-0.01-seed1.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round19-optimizers-25k.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round19-adamw-25k-0.1.toml $CPU --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --max-params 25k --dry-run --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --max-params 25k --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --max-params 25k --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round19-adamw-50k-100k-0.03.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round19-adamw-50k-100k-0.01.toml $CPU --results "$RESULTS"
BETWEEN="--family resnet --min-params 50k --max-params 100k"
smallnets confirm --what optimizers --dataset fashion_mnist $BETWEEN --dry-run --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $BETWEEN --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $BETWEEN --dry-run --results "$RESULTS"
BETWEEN="--family resnet --min-params 30k --max-params 100k"
smallnets confirm --what optimizers --dataset fashion_mnist $BETWEEN --dry-run --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $BETWEEN --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $BETWEEN --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round19-adamw-10k-25k-0.03.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --max-params 25k --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
