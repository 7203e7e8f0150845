#!/usr/bin/env bash
# Fills benchmarks/results/graphcl_tu.json: GraphCL x {uniform, knn,
# prosampler} x InfoNCE, then {uniform, prosampler} x {DCL, HCL}, 5 seeds,
# 20 epochs, batch 128, lr 0.01. Resumable: configurations and seeds already
# in the file are skipped, so re-run it until the table is full.
#   bash benchmarks/run_graphcl_tu.sh [DATASET ...]
# Knobs are fixed up front (no tuning on test folds): the paper code's
# defaults, M = 1000 candidates, K = min(100, N - 1) neighbours, restart
# probability 0.1, graph rebuilt every 100 steps, 1 warm-up epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
MIRROR=${PYG_PROSAMPLER_TU_MIRROR:-../shared/data/TU}
OUT=benchmarks/results/graphcl_tu.json
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(MUTAG PROTEINS IMDB-BINARY IMDB-MULTI NCI1 REDDIT-BINARY COLLAB)
run() {
  .venv/bin/python -m pyg_prosampler graphcl --tu-mirror "$MIRROR" \
    --out "$OUT" --seeds 0 1 2 3 4 --epochs 20 --batch-size 128 \
    --lr 0.01 --num-neighbors 100 --num-candidates 1000 --restart-prob 0.1 \
    --refresh-every 100 --warmup-epochs 1 --quiet "$@"
}
for ds in "${SETS[@]}"; do
  for s in uniform knn prosampler; do run --dataset "$ds" --sampler $s --loss infonce; done
done
for ds in "${SETS[@]}"; do
  case $ds in REDDIT-BINARY|COLLAB) continue ;; esac
  for l in dcl hcl; do
    for s in uniform prosampler; do run --dataset "$ds" --sampler $s --loss $l; done
  done
done
