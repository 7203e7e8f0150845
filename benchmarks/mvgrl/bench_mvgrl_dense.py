r"""MVGRL on REDDIT-BINARY: our sparse model against a dense implementation
(every graph of the batch padded to the batch's largest graph, dense
normalised adjacency and dense diffusion matrices, batched matmuls, as the
reference code does) on the same batches, same weights, same loss.

Each implementation runs in its own process (its peak RSS is its own) for
``--steps`` training steps (forward, JSD loss both ways, backward, Adam) on
the first batches of a seeded uniform sampler; one JSON record each is
written to ``benchmarks/results/mvgrl_dense.json``.  Dense matrices of a
128-graph REDDIT batch padded to its largest graph take
2 x 128 x n_max^2 x 4 bytes (13 GB at n_max = 3630), more than this
machine can hold beside anything else, so the timed comparison runs at a
smaller batch (``--batch-size``, 16) on the same batches, and the dense
memory at batch 128 is reported analytically from the real batches; so is
the reference code's store of both dense matrices of every graph, padded
to the data set's largest graph.

    python benchmarks/mvgrl/bench_mvgrl_dense.py --steps 3 --batch-size 16
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch_geometric.utils import to_dense_adj, to_dense_batch

from pyg_prosampler.contrastive.losses import local_global_jsd
from pyg_prosampler.contrastive.models import MVGRL
from pyg_prosampler.datasets import DiffusionViewDataset, load_tu
from pyg_prosampler.experiments.results import machine
from pyg_prosampler.loader import ProximityLoader
from pyg_prosampler.samplers import UniformBatchSampler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS

OUT = os.path.join(RESULTS, "mvgrl_dense.json")


def dense_stack(stack, x, adj, mask):
    r"""The GCN stack of :class:`MVGRL` with dense [B, n, n] propagation,
    sharing the sparse layers' weights."""
    pooled = []
    for conv, act in zip(stack.convs, stack.acts):
        x = adj @ conv.lin(x) + conv.bias
        x = act(x.view(-1, x.size(-1))).view_as(x) * mask.unsqueeze(-1)
        pooled.append(x.sum(1))
    return x, torch.cat(pooled, dim=1)


def dense_forward(model, batch):
    x, mask = to_dense_batch(batch.x, batch.batch)
    a = to_dense_adj(batch.edge_index, batch.batch,
                     max_num_nodes=x.size(1))
    a = a + torch.diag_embed(mask.float())
    d = a.sum(-1).clamp(min=1).pow(-0.5)
    a = d.unsqueeze(-1) * a * d.unsqueeze(-2)
    s = to_dense_adj(batch.diff_edge_index, batch.batch,
                     batch.diff_edge_weight, max_num_nodes=x.size(1))
    s = s.transpose(1, 2)  # row i gathers from the sources j -> i
    n1, p1 = dense_stack(model.adj, x, a, mask)
    n2, p2 = dense_stack(model.diff, x, s, mask)
    return (model.node_head(n1[mask]), model.node_head(n2[mask]),
            model.graph_head(p1), model.graph_head(p2))


def run(impl: str, args) -> dict:
    torch.manual_seed(0)
    base = load_tu("REDDIT-BINARY", args.root, args.tu_mirror, "degree",
                   max_degree=64)
    cache = os.path.join(args.root, "REDDIT-BINARY", "processed",
                         "ppr_alpha0.2_top32.pt")
    ds = DiffusionViewDataset(base, cache, 0.2, 32)
    model = MVGRL(ds.num_features, args.hidden, args.layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = ProximityLoader(ds, batch_sampler=UniformBatchSampler(
        len(ds), args.batch_size, seed=0))
    times, largest = [], 0
    for step, batch in enumerate(loader):
        if step == args.steps:
            break
        largest = max(largest, int(batch.batch.bincount().max()))
        t = time.perf_counter()
        h1, h2, g1, g2 = (dense_forward(model, batch) if impl == "dense"
                          else model(batch))
        loss = (local_global_jsd(h1, g2, batch.batch)
                + local_global_jsd(h2, g1, batch.batch))
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t)
    nodes = torch.tensor([d.num_nodes for d in base])
    return {"impl": impl, "steps": len(times),
            "seconds_per_step": sum(times) / len(times),
            "step_seconds": times, "last_loss": loss.item(),
            "largest_graph_in_batches": largest,
            "peak_rss_gb": resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "steps_per_epoch": -(-len(ds) // args.batch_size),
            "reference_dense_store_gb": 2 * len(ds) * int(nodes.max()) ** 2
            * 4 / 2**30,
            "dense_matrices_gb_batch128": dense_gb_at(base, 128)}


def dense_gb_at(base, batch_size: int) -> float:
    r"""Largest memory of the two padded dense matrices over the first
    batches of the same seeded uniform sampler at :obj:`batch_size`."""
    nodes = torch.tensor([d.num_nodes for d in base])
    sampler = UniformBatchSampler(len(base), batch_size, seed=0)
    return max(2 * len(b) * int(nodes[b].max()) ** 2 * 4 / 2**30
               for b in sampler)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="data/TU")
    p.add_argument("--tu-mirror", default="../shared/data/TU")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--impl", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.impl:
        print(json.dumps(run(args.impl, args)))
        return
    records = []
    for impl in ("sparse", "dense"):
        cmd = [sys.executable, __file__, "--impl", impl, "--steps",
               str(args.steps), "--batch-size", str(args.batch_size),
               "--hidden", str(args.hidden), "--layers", str(args.layers),
               "--root", args.root, "--tu-mirror", args.tu_mirror]
        out = subprocess.run(cmd, capture_output=True, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
        if out.returncode != 0:
            record = {"impl": impl, "error": out.stderr[-1500:]}
        else:
            record = json.loads(out.stdout.strip().splitlines()[-1])
        record.update(command="python " + " ".join(sys.argv),
                      batch_size=args.batch_size, hidden=args.hidden,
                      layers=args.layers, machine=machine())
        print(json.dumps(record))
        records.append(record)
    with open(OUT, "w") as f:
        json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
