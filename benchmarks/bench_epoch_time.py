r"""GraphCL epoch time split (training / sampling / graph rebuilding /
collation) and peak memory, uniform vs ProSampler, each run in its own
process on this machine.  Writes benchmarks/results/epoch_time.json and a
Markdown table.

    python benchmarks/bench_epoch_time.py --datasets NCI1 COLLAB --epochs 3
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

RESULTS = os.path.join(os.path.dirname(__file__), "results")


def fixed_sampler(name: str, num: int):
    r"""GraphCL's batch sampler :obj:`"uniform"` or :obj:`"prosampler"` at
    the fixed knobs of ``run_graphcl_tu.sh`` (batch 128, M = 1000,
    K = min(100, N - 1), restart 0.1, rebuilt every 100 steps, 1 warm-up
    epoch), seed 0."""
    from pyg_prosampler.samplers import (
        ProximityBatchSampler,
        UniformBatchSampler,
    )

    if name == "uniform":
        return UniformBatchSampler(num, 128, seed=0)
    return ProximityBatchSampler(
        num, 128, num_neighbors=min(100, num - 1), num_candidates=1000,
        restart_prob=0.1, refresh_every=100, warmup_epochs=1, seed=0)


def child(dataset: str, sampler_name: str, epochs: int, mirror: str) -> dict:
    import torch

    from pyg_prosampler import load_tu
    from pyg_prosampler.datasets import graph_labels
    from pyg_prosampler.training import train_graphcl

    t = time.perf_counter()
    ds = load_tu(dataset, "data/TU", mirror)
    load_seconds = time.perf_counter() - t
    n = len(ds)
    sampler = fixed_sampler(sampler_name, n)
    _, logs = train_graphcl(ds, sampler, epochs=epochs, seed=0,
                            labels=graph_labels(ds), progress=False)
    # Epoch 0 is the warm-up (uniform) epoch for ProSampler: report the rest.
    steady = logs[1:] if len(logs) > 1 else logs
    keys = ("train_seconds", "sampling_seconds", "rebuild_seconds",
            "collate_seconds")
    out = {k: sum(e[k] for e in steady) / len(steady) for k in keys}
    out.update(dataset=dataset, sampler=sampler_name, epochs=epochs,
               graphs=n, load_seconds=load_seconds,
               threads=torch.get_num_threads(),
               peak_rss_gb=resource.getrusage(
                   resource.RUSAGE_SELF).ru_maxrss / 1e6)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+", default=["NCI1", "COLLAB"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--tu-mirror", default=os.environ.get(
        "PYG_PROSAMPLER_TU_MIRROR", "../shared/data/TU"))
    p.add_argument("--note", default="", help="conditions of the run, "
                   "written under the table's title")
    p.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.epochs, args.tu_mirror)))
        return
    path = os.path.join(RESULTS, "epoch_time.json")
    records = json.load(open(path)) if os.path.exists(path) else []
    for ds in args.datasets:
        for s in ("uniform", "prosampler"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", ds, s, "--epochs",
                 str(args.epochs), "--tu-mirror", args.tu_mirror],
                capture_output=True, text=True, check=True)
            rec = json.loads(out.stdout.strip().splitlines()[-1])
            rec["command"] = ("python benchmarks/bench_epoch_time.py "
                              f"--datasets {ds} --epochs {args.epochs}")
            records = [r for r in records if (r["dataset"], r["sampler"])
                       != (ds, s)] + [rec]
            print(rec, flush=True)
            with open(path, "w") as f:
                json.dump(records, f, indent=1)
    lines = ["# GraphCL seconds per epoch (after the warm-up epoch), 2-core "
             "CPU", "", args.note, "",
             "| data set | sampler | train | sampling | rebuild | collate | "
             "overhead vs uniform epoch | peak RSS GB |",
             "|---|---|---|---|---|---|---|---|"]
    by = {(r["dataset"], r["sampler"]): r for r in records}
    for (ds, s), r in sorted(by.items()):
        u = by.get((ds, "uniform"))
        total_u = (u["train_seconds"] + u["sampling_seconds"]
                   + u["rebuild_seconds"] + u["collate_seconds"]) if u else 0
        over = ((r["sampling_seconds"] + r["rebuild_seconds"]) / total_u
                if total_u else float("nan"))
        lines.append(
            f"| {ds} | {s} | {r['train_seconds']:.2f} | "
            f"{r['sampling_seconds']:.3f} | {r['rebuild_seconds']:.3f} | "
            f"{r['collate_seconds']:.2f} | {100 * over:.1f} % | "
            f"{r['peak_rss_gb']:.2f} |")
    lines += ["", "Commands: " + "; ".join(sorted({f"`{r['command']}`"
                                                  for r in records}))]
    with open(path.replace(".json", ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
