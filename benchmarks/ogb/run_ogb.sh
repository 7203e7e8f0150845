#!/usr/bin/env bash
# Fills benchmarks/results/ogb.json (resumable: records already there are
# skipped).  GraphCL pre-training (InfoNCE, 20 epochs, batch 128, lr 0.01)
# with uniform vs ProSampler batches on ogbg-mol* sets, then a linear probe
# (logistic regression, C chosen on the scaffold validation split), test
# ROC-AUC with ogb's Evaluator.  Knobs as run_graphcl_tu.sh, fixed up front.
#   [EPOCHS=20] bash benchmarks/ogb/run_ogb.sh [SEEDS] [DATASET ...]
# (ogbg-molhiv, 41k graphs, was run with EPOCHS=5 and 3 seeds: a 20-epoch
# run takes over an hour on the 2-core machine.)
set -euo pipefail
cd "$(dirname "$0")/../.."
MIRROR=${PYG_PROSAMPLER_OGB_MIRROR:-../shared/data/OGB}
OUT=benchmarks/results/ogb.json
export OMP_NUM_THREADS=1
SEEDS=${1:-"0 1 2 3 4"}; shift || true
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(ogbg-molbace ogbg-molbbbp ogbg-molhiv)
for ds in "${SETS[@]}"; do
  # shellcheck disable=SC2086
  .venv/bin/python -m pyg_prosampler ogb --dataset "$ds" \
    --ogb-mirror "$MIRROR" --out "$OUT" --seeds $SEEDS --epochs "${EPOCHS:-20}" \
    --batch-size 128 --lr 0.01 --num-neighbors 100 --num-candidates 1000 \
    --restart-prob 0.1 --refresh-every 100 --warmup-epochs 1 \
    --coverage epoch --refresh full --quiet \
    --sampler uniform prosampler
done
