#!/bin/sh
# CIFAR-10 round 35 (issue 6) on a 2-core CPU, on the JPEG copy of CIFAR-10 ("CIFAR-10 (JPEG copy)"), as it was run:
#   0. (only where round 34's results folder is gone, as it was for this round) rebuild it from round 34's committed
#      export: 321 runs (ids up to 323), without their model files;
#   1. MobileNetV2 without augmentation at 10 epochs, seed 0: at 1M (SGDM 0.1), run 324 (stopped after its third
#      epoch and relaunched, which resumed it from that epoch's checkpoint with malloc keeping freed memory), then at
#      250k at SGDM 0.3, run 325;
#   2. the confirm dry runs of both tracks after them;
#   3. the exact-vs-JPEG gap of the new runs (the front's model files went with the results folder of the session
#      before, so `--runs` names the runs that have one; round 34's jpeg-gap files hold the front's), the report
#      (plots linked) and the exports.
set -eu
RESULTS=${RESULTS:-results-cifar10-cpu}
OUT=docs/results/cifar10-cpu-round35
CPU="--device cpu --threads 2 --progress lines"
[ -f "$RESULTS/results.sqlite" ] || smallnets runs --import docs/results/cifar10-cpu-round34/runs.json.xz --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round35-mobilenet-1m.toml $CPU --results "$RESULTS"
smallnets sweep --config sweeps/cifar10-cpu-round35-mobilenet-250k-0.3.toml $CPU --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment off --dry-run --results "$RESULTS"
smallnets confirm --what front --dataset cifar10 --augment on --dry-run --results "$RESULTS"
smallnets jpeg-gap --results "$RESULTS" --runs 324,325 --device cpu --json-out "$OUT/jpeg-gap.json" > "$OUT/jpeg-gap.txt"
smallnets report --results "$RESULTS" --out "$OUT" --link-images
smallnets runs --results "$RESULTS" --format csv --all-columns --output "$OUT/runs.csv"
smallnets runs --results "$RESULTS" --format json --all-columns --output "$OUT/runs.json"
