#!/usr/bin/env bash
# GRACE on Cora and CiteSeer: full-graph as published (GRACE's
# hyper-parameters, 200 epochs), then mini-batch with uniform, kNN and
# ProSampler seed batches at B = 256 and 1024, the same 5 seeds each.
# Mini-batch runs get as many gradient steps as the full-graph run
# (200): epochs = ceil(200 / ceil(N / B)).  ProSampler's knobs are the
# library defaults (M = 1000, alpha = 0.1, one uniform warm-up epoch)
# except the refresh: once a pass (ceil(N / B) batches, REFRESH=pass), as
# a run lasts 10-70 passes and the default 100 batches would leave the
# walk on the warm-up graph for most of it (REFRESH=100 for that);
# nothing is tuned on labels.
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
REFRESH=${REFRESH:-pass}  # batches between proximity graph refreshes
for ds in "${@:-Cora CiteSeer}"; do
  for d in $ds; do
    [ "${SKIP_FULL:-0}" = 1 ] || $PY -m pyg_prosampler grace --dataset "$d" \
      --planetoid-mirror "$MIRROR" --sampler full --seeds $SEEDS \
      --out "$OUT" --quiet
    for b in $BATCHES; do
      steps=$(( (NODES[$d] + b - 1) / b ))
      epochs=$(( (STEPS + steps - 1) / steps ))
      refresh=$([ "$REFRESH" = pass ] && echo "$steps" || echo "$REFRESH")
      for s in $SEEDS; do  # seed by seed: a cut-off run stays paired
        $PY -m pyg_prosampler grace --dataset "$d" \
          --planetoid-mirror "$MIRROR" --sampler uniform knn prosampler \
          --batch-size "$b" --epochs "$epochs" --refresh-every "$refresh" \
          --seeds "$s" --out "$OUT" --quiet
      done
    done
  done
done
