r"""Sharded graph refresh under DDP: 2 gloo ranks against one process.

N clustered 128-d embeddings (M = 1000, K = 100, B = 256, refresh every
100 batches).  One process (1 torch thread) builds the first graph, then
draws one pass of batches, feeding every batch back, so that its refreshes
are rolling; then 2 ranks (1 thread each) under
:class:`DistributedBatchSampler` do the same with the same seed and the
same fed embeddings.  Records whether both ranks end with the one-process
graph and batches (bit for bit), and the seconds each spent refreshing
the graph (first build and rolling refreshes apart).  Writes
``benchmarks/results/ddp_rebuild.json``.

    python benchmarks/scale/bench_ddp_rebuild.py --num 200000
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from pyg_prosampler._candidates import knn_candidates
from pyg_prosampler.experiments.results import machine, replace_rows
from pyg_prosampler.samplers import (
    DistributedBatchSampler,
    ProximityBatchSampler,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, clustered

OUT = os.path.join(RESULTS, "ddp_rebuild.json")


def make(num: int) -> ProximityBatchSampler:
    return ProximityBatchSampler(num, 256, num_neighbors=100,
                                 num_candidates=1000, restart_prob=0.1,
                                 refresh_every=100, warmup_epochs=0,
                                 embeddings=clustered(num, in_chunks=True),
                                 seed=0)


def fed(base: torch.Tensor, index: torch.Tensor, step: int) -> torch.Tensor:
    r"""Embeddings that depend on the instance and the step only, as if
    training were identical whatever the number of ranks."""
    phase = index.view(-1, 1).float() * (step + 1) + torch.arange(
        base.size(1)).float()
    return base[index] + 0.05 * torch.cos(phase)


def one_pass(sampler, base: torch.Tensor) -> dict:
    inner = getattr(sampler, "sampler", sampler)
    t = time.perf_counter()
    inner.build(inner.embeddings)
    inner._built = True
    inner._changed.zero_()
    first = time.perf_counter() - t
    batches = []
    for step, batch in enumerate(sampler):
        batches.append(batch)
        index = torch.tensor(batch)
        sampler.update(index, fed(base, index, step))
    return {"first_build_seconds": first,
            "refresh_seconds": inner.stats["build_seconds"],
            "rows_refreshed": inner.stats.get("rows_refreshed", 0.0),
            "batches": batches, "neighbors": inner.neighbors}


def worker(rank: int, world: int, folder: str, num: int) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/rdzv",
                            rank=rank, world_size=world)
    try:
        out = one_pass(DistributedBatchSampler(make(num)),
                       clustered(num, in_chunks=True))
        torch.save(out, os.path.join(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--num", type=int, default=200_000)
    args = p.parse_args()
    torch.set_num_threads(1)
    single = one_pass(make(args.num), clustered(args.num, in_chunks=True))
    # One rank's share of a first build computed alone (the other rank's
    # share stood in by a copy of this one, no communication): what the
    # split saves before the all-gather and two processes sharing memory.
    zn = torch.nn.functional.normalize(
        clustered(args.num, in_chunks=True), dim=1)
    t = time.perf_counter()
    knn_candidates(zn, 100, 1000, generator=torch.Generator().manual_seed(0),
                   shard=(0, 2), gather=lambda x: torch.cat([x, x]))
    half_alone = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(worker, args=(2, folder, args.num), nprocs=2)
        ranks = [torch.load(os.path.join(folder, f"rank{r}.pt"))
                 for r in range(2)]
    same_graph = all(torch.equal(r["neighbors"], single["neighbors"])
                     for r in ranks)
    same_batches = all(
        a == full[0::2] and b == full[1::2]
        for full, a, b in zip(single["batches"], ranks[0]["batches"],
                              ranks[1]["batches"]))
    row = {"num": args.num, "same_graph": same_graph,
           "same_batches": same_batches,
           "batches": len(single["batches"]),
           "rows_refreshed": single["rows_refreshed"],
           "one_process": {k: single[k] for k in ("first_build_seconds",
                                                   "refresh_seconds")},
           "half_share_alone_seconds": half_alone,
           "ranks": [{k: r[k] for k in ("first_build_seconds",
                                        "refresh_seconds")} for r in ranks],
           "threads_per_process": 1, "machine": machine(),
           "command": f"python benchmarks/scale/bench_ddp_rebuild.py --num "
                      f"{args.num}"}
    print(json.dumps(row, indent=1))
    replace_rows(OUT, [row], lambda r: True)  # earlier runs are kept


if __name__ == "__main__":
    main()
