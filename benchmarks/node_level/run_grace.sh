#!/usr/bin/env bash
# GRACE on Cora and CiteSeer: full-graph as published (GRACE's
# hyper-parameters, 200 epochs), then mini-batch with uniform, kNN and
# ProSampler seed batches at B = 256 and 1024, the same 5 seeds each.
# Mini-batch runs get as many gradient steps as the full-graph run
# (200): epochs = ceil(200 / ceil(N / B)).  ProSampler's knobs are the
# library defaults, fixed before any run (M = 1000, alpha = 0.1, refresh
# every 100 batches, one uniform warm-up epoch); nothing is tuned.
# Records are appended to benchmarks/results/node_level_grace.json (runs
# already there are skipped, so the script resumes); then
#   python benchmarks/node_level/summarize_node_level.py
# Usage: bash benchmarks/node_level/run_grace.sh [DATASET ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
MIRROR=${PYG_PROSAMPLER_PLANETOID_MIRROR:-../shared/data/Planetoid}
OUT=${OUT:-benchmarks/results/node_level_grace.json}
SEEDS=${SEEDS:-"0 1 2 3 4"}
declare -A NODES=([Cora]=2708 [CiteSeer]=3327)
BATCHES=${BATCHES:-"256 1024"}
STEPS=${STEPS:-200}  # gradient steps of a mini-batch run
for ds in "${@:-Cora CiteSeer}"; do
  for d in $ds; do
    [ "${SKIP_FULL:-0}" = 1 ] || $PY -m pyg_prosampler grace --dataset "$d" \
      --planetoid-mirror "$MIRROR" --sampler full --seeds $SEEDS \
      --out "$OUT" --quiet
    for b in $BATCHES; do
      steps=$(( (NODES[$d] + b - 1) / b ))
      epochs=$(( (STEPS + steps - 1) / steps ))
      for s in $SEEDS; do  # seed by seed: a cut-off run stays paired
        $PY -m pyg_prosampler grace --dataset "$d" \
          --planetoid-mirror "$MIRROR" --sampler uniform knn prosampler \
          --batch-size "$b" --epochs "$epochs" --seeds "$s" --out "$OUT" \
          --quiet
      done
    done
  done
done
