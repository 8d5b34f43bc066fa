#!/bin/sh
# What this project wants measured on the GPU machine, in phases that each fit one device call (10 minutes).
#
# Plan for a session with 30 minutes of device time (calls back to back: the machine keeps files only while warm):
#   1. carry .transfer/part1:  mkdir -p /root/data && cp .transfer/part1/* /root/data/
#   2. carry .transfer/part2:  cp .transfer/part2/* /root/data/ && sh /root/data/rebuild.sh /root/data &&
#                              sh benchmarks/gpu_round.sh /root/data single          (issue 5: one fast run, ~5 min)
#   3. sh benchmarks/gpu_round.sh /root/data sweep       (issue 5: >= 8x target, ~8 min)
#   4. sh benchmarks/gpu_round.sh /root/data stacked     (issue 5: stacked seeds with and without CUDA graphs)
#   5. sh benchmarks/gpu_round.sh /root/data campaign cifar10-noaug   (issue 6; repeat the call to go on: the sweep
#      resumes from results-gpu/, which stays on the machine while it is warm; every call returns a copy in $OUT)
#   Later sessions: campaign cifar10-aug, cifar10-transformers (ViT and CCT with AdamW), cifar10-optimizers,
#   cifar10-push (the <= 100k push: 200 epochs, 2-3 calls) and fashion-mnist, whose 30 MB of data travel in one
#   call: after split-for-transfer (which empties .transfer/),
#   `mkdir -p .transfer/fmnist && cp /usr/share/datasets/fashion-mnist/* .transfer/fmnist/`; carry .transfer/fmnist
#   and run `mkdir -p /root/data/fashion-mnist && cp .transfer/fmnist/* /root/data/fashion-mnist/`.
# Each phase writes its figures under $OUT/<phase>/ (the files that come back).
set -u
DATA=${1:-/root/data}
PHASE=${2:-single}
OUT=${OUT:-gpu-out}
O="$OUT/$PHASE"
mkdir -p "$O"
export SMALLNETS_DATA="$DATA" SMALLNETS_CACHE=/tmp/smallnets-cache PYTHONUNBUFFERED=1
python3 -m pip install -q --no-deps --no-index -e . 2>/dev/null || export PYTHONPATH="$PWD:${PYTHONPATH:-}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$O/device.txt"
python3 -c "import torch; print('torch', torch.__version__)" | tee -a "$O/device.txt"
case "$PHASE" in
single)
  python3 -m pytest -q tests/test_cuda.py 2>&1 | tail -5 | tee "$O/cuda_tests.txt"
  # Reference: ResNet-20, 30 epochs, crop+flip, plain GPU-resident bf16 loop: 86.7% test, 33 s on the H100.
  python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment --results "$O/res" \
    --progress lines 2>&1 | tail -6 | tee "$O/resnet20.txt"
  python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment --results "$O/res" \
    --compile reduce-overhead --batch-size 512 --lr 0.4 --warmup-epochs 2 2>&1 | tail -6 | tee "$O/resnet20_fast.txt"
  # Larger still (fewer, bigger kernels); equal accuracy is the condition, so both are kept for the comparison.
  python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment --results "$O/res" \
    --compile reduce-overhead --batch-size 1024 --lr 0.8 --warmup-epochs 3 --label-smoothing 0.1 2>&1 | tail -6 \
    | tee "$O/resnet20_fast1024.txt"
  python3 benchmarks/train_throughput.py --budget 100k --images 45000 --device cuda --compile 2>&1 | tail -5 \
    | tee "$O/train_throughput.txt"
  ;;
sweep)
  # 32 runs of <= 100k-parameter models (2 learning rates x 4 seeds per point, as a tuned sweep has): one at a
  # time vs worker processes vs stacked (all 8 runs of a point as one model).
  python3 benchmarks/sweep_throughput.py --device cuda --runs 32 --seeds 4 --lr-scales 0.5,1 --epochs 10 2>&1 \
    | tail -8 | tee "$O/sweep_throughput.txt"
  ;;
stacked)
  # Horizontal batching: 8 seeds as one stacked model vs one after another (then with CUDA graphs).
  python3 benchmarks/stacked_throughput.py --device cuda --budget 100k --seeds 8 --epochs 5 --augment 2>&1 \
    | tail -5 | tee "$O/stacked_throughput.txt"
  python3 benchmarks/stacked_throughput.py --device cuda --budget 100k --seeds 8 --epochs 5 --augment \
    --compile reduce-overhead 2>&1 | tail -5 | tee "$O/stacked_throughput_compiled.txt"
  ;;
campaign)
  # A published-results campaign (sweeps/<name>.toml), bounded to fit the call; results-gpu/ is where it resumes.
  NAME=${3:?campaign needs a sweep name, e.g. cifar10-noaug}
  start=$(date +%s)
  timeout "${CAMPAIGN_SECONDS:-500}" python3 -m smallnets.cli sweep --config "sweeps/$NAME.toml" \
    --results results-gpu --stack-seeds --stack-lrs 2>&1 | tail -40 | tee "$O/sweep-$NAME.txt"
  # Then 3 seeds for what the sweep chose (front, each optimizer's rate), in the time left; the next call goes on.
  left=$(( ${CAMPAIGN_SECONDS:-500} - ($(date +%s) - start) ))
  [ "$left" -gt 30 ] && timeout "$left" python3 -m smallnets.cli confirm --seeds 3 --results results-gpu \
    --progress none 2>&1 | tail -20 | tee -a "$O/sweep-$NAME.txt"
  echo "wall $(( $(date +%s) - start )) s this call" | tee -a "$O/sweep-$NAME.txt"
  # sqlite's backup copies a consistent database, write-ahead log included (a plain cp may miss the last runs).
  python3 -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))" \
    results-gpu/results.sqlite "$O/results.sqlite"
  python3 -m smallnets.cli runs --results results-gpu --format csv --all-columns --output "$O/runs.csv"
  ;;
*)
  echo "unknown phase '$PHASE'; expected single, sweep, stacked or campaign" >&2
  exit 2
  ;;
esac
