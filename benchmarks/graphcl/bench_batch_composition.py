r"""What ProSampler's batches are made of, against uniform ones, over the
same GraphCL step budget: edges and nodes per batch, how often each graph
is visited, and whether the visits lean to small or large graphs.

It answers why ProSampler's COLLAB epochs train faster than uniform ones
(``epoch_time.md``) although :func:`fit` gives both the same
:obj:`ceil(N / B)` steps per epoch: a step costs about its batch's edges,
and random walks on a proximity graph visit some graphs (its hubs) more
often than others.  GraphCL + ProSampler (the paper code's knobs, as
``run_graphcl_tu.sh``) is trained for :obj:`--epochs` epochs, seed 0, one
torch thread, and every batch it is fed is recorded (through the
sampler's public :meth:`update`).  Uniform batches hold every graph once
per epoch, so their edges per epoch are the data set's total, exactly;
with :obj:`--uniform-run` a uniform run is timed beside it too.  Writes
``benchmarks/results/batch_composition.json`` and ``.md``.

    OMP_NUM_THREADS=1 python benchmarks/graphcl/bench_batch_composition.py \
        --datasets COLLAB REDDIT-BINARY NCI1 --epochs 4 --uniform-run
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Dict, List

import torch
from scipy.stats import spearmanr
from torch import Tensor

from pyg_prosampler import load_tu
from pyg_prosampler.experiments.graphcl import train_graphcl
from pyg_prosampler.experiments.results import machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, current, fixed_sampler


def run(dataset: str, sampler_name: str, epochs: int, mirror: str) -> Dict:
    ds = load_tu(dataset, "data/TU", mirror)
    n = len(ds)
    sampler = fixed_sampler(sampler_name, n)
    seen: List[Tensor] = []
    update = sampler.update

    def recording_update(index: Tensor, embeddings: Tensor) -> None:
        seen.append(index.cpu().clone())
        update(index, embeddings)

    sampler.update = recording_update  # type: ignore[method-assign]
    _, logs = train_graphcl(ds, sampler, epochs=epochs, lr=0.01, seed=0,
                            progress=False)
    edges = torch.tensor([d.edge_index.size(1) for d in ds])
    nodes = torch.tensor([d.num_nodes for d in ds])
    steps = -(-n // 128)
    per_epoch = []
    for e in range(epochs):
        idx = torch.cat(seen[e * steps:(e + 1) * steps])
        visits = torch.bincount(idx, minlength=n)
        per_epoch.append({
            "epoch": e,
            "edges": int(edges[idx].sum()),
            "nodes": int(nodes[idx].sum()),
            "edges_vs_total": float(edges[idx].sum() / edges.sum()),
            "distinct_graphs": int((visits > 0).sum()),
            "max_visits": int(visits.max()),
            "train_seconds": logs[e]["train_seconds"],
        })
    late = torch.cat(seen[steps:])  # after the uniform warm-up epoch
    visits = torch.bincount(late, minlength=n).double()
    top = visits >= torch.quantile(visits, 0.9)
    return {
        "dataset": dataset, "sampler": sampler_name, "epochs": epochs,
        "num_graphs": n, "steps_per_epoch": steps,
        "total_edges": int(edges.sum()), "mean_edges": float(
            edges.double().mean()),
        "per_epoch": per_epoch,
        "spearman_visits_edges": float(spearmanr(visits, edges).statistic),
        "mean_edges_top_decile_visited": float(edges[top].double().mean()),
        "share_of_visits_top_decile": float(visits[top].sum()
                                            / visits.sum()),
        "never_visited_after_warmup": int((visits == 0).sum()),
    }


def table(records: List[Dict]) -> str:
    lines = [
        "# What the batches hold, GraphCL, uniform vs ProSampler",
        "",
        "Per epoch after the uniform warm-up (epoch 0): the batches' edges "
        "as a share of the data set's edges (uniform: 1 exactly, every "
        "graph once), distinct graphs visited, training seconds; over all "
        "epochs after the warm-up: Spearman correlation of a graph's visits "
        "with its edge count, and the mean edges of the most visited tenth "
        "of the graphs against all graphs'.",
        "",
        "| data set | sampler | edges / total | distinct graphs / N | "
        "train s per epoch | rho(visits, edges) | mean edges, top-visited "
        "tenth / all | never visited |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        late = r["per_epoch"][1:]
        share = sum(e["edges_vs_total"] for e in late) / len(late)
        distinct = sum(e["distinct_graphs"] for e in late) / len(late)
        secs = sum(e["train_seconds"] for e in late) / len(late)
        rho = r["spearman_visits_edges"]  # nan where visits are constant
        rho = "-" if rho != rho else f"{rho:+.2f}"
        lines.append(
            f"| {r['dataset']} | {r['sampler']} | {share:.3f} | "
            f"{distinct / r['num_graphs']:.3f} | {secs:.2f} | "
            f"{rho} | "
            f"{r['mean_edges_top_decile_visited']:.0f} / "
            f"{r['mean_edges']:.0f} | {r['never_visited_after_warmup']} |")
    lines += ["", f"Command: `{current(records[0]['command'])}`",
              f"Machine: {records[0]['machine']}", ""]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+", default=["COLLAB"])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--uniform-run", action="store_true",
                   help="also train and time a uniform run")
    p.add_argument("--tu-mirror", default=os.environ.get(
        "PYG_PROSAMPLER_TU_MIRROR", "../shared/data/TU"))
    args = p.parse_args()
    if args.epochs < 2:
        p.error("--epochs must be at least 2 (epoch 0 is the warm-up)")
    torch.set_num_threads(1)
    records = []
    for ds in args.datasets:
        for name in (["uniform"] if args.uniform_run else []) + [
                "prosampler"]:
            r = run(ds, name, args.epochs, args.tu_mirror)
            r.update(command="python benchmarks/graphcl/" + " ".join(
                [os.path.basename(sys.argv[0])] + sys.argv[1:]),
                machine=machine())
            print(json.dumps({k: v for k, v in r.items()
                              if k != "per_epoch"}), flush=True)
            records.append(r)
    with open(os.path.join(RESULTS, "batch_composition.json"), "w") as f:
        json.dump(records, f, indent=1)
    with open(os.path.join(RESULTS, "batch_composition.md"), "w") as f:
        f.write(table(records))


if __name__ == "__main__":
    main()
