r"""Mini-batch GRACE on a generated graph of a million nodes with planted
classes: time per epoch (split among drawing seed batches, sampling
subgraphs and training), peak memory, and a linear probe's accuracy, for
uniform and ProSampler seed batches.

    python benchmarks/node_level/bench_grace_scale.py --nodes 1000000

One record per sampler is appended to --out (a sampler already there is
skipped, so an interrupted run resumes at the next sampler).
"""
from __future__ import annotations

import argparse
import time

import torch
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected

from pyg_prosampler.experiments.grace import (
    embed_nodes,
    grace_config,
    linear_probe_accuracy,
    train_grace,
)
from pyg_prosampler.experiments.memory import peak_memory, reset_peak_memory
from pyg_prosampler.experiments.results import (
    append_record,
    load_records,
    machine,
)
from pyg_prosampler.loader import ProximityNeighborLoader
from pyg_prosampler.samplers import ProximityBatchSampler, UniformBatchSampler


def planted_graph(num_nodes: int, num_classes: int, out_degree: int,
                  p_in: float, dim: int, separation: float,
                  seed: int) -> Data:
    r"""Planted classes: node :obj:`i` has class :obj:`i mod C`; each node
    draws :obj:`out_degree` edges, each to a random node of its own class
    with probability :obj:`p_in`, else to a random node (made undirected);
    features are the class mean (:obj:`separation` times a standard normal
    vector) plus standard normal noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    src = torch.arange(num_nodes).repeat_interleave(out_degree)
    same = torch.rand(src.numel(), generator=g) < p_in
    anywhere = torch.randint(num_nodes, (src.numel(),), generator=g)
    # a random node of class y[src]: a random row of that class's nodes
    rows = torch.randint(num_nodes // num_classes, (src.numel(),),
                         generator=g)
    own = rows * num_classes + y[src]
    dst = torch.where(same, own, anywhere)
    edge_index = to_undirected(torch.stack([src, dst]), num_nodes=num_nodes)
    mu = torch.randn(num_classes, dim, generator=g) * separation
    x = mu[y] + torch.randn(num_nodes, dim, generator=g)
    return Data(x=x, edge_index=edge_index, y=y)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=1_000_000)
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--out-degree", type=int, default=5)
    p.add_argument("--p-in", type=float, default=0.6)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--separation", type=float, default=0.35)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--fanout", type=int, nargs="+", default=[10, 5])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--warmup-epochs", type=int, default=0,
                   help="uniform passes before ProSampler's; with 0 its "
                        "first proximity graph is built on the raw "
                        "features, then refreshed from the fed embeddings")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--samplers", nargs="+",
                   default=["uniform", "prosampler"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--probe-train", type=int, default=20_000)
    p.add_argument("--probe-test", type=int, default=100_000)
    p.add_argument("--out",
                   default="benchmarks/results/node_level_scale.json")
    args = p.parse_args()

    t = time.perf_counter()
    data = planted_graph(args.nodes, args.classes, args.out_degree,
                         args.p_in, args.dim, args.separation, args.seed)
    print(f"graph: {data.num_nodes} nodes, {data.num_edges} edges, "
          f"{time.perf_counter() - t:.1f} s")
    raw = linear_probe_accuracy(data.x, data.y, args.probe_train,
                                args.probe_test, args.seed)
    print(f"linear probe on the raw features: {100 * raw:.2f}")
    config = grace_config("planted", hidden=args.hidden,
                          proj_hidden=args.hidden, epochs=args.epochs)
    done = {r["sampler"] for r in load_records(args.out)
            if r["nodes"] == args.nodes and r["seed"] == args.seed}
    for name in args.samplers:
        if name in done:
            print(f"{name}: already in {args.out}, skipped")
            continue
        sampler = (UniformBatchSampler(args.nodes, args.batch_size,
                                       seed=args.seed)
                   if name == "uniform" else
                   ProximityBatchSampler(
                       args.nodes, args.batch_size,
                       warmup_epochs=args.warmup_epochs, seed=args.seed,
                       embeddings=None if args.warmup_epochs else data.x))
        loader = ProximityNeighborLoader(data, args.fanout,
                                         batch_sampler=sampler)
        from_run = reset_peak_memory()
        t = time.perf_counter()
        model, logs = train_grace(data, config, loader=loader,
                                  seed=args.seed)
        train_wall = time.perf_counter() - t
        z = embed_nodes(model, data)
        acc = linear_probe_accuracy(z, data.y, args.probe_train,
                                    args.probe_test, args.seed)
        record = {
            "sampler": name, "seed": args.seed, "nodes": args.nodes,
            "edges": data.num_edges, "classes": args.classes,
            "batch_size": args.batch_size, "fanout": args.fanout,
            "epochs": args.epochs, "hidden": args.hidden,
            "probe_accuracy": acc, "raw_feature_probe_accuracy": raw,
            "train_wall_seconds": train_wall,
            "epoch_seconds": [e["train_seconds"] + e["batch_seconds"]
                              + e["subgraph_seconds"] for e in logs],
            **peak_memory(), "peak_memory_since":
                "run" if from_run else "process",
            "epoch_logs": logs, "args": vars(args), "machine": machine(),
            "command": "python benchmarks/node_level/bench_grace_scale.py "
                       f"--nodes {args.nodes} --epochs {args.epochs} "
                       f"--warmup-epochs {args.warmup_epochs}"}
        append_record(args.out, record)
        last = logs[-1]
        print(f"{name}: probe {100 * acc:.2f}, epoch "
              f"{record['epoch_seconds'][-1]:.0f} s (batches "
              f"{last['batch_seconds']:.0f}, subgraphs "
              f"{last['subgraph_seconds']:.0f}, training "
              f"{last['train_seconds']:.0f}), same-class "
              f"{last['same_class']:.3f}, peak "
              f"{record.get('peak_rss_gb', float('nan')):.1f} GB")


if __name__ == "__main__":
    main()
