#!/bin/sh
# CIFAR-10 round 3 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run,
# into round 2's results folder (rounds 0-2's 72 runs stay in the report; nothing is re-run):
#   1. round 2's family sweep resumed: its last point, mobilenet_v2 50k, had stopped at epoch 5 of 10 and went on
#      from its epoch-6 checkpoint (its trial is marked "failed and re-run" in the study: the killed worker's);
#   2. seeds 1 and 2 for the no-augmentation front's 1-seed point (resnet 97,414, the 100k budget);
#   3. the push: resnet 50k with crop+flip for 30 epochs instead of 10 (sweeps/cifar10-cpu-round3-push.toml);
#   4. seeds 1 and 2 for the augmentation track's front: resnet 24,736 at 10 epochs and, at 50k, step 3's 30-epoch
#      config (it had become the front point on validation);
#   5. the push at 100k: resnet 97,414 with crop+flip for 30 epochs (seed 0), then confirm gives it seeds 1 and 2;
#   6. the exact-vs-JPEG gap of the fronts' runs, the report and the exports in this folder.
# Every step skips what the results folder already holds, so the script also resumes after a stop.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}   # round 2's folder (docs/results/cifar10-cpu-round2/commands.sh)
OUT=docs/results/cifar10-cpu-round3
CPU="--device cpu --threads 2 --progress lines"
smallnets sweep --config sweeps/cifar10-cpu-round2-families.toml --results "$RESULTS" $CPU
smallnets confirm --seeds 3 --augment off --results "$RESULTS" $CPU
smallnets sweep --config sweeps/cifar10-cpu-round3-push.toml --results "$RESULTS" $CPU
smallnets confirm --seeds 3 --augment on --results "$RESULTS" $CPU
smallnets train --model resnet --dataset cifar10 --budget 100000 --augment --epochs 30 --select best_val --seeds 0 \
  --results "$RESULTS" $CPU
smallnets confirm --seeds 3 --augment on --results "$RESULTS" $CPU
smallnets jpeg-gap --results "$RESULTS" --device cpu > "$OUT/jpeg-gap.txt"
smallnets jpeg-gap --results "$RESULTS" --device cpu --json > "$OUT/jpeg-gap.json"
smallnets report --results "$RESULTS" --out "$OUT"
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
