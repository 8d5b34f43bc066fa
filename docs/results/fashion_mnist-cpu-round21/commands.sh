#!/bin/sh
# Fashion-MNIST round 21 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run,
# into round 20's results folder:
#   0. (only where round 20's results folder is gone) rebuild it from round 20's committed export: 366 runs, without
#      their model files;
#   1. seeds 1 and 2 of the shallow CNN 100k at AdamW 3e-3 and at its SGDM's best, 0.01, which round 20 had on seed 0
#      alone (confirm, optimizers, shallow CNN from 90k to 100k parameters, one round), then a dry run;
#   2. AdamW for ResNet18_S 10k at 1e-2 and 0.1, bracketing round 19's 3e-2 there;
#   3. AdamW for the shallow CNN at 250k, 1x, 3x and 10x its default (1e-3 to 1e-2), then a dry run of the front's
#      confirm;
#   4. AdamW for ShuffleNetV2 at 50k and 100k, 3x, 10x and 30x its default (3e-3 to 3e-2);
#   5. AdamW at 3e-4 for the shallow CNN at 250k, where step 3 found its best at the bottom (1e-3), then a dry run of
#      the front's confirm;
#   6. seeds 1 and 2 of ShuffleNetV2 50k at AdamW 1e-2, step 4's best there (confirm, optimizers, ShuffleNetV2 from
#      40k to 50k parameters, one round; its SGDM's best, 0.1, had 3 seeds), then a dry run;
#   7. (once the exports of the runs above were drafted) SGDM at 1e-3 for the shallow CNN at 250k, where its best,
#      3e-3 (rounds 1-18), was the bottom of its grid, so that SGDM and AdamW are compared there with both rates
#      bracketed; then dry runs of the optimizers' confirm there and of the front's;
#   8. the report (plots linked) and the exports of all runs.
# Otherwise the recipe of rounds 0-20: cosine schedule, 5 epochs, no augmentation, best-validation epoch.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round21
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round20/runs.json.xz --results "$RESULTS"
SHALLOW100K="--family shallow_cnn --min-params 90k --max-params 100k"
smallnets confirm --what optimizers --dataset fashion_mnist $SHALLOW100K --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $SHALLOW100K --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round21-resnet18-s-adamw-10k.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round21-shallow-cnn-adamw-250k.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round21-shufflenet-adamw.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round21-shallow-cnn-adamw-3e-4.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
SHUFFLE50K="--family shufflenet_v2 --min-params 40k --max-params 50k"
smallnets confirm --what optimizers --dataset fashion_mnist $SHUFFLE50K --seeds 3 --max-rounds 1 $CPU \
  --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist $SHUFFLE50K --dry-run --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round21-shallow-cnn-sgdm-1e-3.toml $CPU --results "$RESULTS"
smallnets confirm --what optimizers --dataset fashion_mnist --family shallow_cnn --min-params 200k --max-params 250k \
  --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset fashion_mnist --dry-run --results "$RESULTS"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
