#!/usr/bin/env bash
# Sets up .venv with the CPU build of torch, torch-cluster built against it,
# and pyg_prosampler in editable mode. Idempotent: re-running is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
pip install -q --upgrade pip setuptools wheel ninja
# The CPU build on this machine's disk; a plain `torch` would pull CUDA.
pip install -q torch==2.13.0
# torch-cluster is source-only: build it against the installed torch.
python -c "import torch_cluster" 2>/dev/null \
  || pip install -q --no-build-isolation torch-cluster==1.6.3
# PyG's NeighborLoader samples with torch-sparse (pyg-lib is not on the
# index); also source-only, built the same way (about 25 minutes the first
# time, cached afterwards).
python -c "import torch_sparse" 2>/dev/null \
  || { pip install -q --no-build-isolation torch-scatter==2.1.2 \
       && pip install -q --no-build-isolation torch-sparse==0.6.18; }
pip install -q --no-build-isolation -e ".[test,faiss,node,docs]"
python -c "import pyg_prosampler, torch_cluster; print('pyg_prosampler', pyg_prosampler.__version__, 'ready')"
