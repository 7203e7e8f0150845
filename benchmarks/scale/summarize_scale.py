r"""Markdown tables of the proximity graphs at scale, ``scale.md`` (from
``scale.json``, ``bench_scale.py``), and of 1 vs 2 DDP processes,
``ddp.md`` (from ``ddp.json``, ``bench_ddp.py``), in
``benchmarks/results/`` (a table is skipped while its JSON file does not
exist).

    python benchmarks/scale/summarize_scale.py
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List

from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, current


def scale_table() -> List[str]:
    records = load_records(os.path.join(RESULTS, "scale.json"))
    lines = ["# Proximity graphs at scale (K = 10, d = 128)", "",
             "Build seconds, peak RSS of the process (GB, includes "
             "generating the embeddings) and recall@10 against the exact "
             "graph (100k only). Engines: exact = blocked matmul; "
             "candidates = the paper's graph, M = 1000 (by design not the "
             "kNN graph: its recall is ~M/N); faiss = IVF-Flat, "
             "nlist = 4 sqrt(N), nprobe = 16. Command: "
             "`python benchmarks/scale/bench_scale.py`; measured beside other "
             "jobs on 2 cores.", "",
             "| data | engine | N | seconds | peak GB | recall@10 |",
             "|---|---|---|---|---|---|"]
    for r in records:
        rec = r.get("recall_at_k")
        engine = r["engine"] + (f", nprobe {r['nprobe']}"
                                if r.get("nprobe", 16) != 16 else "")
        lines.append(f"| {r['data']} | {engine} | {r['num']:,} | "
                     f"{r['seconds']:.1f} | {r['peak_rss_gb']:.2f} | "
                     f"{'–' if rec is None else f'{rec:.4f}'} |")
    return lines


def ddp_table() -> List[str]:
    with open(os.path.join(RESULTS, "ddp.json")) as f:
        r = json.load(f)
    return ["# 1 vs 2 processes (gloo), same seed", "",
            f"`{current(r['command'])}`: N = {r['num']}, d = {r['dim']}, B = "
            f"{r['batch_size']}, {r['epochs']} epochs ({r['batches']} "
            f"global batches, ProSampler M = 1000, K = 100).", "",
            f"- identical global batches: **{r['identical_global_batches']}**",
            f"- single process: {r['single_process_seconds']:.1f} s; each "
            f"of 2 ranks: {max(r['rank_seconds']):.1f} s (both ranks "
            f"rebuild the same graph and share 2 cores with other jobs; "
            f"the point here is identity, not speed)",
            f"- machine: {r['machine']}"]


def main() -> None:
    for name, make in (("scale", scale_table), ("ddp", ddp_table)):
        if not os.path.exists(os.path.join(RESULTS, f"{name}.json")):
            continue
        with open(os.path.join(RESULTS, f"{name}.md"), "w") as f:
            f.write("\n".join(make()) + "\n")
        print(f"wrote {name}.md")


if __name__ == "__main__":
    main()
