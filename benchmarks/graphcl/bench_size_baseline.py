r"""How far does graph size alone go?  The 10-fold SVM protocol of
``pyg_prosampler.experiments.evaluate`` (RBF SVC as GraphCL, linear SVM as
MVGRL,
C by inner 5-fold search) applied to one or two numbers per graph: its
node count, and its node and edge counts.  A learned embedding that does
not beat this has not shown it learned more than the size.

    python benchmarks/graphcl/bench_size_baseline.py \
        --datasets MUTAG IMDB-BINARY IMDB-MULTI

Writes ``benchmarks/results/size_baseline.json`` (one record per data set,
feature set and classifier, mean and std over the seeds; the records of
other data sets are kept; each data set is saved when done) and prints a
table.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from pyg_prosampler import load_tu
from pyg_prosampler.datasets import graph_labels
from pyg_prosampler.experiments.evaluate import svm_accuracy
from pyg_prosampler.experiments.results import machine, replace_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS

OUT = os.path.join(RESULTS, "size_baseline.json")


def size_features(dataset) -> dict:
    r"""Node count, and node plus (directed) edge count, per graph."""
    nodes = np.array([d.num_nodes for d in dataset], dtype=float)
    edges = np.array([d.num_edges for d in dataset], dtype=float)
    return {"nodes": nodes[:, None],
            "nodes+edges": np.stack([nodes, edges], axis=1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+",
                   default=["MUTAG", "IMDB-BINARY", "IMDB-MULTI"])
    p.add_argument("--tu-mirror", default="../shared/data/TU")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    args = p.parse_args()
    command = "python " + " ".join(sys.argv)
    for name in args.datasets:
        ds = load_tu(name, "data/TU", args.tu_mirror)
        y = graph_labels(ds).numpy()
        majority = float(np.bincount(y).max() / len(y))
        rows = []
        for feats, x in size_features(ds).items():
            for linear in (False, True):
                accs = [svm_accuracy(x, y, seed=s, linear=linear)["accuracy"]
                        for s in args.seeds]
                rows.append({
                    "dataset": name, "features": feats,
                    "classifier": "linear" if linear else "rbf",
                    "accuracy": float(np.mean(accs)),
                    "accuracy_std": float(np.std(accs)),
                    "seeds": args.seeds, "majority": majority,
                    "command": command,
                })
                r = rows[-1]
                print(f"{name:12s} {feats:12s} {r['classifier']:6s} "
                      f"{100 * r['accuracy']:6.2f} ± "
                      f"{100 * r['accuracy_std']:.2f}  "
                      f"(majority {100 * majority:.2f})", flush=True)
        save(name, rows)


def save(dataset: str, rows: list) -> None:
    r"""Replaces :obj:`dataset`'s records in ``size_baseline.json`` by
    :obj:`rows`, keeping the other data sets'."""
    replace_rows(OUT, rows, lambda r: r["dataset"] != dataset,
                 key="records", machine=machine())


if __name__ == "__main__":
    main()
