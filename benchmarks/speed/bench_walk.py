r"""Walk throughput: where the time of an epoch of RWR batches goes, against
the memory-latency bound of the same random steps.  Each run is appended
(with its time) to the file's rows.

At N = 100k clustered 128-d embeddings (M = 1000, K = 100; graph built
once), one coverage epoch of batches (B = 256, restart 0.1, the unit of
``sampler.md``'s reference comparison) is drawn by the sampler, with every
part of :func:`~pyg_prosampler.random_walk.rwr_csr` timed:
``torch_cluster.random_walk`` calls, the bucketing around them, the
first-distinct sort, and the rest (compaction, closure tests, fills).
The *bound* is one ``torch_cluster.random_walk`` call taking the same
number of steps (as many walks of the mean segment length) on the same
graph: what the random steps alone cost, each a dependent read of a random
row.  Writes ``benchmarks/results/walk.json``.

    python benchmarks/speed/bench_walk.py
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

from pyg_prosampler import ProximityBatchSampler, random_walk
from pyg_prosampler.experiments.results import machine, replace_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, clustered

OUT = os.path.join(RESULTS, "walk.json")


def timed(table: dict, name: str, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        table[name] += time.perf_counter() - t
        return out
    return wrapper


def main() -> None:
    num, batch_size = 100_000, 256
    sampler = ProximityBatchSampler(
        num, batch_size, num_neighbors=100, num_candidates=1000,
        restart_prob=0.1, refresh_every=10**9, warmup_epochs=0,
        embeddings=clustered(num, in_chunks=True), coverage="epoch",
        seed=0)
    sampler.build(sampler.embeddings)
    sampler._built, sampler._since_build = True, 0

    seconds = defaultdict(float)
    steps = {"count": 0}
    walk = torch.ops.torch_cluster.random_walk

    def counting_walk(rowptr, col, start, length, p, q):
        steps["count"] += start.numel() * length
        t = time.perf_counter()
        out = walk(rowptr, col, start, length, p, q)
        seconds["random_walk"] += time.perf_counter() - t
        return out

    patches = {
        "_walk_segments": random_walk._walk_segments,
        "_first_distinct": random_walk._first_distinct,
        "_compact": random_walk._compact,
        "_is_closed": random_walk._is_closed,
        "_fill_uniform": random_walk._fill_uniform,
    }
    for name, fn in patches.items():
        setattr(random_walk, name, timed(seconds, name, fn))

    namespace = torch.ops.torch_cluster
    namespace.random_walk = counting_walk  # counts and times every call
    try:
        t = time.perf_counter()
        batches = sum(1 for _ in sampler)
        total = time.perf_counter() - t
    finally:
        namespace.random_walk = walk
        for name, fn in patches.items():
            setattr(random_walk, name, fn)
    draw = sampler.stats["draw_seconds"]

    # The bound: the same number of steps in one call, walks of 10 steps
    # (the mean segment length at restart 0.1) from random starts.
    k = sampler.num_neighbors
    col = sampler.neighbors.view(-1)
    rowptr = torch.arange(0, (num + 1) * k, k)
    length = 10
    starts = torch.randint(num, (steps["count"] // length,))
    t = time.perf_counter()
    walk(rowptr, col, starts, length, 1.0, 1.0)
    bound = time.perf_counter() - t

    row = {
        "num": num, "batch_size": batch_size, "batches": batches,
        "epoch_seconds": total, "draw_seconds": draw,
        "random_walk_seconds": seconds["random_walk"],
        "segments_other_seconds": seconds["_walk_segments"]
        - seconds["random_walk"],
        "first_distinct_seconds": seconds["_first_distinct"],
        "compact_seconds": seconds["_compact"],
        "closed_seconds": seconds["_is_closed"],
        "fill_seconds": seconds["_fill_uniform"],
        "walked_steps": steps["count"], "bound_seconds": bound,
        "threads": torch.get_num_threads(), "machine": machine(),
        "command": "python benchmarks/speed/bench_walk.py",
    }
    row["rest_seconds"] = draw - sum(
        row[k] for k in ("random_walk_seconds", "segments_other_seconds",
                         "first_distinct_seconds", "compact_seconds",
                         "closed_seconds", "fill_seconds"))
    print(json.dumps(row, indent=1))
    row["time"] = time.strftime("%Y-%m-%d %H:%M:%S")
    replace_rows(OUT, [row], lambda r: True)  # earlier runs are kept


if __name__ == "__main__":
    main()
