#!/bin/sh
# What this project wants measured on the GPU machine, in phases that each fit one device call (10 minutes).
#
# A session has 15 minutes of device time, the machine's start (a minute or more) included, so the calls go back to
# back (the machine keeps files only while warm, 30 s after a call) and the longest phases come last:
#   0. here: sh benchmarks/gpu_prepare.sh   (splits the CIFAR-10 copy into parts that fit a call beside the working
#      tree, adds the wheels the GPU image lacks and the code revision, and prints the calls below with their paths)
#   1. carry .transfer/part1:  mkdir -p /root/data && cp -r .transfer/part1/* /root/data/
#   2. carry .transfer/part2:  cp -r .transfer/part2/* /root/data/       (and so on, as gpu_prepare.sh prints)
#   3. carry the last part:    cp -r .transfer/partN/* /root/data/ && sh benchmarks/gpu_round.sh /root/data single
#      (rebuilds and checks the data, installs the wheels, then issue 5's single-run figures, ~5 min)
#   4. sh benchmarks/gpu_round.sh /root/data sweep       (issue 5: the >= 8x target, ~5 min at 5 epochs)
#   then give_back. Later sessions: stacked (stacked seeds with and without CUDA graphs), and issue 6's campaigns:
#   campaign cifar10-noaug (repeat the call to go on: the sweep resumes from results-gpu/, which stays on the
#   machine while it is warm; every call returns a copy in $OUT), cifar10-aug, cifar10-transformers,
#   cifar10-optimizers, cifar10-push, cifar10-push-cutout and fashion-mnist, whose 30 MB of data travel in one call:
#   `mkdir -p .transfer/fmnist && cp /usr/share/datasets/fashion-mnist/* .transfer/fmnist/`; carry .transfer/fmnist
#   and run `mkdir -p /root/data/fashion-mnist && cp .transfer/fmnist/* /root/data/fashion-mnist/`.
# Each phase writes its figures under $OUT/<phase>/ (the files that come back). A phase that finds the data or the
# packages missing (a fresh machine: the reply said warm: false) stops at once and says so, before any GPU work.
set -u
DATA=${1:-/root/data}
PHASE=${2:-single}
OUT=${OUT:-gpu-out}
case "$PHASE" in check | single | sweep | stacked | campaign) ;; *)
  echo "gpu_round: unknown phase '$PHASE'; expected check, single, sweep, stacked or campaign" >&2; exit 2 ;;
