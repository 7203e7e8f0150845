r"""``python -m pyg_prosampler batches``: one epoch of each sampler over
the graph embeddings of a TU set, and how hard its batches are."""
from __future__ import annotations

import argparse
import os
import time
from typing import Any, Dict, List

import torch
from torch import Tensor
from torch_geometric.loader import DataLoader

from pyg_prosampler.contrastive.models import GINEncoder
from pyg_prosampler.contrastive.registry import make_sampler
from pyg_prosampler.datasets import load_tu
from pyg_prosampler.diagnostics import batch_hardness
from pyg_prosampler.experiments.results import write_new_json
from pyg_prosampler.experiments.rng import seeded_global_rng
from pyg_prosampler.experiments.run_records import num_candidates_of

__all__ = ["cmd_batches", "embed_dataset"]

_ROWS = ("uniform", "prosampler", "knn")  # the samplers, in table order


@torch.no_grad()
def embed_dataset(dataset: Any, seed: int = 0,
                  batch_size: int = 256) -> Tensor:
    r"""Graph embeddings of a data set from a GraphCL GIN encoder at its
    random initialisation of :obj:`seed` (no training), standardised per
    dimension (raw sum-pooled ReLU outputs all point the same way).  The
    caller's global random generators are left as they were."""
    with seeded_global_rng(seed):
        encoder = GINEncoder(dataset.num_features).eval()
    out = [encoder(b.x, b.edge_index, b.batch)[0]
           for b in DataLoader(dataset, batch_size=batch_size)]
    z = torch.cat(out)
    return (z - z.mean(0)) / z.std(0).clamp(min=1e-6)


def cmd_batches(args: argparse.Namespace) -> List[Dict[str, Any]]:
    r"""One epoch of each sampler over the graph embeddings of a TU set, and
    how hard its batches are; the table is printed and, with
    :obj:`--out`, written to a new JSON file."""
    if args.out and os.path.exists(args.out):
        raise SystemExit(f"--out {args.out} exists; this command writes a "
                         f"new file and never overwrites one: pass another "
                         f"path or move that file")
    dataset = load_tu(args.dataset, args.root, args.tu_mirror)
    z = embed_dataset(dataset, args.seed)
    rows = [_one_epoch(args, name, len(dataset), z, dataset._data.y)
            for name in _ROWS]
    print(f"{args.dataset}: {len(dataset)} graphs, embeddings "
          f"{tuple(z.shape)} (GIN at random init, seed {args.seed}), "
          f"batch size {args.batch_size}")
    print(f"{'sampler':<12}{'batches':>8}{'mean cos':>10}{'same class':>12}"
          f"{'seconds':>9}")
    for row in rows:
        print(f"{row['sampler']:<12}{row['batches']:>8}"
              f"{row['mean_cosine']:>10.3f}{row['same_class']:>12.3f}"
              f"{row['seconds']:>9.3f}")
    if args.out:
        write_new_json(args.out, rows)
    return rows


def _one_epoch(args: argparse.Namespace, name: str, num_instances: int,
               z: Tensor, y: Tensor) -> Dict[str, Any]:
    r"""The table row of one epoch of sampler :obj:`name` on the fixed
    embeddings :obj:`z` (no warm-up: the walk uses them from the
    start)."""
    sampler = make_sampler(
        name, num_instances, args.batch_size, seed=args.seed,
        warmup_epochs=0, refresh_every=args.refresh_every,
        coverage=args.coverage, embeddings=z,
        num_neighbors=args.num_neighbors,
        num_candidates=num_candidates_of(args),
        restart_prob=args.restart_prob, refresh=args.refresh)
    start = time.perf_counter()
    batches = list(sampler)
    seconds = time.perf_counter() - start
    return {"sampler": name, "batches": len(batches),
            **batch_hardness(batches, z, y), "seconds": seconds,
            "filled_batches": sampler.stats.get("num_filled", 0.0)}
