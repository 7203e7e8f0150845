#!/usr/bin/env bash
# Fills benchmarks/results/mvgrl_tu.json.gz: MVGRL (JSD local-global loss) x
# {uniform, knn, prosampler}, 5 seeds. Resumable like run_graphcl_tu.sh.
#   [SEEDS="0 1 2 3 4"] [SAMPLERS="uniform prosampler knn"] \
#       bash benchmarks/mvgrl/run_mvgrl_tu.sh [DATASET ...]
# (e.g. seed by seed, uniform and ProSampler first:
#   for s in 0 1 2 3 4; do SEEDS=$s SAMPLERS="uniform prosampler" \
#       bash benchmarks/mvgrl/run_mvgrl_tu.sh IMDB-BINARY; done)
# Architecture fixed up front at MVGRL's graph-level defaults (hidden 512,
# 4 GCN layers, lr 0.001, batch 128, 20 epochs, PPR alpha 0.2 kept to the
# top 32 entries per node, one-hot degree capped at 64 where a set has no
# node labels); the sampler knobs as for GraphCL.  LAYERS, BATCH and OUT
# override the layers, batch size and results file; that is how
# benchmarks/mvgrl/select_mvgrl.py runs its inner-validation grid.
# CANDIDATES and RESTART override M and the restart probability, as in
# run_graphcl_tu.sh (benchmarks/graphcl/select_graphcl.py --method mvgrl).
# CKPT_DIR saves every run after each epoch there and resumes it
# (REDDIT-BINARY's runs take longer than a session here):
#   CKPT_DIR=data/checkpoints SEEDS=0 SAMPLERS=uniform \
#       bash benchmarks/mvgrl/run_mvgrl_tu.sh REDDIT-BINARY
# EPOCHS overrides the 20 epochs, and EVAL_EPOCHS="10 20" also records the
# run after those epochs (select_mvgrl.py --nested --epochs).  LOSS=infonce
# trains the InfoNCE graph-graph variant (temperature 0.2) instead of JSD:
#   LOSS=infonce OUT=benchmarks/results/mvgrl_infonce.json.gz \
#       bash benchmarks/mvgrl/run_mvgrl_tu.sh MUTAG IMDB-BINARY IMDB-MULTI
set -euo pipefail
cd "$(dirname "$0")/../.."
MIRROR=${PYG_PROSAMPLER_TU_MIRROR:-../shared/data/TU}
OUT=${OUT:-benchmarks/results/mvgrl_tu.json.gz}
LAYERS=${LAYERS:-4}
BATCH=${BATCH:-128}
CANDIDATES=${CANDIDATES:-1000}
RESTART=${RESTART:-0.1}
EPOCHS=${EPOCHS:-20}
EVAL_EPOCHS=${EVAL_EPOCHS:-}
LOSS=${LOSS:-jsd}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# Allocation, for speed only (not a single value changes): REDDIT-B's
# 100+ MB activations are otherwise mapped afresh and faulted in on every
# allocation, and over a quarter of a run's CPU time went to the kernel.
# Huge pages for torch's large tensors, and glibc keeps freed memory for
# reuse (a run's memory stays at its peak until it ends).
export THP_MEM_ALLOC_ENABLE=${THP_MEM_ALLOC_ENABLE:-1}
export MALLOC_MMAP_MAX_=${MALLOC_MMAP_MAX_:-0}
export MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-100000000000}
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(MUTAG IMDB-BINARY IMDB-MULTI PROTEINS NCI1 REDDIT-BINARY)
SEEDS=${SEEDS:-"0 1 2 3 4"}
SAMPLERS=${SAMPLERS:-"uniform prosampler knn"}
for ds in "${SETS[@]}"; do
  for s in $SAMPLERS; do
    .venv/bin/python -m pyg_prosampler mvgrl --tu-mirror "$MIRROR" \
      --out "$OUT" --seeds $SEEDS --epochs "$EPOCHS" --batch-size "$BATCH" \
      --lr 0.001 --hidden 512 --layers "$LAYERS" --num-neighbors 100 \
      --num-candidates "$CANDIDATES" --restart-prob "$RESTART" --refresh-every 100 \
      --warmup-epochs 1 --coverage epoch --refresh full --quiet \
      --dataset "$ds" --sampler $s --loss "$LOSS" \
      ${CKPT_DIR:+--checkpoint-dir "$CKPT_DIR"} \
      ${EVAL_EPOCHS:+--eval-epochs $EVAL_EPOCHS}
  done
done
