r"""One pass of ProSampler batches at scale, as a training loop draws it:
ceil(N / B) batches, a graph refresh every 100 batches, every batch's
embeddings fed back; N clustered 128-d embeddings, B = 256, M = 1000,
K = 100, restart 0.1.  Rolling refresh (the default) against full rebuilds.

Each case runs in its own process and records seconds (total, refresh,
walks), peak RSS (reset after the embeddings are generated, so it is the
sampler's, the table included) and the batch count into
``benchmarks/results/pass_scale.json``; cases already there are skipped.
The sampler's graph is built once before the pass is timed (the first
build after the warm-up, at the same cost whatever the refresh mode), and
reported apart.  The fed embeddings are the table's rows plus small noise,
so every fed row changes.

    python benchmarks/scale/bench_pass.py                     # all cases
    python benchmarks/scale/bench_pass.py --cases rolling:1000000
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from pyg_prosampler.experiments.memory import peak_memory, reset_peak_memory
from pyg_prosampler.experiments.results import machine, replace_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, clustered

OUT = os.path.join(RESULTS, "pass_scale.json")
CASES = ["full:25000", "full:50000", "full:100000", "full:200000",
         "rolling:25000", "rolling:50000", "rolling:100000",
         "rolling:200000", "rolling:1000000", "rolling:5000000"]
DIM, B, M, K, ALPHA, EVERY = 128, 256, 1000, 100, 0.1, 100


def run_case(mode: str, num: int) -> dict:
    from pyg_prosampler import ProximityBatchSampler

    z = clustered(num, DIM, in_chunks=True)
    reset_peak_memory()
    sampler = ProximityBatchSampler(
        num, B, num_neighbors=K, num_candidates=M, restart_prob=ALPHA,
        refresh_every=EVERY, refresh=mode, warmup_epochs=0, embeddings=z,
        seed=0)
    del z
    t = time.perf_counter()
    sampler.build(sampler.embeddings)  # the first graph, built once
    sampler._built = True
    sampler._changed.zero_()
    first = time.perf_counter() - t
    g = torch.Generator().manual_seed(1)
    table = sampler.embeddings
    batches = 0
    t = time.perf_counter()
    for batch in sampler:
        index = torch.tensor(batch)
        fed = table[index] + 0.05 * torch.randn(len(batch), DIM, generator=g)
        sampler.update(index, fed)
        batches += 1
    seconds = time.perf_counter() - t
    assert batches == math.ceil(num / B)
    stats = sampler.stats
    return {"case": f"{mode}:{num}", "mode": mode, "num": num,
            "seconds": seconds, "refresh_seconds": stats["build_seconds"],
            "walk_seconds": stats["draw_seconds"],
            "other_seconds": seconds - stats["build_seconds"]
            - stats["draw_seconds"],
            "first_build_seconds": first, "batches": batches,
            "refreshes": stats["num_builds"],
            "rows_refreshed": stats.get("rows_refreshed", 0.0),
            **peak_memory(), "threads": torch.get_num_threads()}


def write_table(rows: list, path: str) -> None:
    by = {r["case"]: r for r in rows}
    lines = [
        "# One pass of ProSampler batches at scale",
        "",
        "Command: `python benchmarks/scale/bench_pass.py`  ",
        f"Machine: {rows[0]['machine'] if rows else ''}",
        "",
        "A pass = ceil(N / B) batches, the graph refreshed every 100 "
        "batches, every batch's embeddings fed back (N clustered 128-d "
        "embeddings, B = 256, M = 1000, K = 100, restart 0.1).  Seconds of "
        "the pass after the first graph; peak RSS of the process after "
        "the embeddings were generated (the sampler's table, graph and "
        "work).",
        "",
        "| refresh | N | pass (s) | refresh (s) | walks (s) | other (s) | "
        "rows recomputed | first graph (s) | peak RSS (GB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case in CASES:
        r = by.get(case)
        if r is None:
            continue
        rows_done = (f"{r['rows_refreshed'] / r['num']:.2f} N"
                     if r["mode"] == "rolling" else
                     f"{r['refreshes']:.0f} x N")
        lines.append(
            f"| {r['mode']} | {r['num']:,} | {r['seconds']:.1f} | "
            f"{r['refresh_seconds']:.1f} | {r['walk_seconds']:.1f} | "
            f"{r['other_seconds']:.1f} | {rows_done} | "
            f"{r['first_build_seconds']:.1f} | {r['peak_rss_gb']:.2f} |")
    lines += ["", "Growth exponent of the pass time (least squares of log "
              "seconds on log N, from N = 100k, where every pass holds "
              "refreshes; between consecutive sizes in brackets):", ""]
    for mode in ("full", "rolling"):
        pts = sorted((r["num"], r["seconds"]) for r in rows
                     if r["mode"] == mode and r["num"] >= 100_000)
        if len(pts) < 2:
            continue
        xs = [math.log(n) for n, _ in pts]
        ys = [math.log(t) for _, t in pts]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = (sum((x - mx) * (y - my) for x, y in zip(xs, ys))
                 / sum((x - mx) ** 2 for x in xs))
        steps = ", ".join(
            f"{(ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]):.2f}"
            for i in range(len(xs) - 1))
        lines.append(f"- {mode}: {slope:.2f} over N = "
                     f"{', '.join(f'{n:,}' for n, _ in pts)} ({steps})")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        mode, num = args.child.split(":")
        print(json.dumps(run_case(mode, int(num))))
        return
    done = {r["case"] for r in load_records_rows(OUT)}
    for case in args.cases:
        if case in done:
            print(f"{case}: in {OUT}, skipped")
            continue
        out = subprocess.run([sys.executable, __file__, "--child", case],
                             capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["machine"] = machine()
        row["command"] = ("python benchmarks/scale/bench_pass.py --cases "
                          f"{case}")
        print(row)
        replace_rows(OUT, [row], lambda r, c=case: r["case"] != c)
    write_table(load_records_rows(OUT), OUT.replace(".json", ".md"))


def load_records_rows(path: str) -> list:
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)["rows"]


if __name__ == "__main__":
    main()
