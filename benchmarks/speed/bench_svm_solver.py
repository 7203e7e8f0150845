r"""LinearSVC's problem solved three ways on MVGRL embeddings: liblinear's
dual and primal solvers and our finite Newton solver.  Seconds, iterations,
objective value and training accuracy of one fit per C (the protocol makes
350 of them per seed).

    python benchmarks/speed/bench_svm_solver.py --dataset IMDB-BINARY \
        --epochs 2

Trains MVGRL (the ``run_mvgrl_tu.sh`` architecture, uniform batches) for a
few epochs, embeds every graph and fits
:class:`~sklearn.svm.LinearSVC` (``max_iter=5000``) on 90 % of them with
``dual=True`` and ``dual=False``, and
:class:`~pyg_prosampler.experiments.linear_svm.NewtonLinearSVC`; appends the
record to
``benchmarks/results/svm_solver.json``.

    python benchmarks/speed/bench_svm_solver.py --dataset PROTEINS \
        --epochs 20 --loss infonce --seed 1 --solvers newton newton2000 \
        --cs 0.001 0.01 0.1 1 10 100 1000

checks the Newton solver's 100-step cap (``newton2000``: the same
solver with 2000) on the embeddings of a uniform InfoNCE run, whose
evaluation warned that some fits hit the cap.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC
from torch_geometric.loader import DataLoader

from pyg_prosampler import UniformBatchSampler
from pyg_prosampler.datasets import graph_labels
from pyg_prosampler.experiments.linear_svm import NewtonLinearSVC, objective
from pyg_prosampler.experiments.mvgrl import train_mvgrl
from pyg_prosampler.experiments.results import load_records, machine
from pyg_prosampler.experiments.train_command import load_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS

OUT = os.path.join(RESULTS, "svm_solver.json")
SOLVERS = {  # name: the estimator at a given C
    "dual": lambda c: LinearSVC(C=c, dual=True, max_iter=5000,
                                random_state=0),
    "primal": lambda c: LinearSVC(C=c, dual=False, max_iter=5000,
                                  random_state=0),
    "newton": lambda c: NewtonLinearSVC(C=c),
    "newton2000": lambda c: NewtonLinearSVC(C=c, max_iter=2000),
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default="IMDB-BINARY")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--loss", default="jsd", choices=["jsd", "infonce"])
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the batches and the initialisation")
    p.add_argument("--cs", type=float, nargs="+",
                   default=[0.01, 1.0, 1000.0])
    p.add_argument("--solvers", nargs="+",
                   default=["dual", "primal", "newton"],
                   choices=list(SOLVERS))
    p.add_argument("--tu-mirror", default=os.environ.get(
        "PYG_PROSAMPLER_TU_MIRROR", "../shared/data/TU"))
    args = p.parse_args()
    ns = argparse.Namespace(
        command="mvgrl", dataset=args.dataset, root="data/TU",
        tu_mirror=args.tu_mirror, features="auto", max_degree=64,
        ppr_alpha=0.2, ppr_topk=32)
    dataset = load_for(ns)
    sampler = UniformBatchSampler(len(dataset), 128, seed=args.seed)
    model, _ = train_mvgrl(dataset, sampler, epochs=args.epochs,
                           loss=args.loss, seed=args.seed, progress=False)
    model.eval()
    with torch.no_grad():
        x = torch.cat([model.embed(b) for b in
                       DataLoader(dataset, batch_size=128)]).numpy()
    y = graph_labels(dataset).numpy()
    rng = np.random.default_rng(0)
    train = rng.permutation(len(y))[: int(0.9 * len(y))]
    fits = []
    for c in args.cs:
        for solver in args.solvers:
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                m = SOLVERS[solver](c).fit(x[train], y[train])
            fits.append({"C": c, "solver": solver,
                         "seconds": time.perf_counter() - t,
                         "iterations": int(np.max(m.n_iter_)),
                         "objective": objective(m, x[train], y[train], c),
                         "train_accuracy": float(
                             (m.predict(x[train]) == y[train]).mean())})
            print(json.dumps(fits[-1]), flush=True)
    record = {"dataset": args.dataset, "epochs": args.epochs,
              "loss": args.loss, "seed": args.seed,
              "num": int(len(y)), "dim": int(x.shape[1]),
              "feature_std": float(x.std()), "fits": fits,
              "command": "python benchmarks/speed/bench_svm_solver.py "
                         + " ".join(sys.argv[1:]),
              "machine": machine()}
    records = load_records(OUT) + [record]
    with open(OUT, "w") as f:
        json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