esac
O="$OUT/$PHASE"
mkdir -p "$O"
fail() { echo "gpu_round: $*" >&2; exit 2; }
export SMALLNETS_DATA="$DATA" SMALLNETS_CACHE=/tmp/smallnets-cache PYTHONUNBUFFERED=1
# The last part's files: join the data pieces and check their sha256 (once), install the carried wheels (once).
if ls "$DATA"/*.piece* >/dev/null 2>&1; then
  sh "$DATA/rebuild.sh" "$DATA" || fail "the data pieces in $DATA do not rebuild; send them again"
fi
if [ -d "$DATA/wheels" ] && [ ! -d /tmp/site/optuna ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$DATA"/wheels/*.whl
fi
# No .git travels, so the revision comes from gpu_prepare.sh's REVISION file (store.environment reads it).
[ -f "$DATA/REVISION" ] && export SMALLNETS_GIT_REV="$(cat "$DATA/REVISION")"
export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 -c "import smallnets.cli, smallnets.sweep, smallnets.train, smallnets.report" \
  || fail "smallnets does not import (wheels not installed? make gpu_prepare.sh's calls from call 1)"
[ -f "$DATA/cifar10_jpeg_lossy.npz.xz" ] \
  || fail "no CIFAR-10 in $DATA (a fresh machine?): make gpu_prepare.sh's calls from call 1"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$O/device.txt"
python3 -c "import torch; print('torch', torch.__version__)" | tee -a "$O/device.txt"
# A step's whole output goes to $O/NAME.txt as it is printed, so a call cut off by its limit still returns what was
# written (a killed `| tail` returns nothing); the reply shows the end of it.
step() {
  name=$1; shift
  "$@" > "$O/$name.txt" 2>&1; rc=$?
  echo "== $name (exit $rc)"; tail -6 "$O/$name.txt"
}
# sqlite's backup copies a consistent database, write-ahead log included (a plain cp may miss the last runs).
backup() {
  python3 -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))" "$1" "$2"
}
case "$PHASE" in
check)
  # Everything above, then load and validate the data once (it fills the decode cache for the phases after).
  python3 -m smallnets.cli datasets --check 2>&1 | tee "$O/datasets.txt"
  ;;
single)
  step cuda_tests python3 -m pytest -q tests/test_cuda.py
  # Reference: ResNet-20, 30 epochs, crop+flip, plain GPU-resident bf16 loop: 86.7% test, 33 s on the H100.
  step resnet20 python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment \
    --results /root/results-single --progress lines
  step resnet20_fast python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment \
    --results /root/results-single --progress lines --compile reduce-overhead --batch-size 512 --lr 0.4 \
    --warmup-epochs 2
  # Larger still (fewer, bigger kernels); equal accuracy is the condition, so both are kept for the comparison.
  step resnet20_fast1024 python3 -m smallnets.cli train --model resnet --dataset cifar10 --epochs 30 --augment \
    --results /root/results-single --progress lines --compile reduce-overhead --batch-size 1024 --lr 0.8 \
    --warmup-epochs 3 --label-smoothing 0.1
  step train_throughput python3 benchmarks/train_throughput.py --budget 100k --images 45000 --device cuda --compile
  backup /root/results-single/results.sqlite "$O/results.sqlite"
  ;;
sweep)
  # 32 runs of <= 100k-parameter models (2 learning rates x 4 seeds per point, as a tuned sweep has): one at a
  # time vs worker processes vs stacked (all 8 runs of a point as one model).
  # 5 epochs (SWEEP_EPOCHS) so that the one-at-a-time side fits the call; the issue's setting is 10.
  # It prints each mode's line as that mode ends, so its file keeps them where the timeout cuts the rest off.
  step sweep_throughput timeout 560 python3 benchmarks/sweep_throughput.py --device cuda --runs 32 --seeds 4 \
    --lr-scales 0.5,1 --modes one,stacked,concurrent --epochs "${SWEEP_EPOCHS:-5}"
  ;;
stacked)
  # Horizontal batching: 8 seeds as one stacked model vs one after another (then with CUDA graphs).
  step stacked_throughput python3 benchmarks/stacked_throughput.py --device cuda --budget 100k --seeds 8 --epochs 5 \
    --augment
  step stacked_throughput_compiled python3 benchmarks/stacked_throughput.py --device cuda --budget 100k --seeds 8 \
    --epochs 5 --augment --compile reduce-overhead
  ;;
campaign)
  # A published-results campaign (sweeps/<name>.toml), bounded to fit the call; results-gpu/ is where it resumes.
  NAME=${3:?campaign needs a sweep name, e.g. cifar10-noaug}
  start=$(date +%s)
  # The whole log goes to the file (it comes back), the reply shows its end.
  timeout "${CAMPAIGN_SECONDS:-500}" python3 -m smallnets.cli sweep --config "sweeps/$NAME.toml" \
    --results results-gpu --stack-seeds --stack-lrs > "$O/sweep-$NAME.txt" 2>&1
  tail -40 "$O/sweep-$NAME.txt"
  # Then 3 seeds for what the sweep chose (front, each optimizer's rate), in the time left; the next call goes on.
  left=$(( ${CAMPAIGN_SECONDS:-500} - ($(date +%s) - start) ))
  if [ "$left" -gt 30 ]; then
    timeout "$left" python3 -m smallnets.cli confirm --seeds 3 --results results-gpu --progress none \
      > "$O/confirm-$NAME.txt" 2>&1
    tail -20 "$O/confirm-$NAME.txt"
  fi
  echo "wall $(( $(date +%s) - start )) s this call" | tee -a "$O/sweep-$NAME.txt"
  backup results-gpu/results.sqlite "$O/results.sqlite"
  python3 -m smallnets.cli runs --results results-gpu --format csv --all-columns --output "$O/runs.csv"
  ;;
esac
