#!/usr/bin/env bash
# Fills benchmarks/results/negatives_tu.json.gz (resumable: configurations and
# seeds already there are skipped; re-run until the table is full).
#   [METHODS="inbatch ring ..."] [SEEDS="0 1 2 3 4"] \
#       bash benchmarks/negatives/run_negatives_tu.sh BATCH_SIZE [DATASET ...]
# GraphCL (InfoNCE family, temperature 0.2, 20 epochs, lr 0.01, 5 seeds)
# with: in-batch uniform, in-batch ProSampler, Ring (uniform batches, the
# sampler's embedding table as bank), SogCLR, EMC2 (uniform batches), and
# ProSampler + Ring (the ring taken inside the ProSampler batch).
# Knobs fixed up front, never tuned on test folds: ProSampler as in
# run_graphcl_tu.sh; Ring inner 1 %, outer 10 % (the CNCE code), outer
# annealed linearly from 100 % over the run; SogCLR/EMC2 gamma 0.9; EMC2
# burn-in 0.5 (the EMC2 code).  One torch thread per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
MIRROR=${PYG_PROSAMPLER_TU_MIRROR:-../shared/data/TU}
OUT=benchmarks/results/negatives_tu.json.gz
export OMP_NUM_THREADS=1
B=$1; shift
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(MUTAG PROTEINS IMDB-BINARY IMDB-MULTI NCI1)
run() {
  .venv/bin/python -m pyg_prosampler graphcl --tu-mirror "$MIRROR" \
    --out "$OUT" --seeds $SEEDS --epochs 20 --batch-size "$B" \
    --lr 0.01 --num-neighbors 100 --num-candidates 1000 --restart-prob 0.1 \
    --refresh-every 100 --warmup-epochs 1 --coverage epoch --refresh full \
    --ring-inner 0.01 \
    --ring-outer 0.1 --ring-anneal linear --gamma 0.9 --burn-in 0.5 \
    --quiet "$@"
}
# METHODS picks rows (default all, in this order), SEEDS the seeds.
SEEDS=${SEEDS:-"0 1 2 3 4"}
METHODS=${METHODS:-"inbatch ring sogclr emc2 prosampler+ring"}
for ds in "${SETS[@]}"; do
  for m in $METHODS; do
    case $m in
      inbatch) run --dataset "$ds" --sampler uniform prosampler ;;
      ring) run --dataset "$ds" --sampler uniform --negatives ring \
        --ring-pool bank ;;
      sogclr) run --dataset "$ds" --sampler uniform --negatives sogclr ;;
      emc2) run --dataset "$ds" --sampler uniform --negatives emc2 ;;
      prosampler+ring) run --dataset "$ds" --sampler prosampler \
        --negatives ring --ring-pool batch ;;
      *) echo "unknown method $m" >&2; exit 2 ;;
    esac
  done
done
