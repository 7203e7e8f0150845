r"""Proximity graphs at scale: build time, peak memory and recall@K of the
exact, M-candidate and faiss engines at 100k, 1M and 5M embeddings (d=128,
K=10, M=1000).

Each case runs in its own process (its peak RSS is its own) and appends one
JSON record to ``benchmarks/results/scale.json`` (cases already there are
skipped: re-run to resume).  Recall@K is measured against the exact graph
at 100k (the exact graph costs N^2 d: about 100x the 100k time at 1M, so
it is not run beyond 100k); ``--data`` picks the embedding set: the
clustered stand-in of ``bench_sampler.py`` (:func:`common.clustered`) or
isotropic Gaussian vectors (the hardest case for an inverted-file
index).

    python benchmarks/scale/bench_scale.py --data clustered gaussian
    python benchmarks/scale/bench_scale.py --data gaussian --max-num 100000 \
        --nprobe 64 256   # recall against time for faiss's nprobe
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

from pyg_prosampler.experiments.results import load_records, machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BENCH, RESULTS, clustered

OUT = os.path.join(RESULTS, "scale.json")
CACHE = os.path.join(BENCH, "logs")
CASES = [("exact", 100_000), ("candidates", 100_000), ("faiss", 100_000),
         ("candidates", 1_000_000), ("faiss", 1_000_000),
         ("candidates", 5_000_000), ("faiss", 5_000_000)]
K, M, DIM = 10, 1000, 128
NPROBE = 16  # knn_faiss's default


def embeddings(data: str, num: int) -> torch.Tensor:
    if data == "clustered":
        return clustered(num, DIM)
    g = torch.Generator().manual_seed(0)
    return torch.randn(num, DIM, generator=g)


def run_case(engine: str, num: int, data: str, nprobe: int) -> dict:
    from pyg_prosampler import build_proximity_graph

    z = embeddings(data, num)
    t = time.perf_counter()
    if engine == "exact":
        graph = build_proximity_graph(z, K, None, engine="matmul")
    elif engine == "faiss":
        graph = build_proximity_graph(z, K, None, engine="faiss",
                                      engine_options={"nprobe": nprobe})
    else:
        graph = build_proximity_graph(z, K, M,
                                      generator=torch.Generator()
                                      .manual_seed(0))
    seconds = time.perf_counter() - t
    col = graph.edge_index[1].view(num, K)
    truth_path = os.path.join(CACHE, f"scale_exact_{data}_{num}.pt")
    record = {"engine": engine, "num": num, "dim": DIM, "k": K,
              "data": data, "seconds": seconds}
    if engine == "candidates":
        record["num_candidates"] = M
    if engine == "faiss":
        record["nprobe"] = nprobe
    if engine == "exact":
        torch.save(col, truth_path)
    if os.path.exists(truth_path):
        truth = torch.load(truth_path)
        hit = (col.unsqueeze(2) == truth.unsqueeze(1)).any(2)
        record["recall_at_k"] = hit.float().mean().item()
    record["peak_rss_gb"] = (resource.getrusage(resource.RUSAGE_SELF)
                             .ru_maxrss / 2**20)
    record["note"] = ("peak RSS includes generating the embeddings "
                      f"({num * DIM * 4 / 2**30:.2f} GB each copy)")
    return record


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", nargs="+", default=["clustered", "gaussian"],
                   choices=["clustered", "gaussian"])
    p.add_argument("--max-num", type=int, default=5_000_000)
    p.add_argument("--nprobe", type=int, nargs="+", default=[NPROBE],
                   help="faiss cells searched per query (each value is a "
                   "case of its own)")
    p.add_argument("--case", nargs=4, default=None,
                   help=argparse.SUPPRESS)  # engine num data nprobe (child)
    args = p.parse_args()
    if args.case:
        engine, num, data, nprobe = args.case
        print(json.dumps(run_case(engine, int(num), data, int(nprobe))))
        return
    os.makedirs(CACHE, exist_ok=True)
    cases = [(e, n, q) for e, n in CASES
             for q in (args.nprobe if e == "faiss" else [NPROBE])]
    for data in args.data:
        for engine, num, nprobe in cases:
            if num > args.max_num:
                continue
            done = [r for r in load_records(OUT) if r["engine"] == engine
                    and r["num"] == num and r["data"] == data
                    and r.get("nprobe", NPROBE) == nprobe]
            if done:
                print(f"{engine} {num} {data} nprobe {nprobe}: done, "
                      "skipped")
                continue
            cmd = [sys.executable, __file__, "--case", engine, str(num),
                   data, str(nprobe)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr[-2000:])
                continue
            record = json.loads(out.stdout.strip().splitlines()[-1])
            record["command"] = ("python benchmarks/scale/bench_scale.py "
                                 f"--data {data} --max-num {args.max_num}"
                                 + (f" --nprobe {nprobe}"
                                    if nprobe != NPROBE else ""))
            record["machine"] = machine()
            print(json.dumps(record))
            records = load_records(OUT) + [record]
            with open(OUT, "w") as f:
                json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
