#!/usr/bin/env bash
# GraphCL accuracy with ProSampler batches, rolling refresh against full
# rebuilds, paired by seed, into benchmarks/results/rolling_graphcl.json
# (resumable: runs already there are skipped).
#   [SEEDS="0 1 2 3 4"] [MODES="rolling full"] \
#       bash benchmarks/graphcl/run_rolling_graphcl.sh [DATASET ...]
# Library defaults (passes of ceil(N/B) batches, coverage cycling across
# passes) and run_graphcl_tu.sh's knobs, except the refresh cadence: every
# 5 batches.  At the default 100, a refresh comes after at least
# 100 * 128 > N fed rows on PROTEINS and NCI1, every row is due, and a
# rolling refresh is a full rebuild; every 5 batches it recomputes the
# 640 fed rows plus the rows due (ceil(N / 640) refreshes old).
set -euo pipefail
cd "$(dirname "$0")/../.."
MIRROR=${PYG_PROSAMPLER_TU_MIRROR:-../shared/data/TU}
OUT=${OUT:-benchmarks/results/rolling_graphcl.json}
SEEDS=${SEEDS:-"0 1 2 3 4"}
MODES=${MODES:-"rolling full"}
export OMP_NUM_THREADS=1
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(PROTEINS NCI1)
for ds in "${SETS[@]}"; do
  for mode in $MODES; do
    # shellcheck disable=SC2086
    .venv/bin/python -m pyg_prosampler graphcl --tu-mirror "$MIRROR" \
      --dataset "$ds" --out "$OUT" --seeds $SEEDS --epochs 20 \
      --batch-size 128 --lr 0.01 --num-neighbors 100 --num-candidates 1000 \
      --restart-prob 0.1 --refresh-every 5 --warmup-epochs 1 \
      --coverage cycle --refresh "$mode" --sampler prosampler --quiet
  done
done
