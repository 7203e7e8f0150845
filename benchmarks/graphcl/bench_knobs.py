r"""How hard are ProSampler's batches at each knob?  On trained GraphCL
embeddings (20 epochs, uniform batches, seed 0), one coverage epoch per
setting of the restart probability alpha and the candidate pool M, fed with
either the projection-head output (what training feeds the sampler) or the
encoder output (what is evaluated); reports the mean in-batch cosine and the
same-class pair fraction (the false-negative proxy; labels used for this
diagnostic only), against uniform and kNN batches.  No test folds involved:
this explains the accuracy table, it tunes nothing.

    python benchmarks/graphcl/bench_knobs.py --datasets IMDB-MULTI NCI1 \
        PROTEINS
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch
from torch_geometric.loader import DataLoader

from pyg_prosampler import (
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
    batch_hardness,
    load_tu,
)
from pyg_prosampler.datasets import graph_labels
from pyg_prosampler.experiments.graphcl import train_graphcl
from pyg_prosampler.experiments.results import machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, current

ALPHAS = (0.05, 0.1, 0.3, 0.6, 0.9)
POOLS = (100, 1000, None)  # None: exact kNN graph


@torch.no_grad()
def embeddings(model, dataset):
    model.eval()
    enc, proj = [], []
    for b in DataLoader(dataset, batch_size=256):
        g, z = model(b.x, b.edge_index, b.batch, b.num_graphs)
        enc.append(g)
        proj.append(z)
    return {"projection": torch.cat(proj), "encoder": torch.cat(enc)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+",
                   default=["IMDB-MULTI", "NCI1", "PROTEINS"])
    p.add_argument("--tu-mirror", default="../shared/data/TU")
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args()
    rows = []
    for name in args.datasets:
        ds = load_tu(name, "data/TU", args.tu_mirror)
        y = graph_labels(ds)
        n, b = len(ds), args.batch_size
        model, _ = train_graphcl(ds, UniformBatchSampler(n, b), epochs=20,
                                 seed=0, progress=False)
        for space, z in embeddings(model, ds).items():
            cases = [("uniform", None, None,
                      UniformBatchSampler(n, b, seed=0)),
                     ("knn", None, None,
                      KNNBatchSampler(n, b, warmup_epochs=0, embeddings=z,
                                      seed=0))]
            for m in POOLS:
                for a in ALPHAS:
                    cases.append(("prosampler", m, a, ProximityBatchSampler(
                        n, b, num_neighbors=min(100, n - 1),
                        num_candidates=m, restart_prob=a, warmup_epochs=0,
                        embeddings=z, seed=0)))
            for sampler_name, m, a, sampler in cases:
                batches = list(sampler)
                rows.append({"dataset": name, "embedding": space,
                             "sampler": sampler_name, "num_candidates": m,
                             "restart_prob": a, "batches": len(batches),
                             **batch_hardness(batches, z, y)})
                print(json.dumps(rows[-1]))
    out = {"command": "python " + " ".join(sys.argv), "machine": machine(),
           "rows": rows}
    with open(os.path.join(RESULTS, "knobs.json"), "w") as f:
        json.dump(out, f, indent=1)
    lines = ["# Batch hardness per knob (trained GraphCL embeddings)", "",
             f"`{current(out['command'])}`; one epoch per setting, B = "
             f"{args.batch_size}, K = 100. Cells: same-class pair fraction "
             "/ mean in-batch cosine.", ""]
    for name in args.datasets:
        for space in ("projection", "encoder"):
            sel = [r for r in rows if r["dataset"] == name
                   and r["embedding"] == space]
            base = {r["sampler"]: r for r in sel
                    if r["sampler"] != "prosampler"}
            lines += [f"## {name}, {space} embeddings", "",
                      f"uniform {base['uniform']['same_class']:.3f} / "
                      f"{base['uniform']['mean_cosine']:.3f}; kNN "
                      f"{base['knn']['same_class']:.3f} / "
                      f"{base['knn']['mean_cosine']:.3f}", "",
                      "| M \\ alpha | " + " | ".join(map(str, ALPHAS)) + " |",
                      "|---" * (len(ALPHAS) + 1) + "|"]
            for m in POOLS:
                cells = []
                for a in ALPHAS:
                    r = next(r for r in sel if r["num_candidates"] == m
                             and r["restart_prob"] == a)
                    cells.append(f"{r['same_class']:.3f} / "
                                 f"{r['mean_cosine']:.3f}")
                lines.append(f"| {m or 'exact'} | " + " | ".join(cells)
                             + " |")
            lines.append("")
    with open(os.path.join(RESULTS, "knobs.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
