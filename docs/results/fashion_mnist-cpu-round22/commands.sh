#!/bin/sh
# Fashion-MNIST round 22 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 21's results folder:
#   0. (only where round 21's results folder is gone) rebuild it from round 21's committed export: 385 runs, without
#      their model files;
#   1. seeds 1 and 2 of ShuffleNetV2 100k at AdamW 1e-2 and at its SGDM's best, 0.4, which round 21 had on seed 0
#      alone (confirm, optimizers, ShuffleNetV2 from 90k to 100k parameters, one round), then a dry run;
#   2. the same for the shallow CNN 250k at AdamW 1e-3 and SGDM 3e-3 (200k to 250k parameters), then a dry run;
#   3. AdamW for MobileNetV2 at 50k, 3x, 10x and 30x its default (3e-3 to 3e-2), then a dry run of the front's
#      confirm;
#   4. AdamW at 0.1 for MobileNetV2 at 50k, where step 3 found its best at the top (3e-2), then dry runs of the
#      optimizers' confirm there (40k to 50k parameters) and of the front's;
#   5. the report (plots linked) and the exports of all runs.
# Otherwise the recipe of rounds 0-21: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round22
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round21/runs.json.xz --results "$RESULTS"
SHUFFLE100K="--family shufflenet_v2 --min-params 90k --max-params 100k"
smallnets confirm --what optimizers --dataset fashion_mnist $SHUFFLE100K --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $SHUFFLE100K --dry-run --results "$RESULTS"
SHALLOW250K="--family shallow_cnn --min-params 200k --max-params 250k"
smallnets confirm --what optimizers --dataset fashion_mnist $SHALLOW250K --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $SHALLOW250K --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round22-mobilenet-adamw-50k.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round22-mobilenet-adamw-0.1.toml $CPU --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --family mobilenet_v2 --min-params 40k --max-params 50k \
  --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
