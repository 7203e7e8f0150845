r"""Batches straight from memory: the cost of building a GraphCL batch by
per-graph :obj:`dataset[i]` + collation against gathering it from the
in-memory storage (:class:`~pyg_prosampler.loader.StorageCollater`), and
the GraphCL step with each.

For each data set: the mean milliseconds to build one batch of 128 graphs
(the same uniformly drawn index lists for both paths, which are checked to
give equal batches), then :obj:`--epochs` epochs of GraphCL
(:func:`~pyg_prosampler.experiments.graphcl.train_graphcl`, uniform batches,
one torch
thread) with each path; a step is the loader's time (sampling and
collation) plus the training step.  Writes
``benchmarks/results/collate.json`` and ``collate.md``.

    python benchmarks/speed/bench_collate.py --datasets PROTEINS NCI1
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from unittest import mock

import torch
from torch_geometric.data import Batch

from pyg_prosampler import UniformBatchSampler, load_tu
from pyg_prosampler.experiments.graphcl import train_graphcl
from pyg_prosampler.experiments.results import machine, replace_rows
from pyg_prosampler.loader import StorageCollater

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, current

OUT = os.path.join(RESULTS, "collate.json")


def batch_ms(dataset, reps: int) -> dict:
    g = torch.Generator().manual_seed(0)
    lists = [torch.randperm(len(dataset), generator=g)[:128].tolist()
             for _ in range(reps)]
    collate = StorageCollater(dataset)
    for index in lists[:3]:  # equal batches, checked on a few
        a = collate(index)
        b = Batch.from_data_list([dataset[i] for i in index])
        assert all(torch.equal(a[k], b[k]) for k in b.keys())
    t = time.perf_counter()
    for index in lists:
        Batch.from_data_list([dataset[i] for i in index])
    per_graph = (time.perf_counter() - t) / reps * 1e3
    t = time.perf_counter()
    for index in lists:
        collate(index)
    storage = (time.perf_counter() - t) / reps * 1e3
    return {"per_graph_ms": per_graph, "storage_ms": storage}


def step_ms(dataset, epochs: int, fast: bool) -> dict:
    sampler = UniformBatchSampler(len(dataset), 128, seed=0)
    if fast:
        _, logs = train_graphcl(dataset, sampler, epochs=epochs, seed=0,
                                progress=False)
    else:
        with mock.patch.object(StorageCollater, "supports",
                               staticmethod(lambda ds: False)):
            _, logs = train_graphcl(dataset, sampler, epochs=epochs, seed=0,
                                    progress=False)
    steps = epochs * -(-len(dataset) // 128)
    load = sum(log["collate_seconds"] + log["sampling_seconds"]
               + log["rebuild_seconds"] for log in logs)
    train = sum(log["train_seconds"] for log in logs)
    return {"load_ms": load / steps * 1e3, "train_ms": train / steps * 1e3,
            "step_ms": (load + train) / steps * 1e3,
            "final_loss": logs[-1]["loss"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=["PROTEINS", "NCI1"])
    p.add_argument("--root", default="data/TU")
    p.add_argument("--tu-mirror", default=None)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--reps", type=int, default=200)
    args = p.parse_args()
    torch.set_num_threads(1)
    for name in args.datasets:
        dataset = load_tu(name, args.root, args.tu_mirror)
        row = {"dataset": name, **batch_ms(dataset, args.reps)}
        for fast in (False, True):
            res = step_ms(dataset, args.epochs, fast)
            row.update({f"{k}_{'storage' if fast else 'per_graph'}": v
                        for k, v in res.items()})
        row.update(machine=machine(), epochs=args.epochs,
                   command="python benchmarks/speed/bench_collate.py "
                           "--datasets " + " ".join(args.datasets))
        print(json.dumps(row))
        replace_rows(OUT, [row], lambda r: True)  # earlier rows are kept
    with open(OUT) as f:
        rows = json.load(f)["rows"]
    latest = list({r["dataset"]: r for r in rows}.values())  # last run each
    write_table(latest, OUT.replace(".json", ".md"))


def write_table(rows: list, path: str) -> None:
    lines = [
        "# Batches straight from memory",
        "",
        f"Command: `{current(rows[0]['command'])}`  ",
        f"Machine: {rows[0]['machine']}",
        "",
        "Building one batch of 128 graphs (ms), and a GraphCL step (ms: the "
        "loader's share, then the whole step) over "
        f"{rows[0]['epochs']} epochs of uniform batches, one torch thread. "
        "Both paths give equal batches, so the two runs train alike "
        "(final losses shown).",
        "",
        "| data set | batch: per graph | batch: storage | speed-up | "
        "step load: per graph / storage | step: per graph | step: storage "
        "| step faster by | final loss per graph / storage |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['per_graph_ms']:.2f} | "
            f"{r['storage_ms']:.2f} | "
            f"{r['per_graph_ms'] / r['storage_ms']:.1f}x | "
            f"{r['load_ms_per_graph']:.2f} / {r['load_ms_storage']:.2f} | "
            f"{r['step_ms_per_graph']:.2f} | {r['step_ms_storage']:.2f} | "
            f"{1 - r['step_ms_storage'] / r['step_ms_per_graph']:.0%} | "
            f"{r['final_loss_per_graph']:.4f} / "
            f"{r['final_loss_storage']:.4f} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
