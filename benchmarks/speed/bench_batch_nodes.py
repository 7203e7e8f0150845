r"""How many nodes a batch of graphs can hold, the quantity a run's
activation memory grows with: the uniform runs' batches replayed exactly
(the uniform sampler does not look at embeddings, so its seeded batches
need no training), against the largest batch any sampler could form.

    python benchmarks/speed/bench_batch_nodes.py --dataset REDDIT-BINARY

For each seed, the uniform sampler of ``python -m pyg_prosampler``
(``UniformBatchSampler(N, B, seed=seed)``) is iterated for the runs'
``epochs * ceil(N / B)`` steps, and the node counts of its batches are
summarised; the bound is the sum of the B largest graphs.  Runs that log
``batch_nodes_max`` (the library does since the tenth session) can be
set beside it: kNN and ProSampler batches depend on the embeddings, so
only their runs' logs tell.  With ``--records``, uniform runs there that
logged their batches are checked against the replay.  Writes
``batch_nodes.json`` (one row per data set, batch size and epochs).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch

from pyg_prosampler import load_tu
from pyg_prosampler.experiments.results import (
    load_records,
    machine,
    replace_rows,
)
from pyg_prosampler.samplers import UniformBatchSampler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS


def uniform_batch_nodes(sizes: torch.Tensor, batch_size: int, seed: int,
                        epochs: int) -> torch.Tensor:
    r"""Node count of every batch a seeded uniform run trains on."""
    sampler = UniformBatchSampler(sizes.numel(), batch_size, seed=seed)
    steps = epochs * -(-sizes.numel() // batch_size)
    counts = []
    while len(counts) < steps:
        for batch in sampler:
            counts.append(int(sizes[batch].sum()))
            if len(counts) == steps:
                break
    return torch.tensor(counts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="REDDIT-BINARY")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--root", default="data/TU")
    p.add_argument("--tu-mirror", default=os.environ.get(
        "PYG_PROSAMPLER_TU_MIRROR", "../shared/data/TU"))
    p.add_argument("--out", default=os.path.join(RESULTS, "batch_nodes.json"))
    p.add_argument("--records", nargs="*", default=[],
                   help="results files whose uniform runs of these seeds "
                        "logged batch_nodes_max: checked against the replay")
    args = p.parse_args()
    dataset = load_tu(args.dataset, root=args.root, mirror=args.tu_mirror)
    sizes = torch.tensor([g.num_nodes for g in dataset])
    top = sizes.sort(descending=True).values[:args.batch_size]
    row = {"dataset": args.dataset, "batch_size": args.batch_size,
           "epochs": args.epochs, "num_graphs": sizes.numel(),
           "mean_graph_nodes": float(sizes.float().mean()),
           "largest_possible_batch_nodes": int(top.sum()),
           "uniform": []}
    logged = {}  # seed -> [(file, method, largest batch)] of uniform runs
    for path in args.records:
        for r in load_records(path):
            logs = r["epoch_logs"]
            if (r["dataset"], r["sampler"], r["batch_size"], r["epochs"]) == \
                    (args.dataset, "uniform", args.batch_size, args.epochs) \
                    and all("batch_nodes_max" in e for e in logs):
                logged.setdefault(r["seed"], []).append((
                    os.path.basename(path), r["method"],
                    max(e["batch_nodes_max"] for e in logs)))
    for seed in args.seeds:
        counts = uniform_batch_nodes(sizes, args.batch_size, seed,
                                     args.epochs)
        row["uniform"].append({
            "seed": seed, "batches": counts.numel(),
            "batch_nodes_mean": float(counts.float().mean()),
            "batch_nodes_max": int(counts.max())})
        print(f"{args.dataset} uniform seed {seed}: largest batch "
              f"{int(counts.max())} nodes, mean {counts.float().mean():.0f}")
        for file, method, largest in logged.get(seed, []):
            row.setdefault("checked_against_runs", []).append({
                "file": file, "seed": seed, "method": method,
                "logged_max": largest, "replay_max": int(counts.max()),
                "equal": largest == int(counts.max())})
    print(f"largest possible batch of {args.batch_size}: "
          f"{row['largest_possible_batch_nodes']} nodes")
    case = (args.dataset, args.batch_size, args.epochs)
    replace_rows(args.out, [row], lambda r: (
                     r["dataset"], r["batch_size"], r["epochs"]) != case,
                 machine=machine(),
                 command="python benchmarks/speed/bench_batch_nodes.py "
                         "--dataset DATASET [--seeds ...] [--records FILE "
                         "...]")


if __name__ == "__main__":
    main()
