#!/bin/sh
# Fashion-MNIST round 6 (issue 6), 2-core CPU, exact official data (Debian's dataset-fashion-mnist), as it was run:
#   0. (only where round 5's results folder is gone) rebuild it from round 5's committed export;
#   1. shallow_cnn at 500k and 1M, the first family beside resnet and mlp at those budgets (the recipe of rounds 0-5:
#      SGDM 0.05, 5 epochs, no augmentation, best-validation epoch, seed 0);
#   2. squeezenet at 25k and 250k, the budgets it had not had (same recipe);
#   3. squeezenet at SGDM 0.01 at 50k and 250k, where 0.05 stays at chance, so that its rate is chosen on validation,
#      then at 500k and 1M at 0.01 alone;
#   4. the report and the exports in this folder.
# Steps 1-3 as sweep files, the same runs (same config hashes; a dry run finds them recorded):
# sweeps/fashion-mnist-cpu-round6-shallow-500k.toml (run as such), sweeps/fashion-mnist-cpu-round6-shallow-1m.toml,
# sweeps/fashion-mnist-cpu-round6-squeezenet.toml, sweeps/fashion-mnist-cpu-round6-squeezenet-rate.toml.
set -eu
RESULTS=${RESULTS:-results-fmnist-cpu}
OUT=docs/results/fashion_mnist-cpu-round6
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/fashion_mnist-cpu-round5/runs.json --results "$RESULTS"
smallnets sweep --config sweeps/fashion-mnist-cpu-round6-shallow-500k.toml --results "$RESULTS" $CPU
TRAIN="--dataset fashion_mnist --epochs 5 --select best_val --results $RESULTS $CPU --seed 0"
smallnets train --model shallow_cnn --budget 1M --lr 0.05 $TRAIN
smallnets train --model squeezenet --budget 25k --lr 0.05 $TRAIN
smallnets train --model squeezenet --budget 250k --lr 0.05 $TRAIN
smallnets train --model squeezenet --budget 250k --lr 0.01 $TRAIN
smallnets train --model squeezenet --budget 50k --lr 0.01 $TRAIN
smallnets train --model squeezenet --budget 500k --lr 0.01 $TRAIN
smallnets train --model squeezenet --budget 1M --lr 0.01 $TRAIN
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
