r"""``python -m pyg_prosampler grace``: GRACE on a Planetoid graph,
full-graph or in mini-batches drawn by a chosen sampler, evaluated by
GRACE's protocol, one record per sampler and seed."""
from __future__ import annotations

import argparse
import time
from typing import Any, Dict, List, Optional

from pyg_prosampler.contrastive.registry import SAMPLERS, make_sampler
from pyg_prosampler.samplers import EmbeddingBatchSampler
from pyg_prosampler.samplers.embedding_batch_sampler import COVERAGES
from pyg_prosampler.samplers.proximity_batch_sampler import REFRESHES

__all__ = ["add_grace_parser", "cmd_grace", "node_sampler"]

GRACE_SAMPLERS = ("full", *SAMPLERS)


def node_sampler(name: str, num: int, args: argparse.Namespace,
                 seed: int) -> EmbeddingBatchSampler:
    r"""The seed-node sampler named on the command line (the registry's
    :func:`~pyg_prosampler.contrastive.registry.make_sampler`)."""
    return make_sampler(name, num, args.batch_size, seed=seed,
                        warmup_epochs=args.warmup_epochs,
                        refresh_every=args.refresh_every,
                        coverage=args.coverage,
                        num_candidates=args.num_candidates,
                        restart_prob=args.restart_prob, refresh=args.refresh)


def _key(args: argparse.Namespace, name: str, seed: int,
         config: Dict[str, Any]) -> Dict[str, Any]:
    r"""The identity of a run's record."""
    full = name == "full"
    params: Dict[str, Any] = {}
    if name in ("knn", "prosampler"):
        params = {"refresh_every": args.refresh_every,
                  "warmup_epochs": args.warmup_epochs,
                  "coverage": args.coverage}
    if name == "prosampler":
        params.update(num_candidates=args.num_candidates,
                      restart_prob=args.restart_prob, refresh=args.refresh)
    model = {k: list(v) if isinstance(v, tuple) else v
             for k, v in config.items() if k not in ("lr", "epochs")}
    if not full:
        model["fanout"] = list(args.fanout)
    return {"dataset": args.dataset, "method": "grace", "sampler": name,
            "loss": "grace", "seed": seed, "epochs": config["epochs"],
            "batch_size": None if full else args.batch_size,
            "lr": config["lr"], "sampler_params": params,
            "model_params": model, "temperature": config["tau"]}


def _run(args: argparse.Namespace, data: Any, name: str, seed: int,
         config: Dict[str, Any]) -> Dict[str, Any]:
    r"""Trains and evaluates one run; returns its record (key excluded)."""
    from pyg_prosampler.experiments.grace import (
        embed_nodes,
        evaluate_grace,
        train_grace,
    )
    from pyg_prosampler.experiments.memory import (
        peak_memory,
        reset_peak_memory,
    )
    from pyg_prosampler.experiments.results import machine
    from pyg_prosampler.loader import ProximityNeighborLoader

    loader = None
    if name != "full":
        loader = ProximityNeighborLoader(
            data, list(args.fanout), batch_sampler=node_sampler(
                name, data.num_nodes, args, seed))
    from_run = reset_peak_memory("cpu")
    t = time.perf_counter()
    model, logs = train_grace(data, config, loader=loader, seed=seed,
                              progress=not args.quiet)
    train_wall = time.perf_counter() - t
    res = evaluate_grace(embed_nodes(model, data), data.y, seed=seed,
                         repeats=args.eval_splits)
    return {**res, "eval_splits": args.eval_splits,
            "wall_seconds": time.perf_counter() - t,
            "train_wall_seconds": train_wall,
            **{f"{k}_total": sum(e[k] for e in logs)
               for k in ("train_seconds", "batch_seconds",
                         "subgraph_seconds")},
            **peak_memory("cpu"),
            "peak_memory_since": "run" if from_run else "process",
            "epoch_logs": logs, "machine": machine()}


