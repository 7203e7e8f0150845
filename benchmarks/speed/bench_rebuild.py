r"""Where ProSampler's proximity-graph rebuild spends its time at NCI1's
size (N = 4110, M = 1000, K = 100, d = 96, one thread), and whether a
different exact top-k would be cheaper.  Writes
benchmarks/results/rebuild_split.json.

    python benchmarks/speed/bench_rebuild.py
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from pyg_prosampler._candidates import knn_candidates
from pyg_prosampler.experiments.results import machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS


def ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return 1000 * (time.perf_counter() - t) / repeat


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--num-nodes", type=int, default=4110)
    p.add_argument("--dim", type=int, default=96)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--note", default="", help="conditions of the run")
    args = p.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    zn = F.normalize(torch.randn(args.num_nodes, args.dim, generator=gen),
                     dim=1)
    k, pool, group = 100, 1001, 125  # knn_candidates' shapes at M = 1000
    groups = -(-args.num_nodes // group)
    q_idx = torch.randint(args.num_nodes, (groups, group), generator=gen)
    p_idx = torch.randint(args.num_nodes, (groups, pool), generator=gen)
    q, pl = zn[q_idx], zn[p_idx]
    scores = torch.bmm(q, pl.transpose(1, 2))
    out = {
        "knn_candidates": ms(lambda: knn_candidates(zn, k, 1000,
                                                    generator=gen),
                             args.repeat),
        "gather": ms(lambda: (zn[q_idx], zn[p_idx]), args.repeat),
        "bmm": ms(lambda: torch.bmm(q, pl.transpose(1, 2)), args.repeat),
        "topk": ms(lambda: scores.topk(k, dim=2), args.repeat),
        "topk_unsorted": ms(lambda: scores.topk(k, dim=2, sorted=False),
                            args.repeat),
        "kthvalue": ms(lambda: scores.kthvalue(pool - k + 1, dim=2),
                       args.repeat),
        "sort": ms(lambda: scores.sort(dim=2, descending=True),
                   args.repeat),
    }
    record = {"milliseconds": out, "num_nodes": args.num_nodes,
              "dim": args.dim, "note": args.note, "machine": machine(),
              "command": "python benchmarks/speed/bench_rebuild.py"}
    print(json.dumps(out, indent=1))
    with open(os.path.join(RESULTS, "rebuild_split.json"), "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