def cmd_grace(args: argparse.Namespace) -> List[Dict[str, Any]]:
    r"""GRACE with each sampler named and each seed; records appended to
    :obj:`--out` (configurations already there are skipped); prints the
    accuracy table."""
    from pyg_prosampler.datasets import load_planetoid
    from pyg_prosampler.experiments.cli import check_run_args
    from pyg_prosampler.experiments.grace import grace_config
    from pyg_prosampler.experiments.results import (
        append_record,
        load_records,
        same_config,
    )
    from pyg_prosampler.experiments.run_records import print_accuracy_table

    config = grace_config(args.dataset, epochs=args.epochs, lr=args.lr)
    args.epochs = config["epochs"]
    check_run_args(args)
    if args.batch_size < 2:
        raise SystemExit("--batch-size must be at least 2 (the batch is the "
                         "set of negatives)")
    if any(f < 1 and f != -1 for f in args.fanout):
        raise SystemExit(f"--fanout {args.fanout}: each hop samples a "
                         f"positive number of neighbours, or -1 for all")
    data = load_planetoid(args.dataset, args.root, args.planetoid_mirror)[0]
    existing = load_records(args.out) if args.out else []
    table = []
    for name in args.sampler:
        for seed in args.seeds:
            key = _key(args, name, seed, config)
            old = [r for r in existing if same_config(r, key)]
            if old:
                print(f"{name} seed {seed}: already in {args.out}, skipped")
                table.append(old[0])
                continue
            record = {**key, **_run(args, data, name, seed, config)}
            print(f"{name} seed {seed}: accuracy "
                  f"{100 * record['accuracy']:.2f} (± "
                  f"{100 * record['accuracy_std_splits']:.2f} over splits), "
                  f"{record['wall_seconds']:.1f} s")
            if args.out:
                append_record(args.out, record)
            table.append(record)
    print_accuracy_table(table)
    if args.plot and args.out:
        from pyg_prosampler.experiments.plots import plot_results
        print(f"plot: {plot_results(args.out, args.plot)}")
    return table


def add_grace_parser(sub: Any) -> Optional[argparse.ArgumentParser]:
    r"""Adds the :obj:`grace` command to the sub-parsers :obj:`sub`."""
    from pyg_prosampler.experiments.cli import add_output_args

    p = sub.add_parser("grace", help="GRACE node-level pre-training on a "
                       "Planetoid graph (full-graph or mini-batch with a "
                       "chosen sampler) + GRACE's logistic-regression "
                       "evaluation")
    p.add_argument("--dataset", default="Cora",
                   help="Cora, CiteSeer or PubMed")
    p.add_argument("--root", default="data/Planetoid",
                   help="where data sets are copied and processed")
    p.add_argument("--planetoid-mirror", default=None,
                   help="folder laid out as PyG's download, NAME/raw/ind.* "
                        "(else $PYG_PROSAMPLER_PLANETOID_MIRROR, else "
                        "download)")
    p.add_argument("--sampler", nargs="+", default=["full"],
                   choices=GRACE_SAMPLERS,
                   help="full: GRACE as published (one full-graph step an "
                        "epoch); the others: mini-batches of seed nodes "
                        "with their sampled subgraphs")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--epochs", type=int, default=None,
                   help="default: GRACE's for the data set (200)")
    p.add_argument("--lr", type=float, default=None,
                   help="default: GRACE's for the data set")
    p.add_argument("--batch-size", type=int, default=256,
                   help="seed nodes per mini-batch")
    p.add_argument("--fanout", type=int, nargs="+", default=[10, 10],
                   help="neighbours sampled per hop (NeighborLoader's "
                        "num_neighbors; -1 for all)")
    p.add_argument("--num-candidates", type=int, default=1000)
    p.add_argument("--restart-prob", type=float, default=0.1)
    p.add_argument("--refresh-every", type=int, default=100)
    p.add_argument("--refresh", default="rolling", choices=REFRESHES)
    p.add_argument("--coverage", default="cycle", choices=COVERAGES)
    p.add_argument("--warmup-epochs", type=int, default=1)
    p.add_argument("--eval-splits", type=int, default=3,
                   help="random 10%%/90%% splits evaluated per seed "
                        "(GRACE's code: 3)")
    add_output_args(p, "results/grace.json")
    p.set_defaults(func=cmd_grace, device="cpu")
    return p
