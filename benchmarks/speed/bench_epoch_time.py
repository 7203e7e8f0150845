r"""GraphCL epoch time split (training / sampling / graph rebuilding /
collation) and peak memory, uniform vs ProSampler, each run in its own
process on this machine.  Writes benchmarks/results/epoch_time.json and a
Markdown table.

    python benchmarks/speed/bench_epoch_time.py --datasets NCI1 COLLAB \
        --epochs 3

``--repeats R`` runs each sampler R times, alternating, and keeps the
means and every run.  ``--label`` keeps rows of other code beside the
current code's, e.g. an older commit checked out in a worktree:
``PYTHONPATH=<worktree> python benchmarks/speed/bench_epoch_time.py ...
--label <commit>``.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, current, fixed_sampler

SECONDS = ("train_seconds", "sampling_seconds", "rebuild_seconds",
           "collate_seconds")


def child(dataset: str, sampler_name: str, epochs: int, mirror: str) -> dict:
    import torch

    from pyg_prosampler import load_tu
    from pyg_prosampler.datasets import graph_labels
    from pyg_prosampler.experiments.graphcl import train_graphcl

    t = time.perf_counter()
    ds = load_tu(dataset, "data/TU", mirror)
    load_seconds = time.perf_counter() - t
    n = len(ds)
    sampler = fixed_sampler(sampler_name, n)
    _, logs = train_graphcl(ds, sampler, epochs=epochs, seed=0,
                            labels=graph_labels(ds), progress=False)
    # Epoch 0 is the warm-up (uniform) epoch for ProSampler: report the rest.
    steady = logs[1:] if len(logs) > 1 else logs
    out = {k: sum(e[k] for e in steady) / len(steady) for k in SECONDS}
    out.update(dataset=dataset, sampler=sampler_name, epochs=epochs,
               graphs=n, load_seconds=load_seconds,
               threads=torch.get_num_threads(),
               peak_rss_gb=resource.getrusage(
                   resource.RUSAGE_SELF).ru_maxrss / 1e6)
    return out


def overhead(run: dict, uniform: dict) -> float:
    r"""Sampling + rebuilding seconds of :obj:`run` per epoch over the whole
    epoch of :obj:`uniform`."""
    return ((run["sampling_seconds"] + run["rebuild_seconds"])
            / sum(uniform[k] for k in SECONDS))


def key(record: dict) -> tuple:
    r"""A table row: data set, sampler and the code's label."""
    return record["dataset"], record["sampler"], record.get("label", "")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="*", default=["NCI1", "COLLAB"],
                   help="none: only rewrite the table (e.g. its --note)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--tu-mirror", default=os.environ.get(
        "PYG_PROSAMPLER_TU_MIRROR", "../shared/data/TU"))
    p.add_argument("--note", default="", help="conditions of the run, "
                   "written under the table's title")
    p.add_argument("--repeats", type=int, default=1, help="runs per "
                   "sampler, alternating; seconds are their means")
    p.add_argument("--label", default="", help="names the code measured "
                   "(e.g. an older commit run with PYTHONPATH), kept beside "
                   "the current code's rows instead of replacing them")
    p.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.epochs, args.tu_mirror)))
        return
    path = os.path.join(RESULTS, "epoch_time.json")
    records = json.load(open(path)) if os.path.exists(path) else []
    for ds in args.datasets:
        # Repeats alternate the samplers, so that a slow spell of the shared
        # machine weighs on both alike.
        runs: dict = {"uniform": [], "prosampler": []}
        for _ in range(args.repeats):
            for s in runs:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", ds, s, "--epochs",
                     str(args.epochs), "--tu-mirror", args.tu_mirror],
                    capture_output=True, text=True, check=True)
                runs[s].append(json.loads(out.stdout.splitlines()[-1]))
                print(runs[s][-1], flush=True)
        for reps in runs.values():
            rec = dict(reps[0])
            rec.update({k: sum(r[k] for r in reps) / len(reps)
                        for k in SECONDS})
            rec["peak_rss_gb"] = max(r["peak_rss_gb"] for r in reps)
            rec["repeats"] = [{k: r[k] for k in SECONDS} for r in reps]
            rec["command"] = ("python benchmarks/speed/bench_epoch_time.py "
                              f"--datasets {ds} --epochs {args.epochs} "
                              f"--repeats {args.repeats}")
            if args.label:
                rec["command"] += f" --label '{args.label}'"
                rec["label"] = args.label
            records = [r for r in records if key(r) != key(rec)] + [rec]
        with open(path, "w") as f:
            json.dump(records, f, indent=1)
    lines = ["# GraphCL seconds per epoch (after the warm-up epoch), 2-core "
             "CPU", "", args.note, "",
             "| data set | code | epochs | runs | sampler | train | sampling "
             "| rebuild | collate | overhead vs uniform epoch (range over "
             "runs) | peak RSS GB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    by = {key(r): r for r in records}
    for (ds, s, label), r in sorted(by.items()):
        u = by.get((ds, "uniform", label))
        over = overhead(r, u) if u else float("nan")
        pairs = list(zip(r.get("repeats", []), u.get("repeats", []))) \
            if u else []
        spread = ""
        if len(pairs) > 1:
            each = [overhead(a, b) for a, b in pairs]
            spread = f" ({100 * min(each):.1f}-{100 * max(each):.1f})"
        lines.append(
            f"| {ds} | {label or '–'} | {r['epochs']} | "
            f"{len(r.get('repeats', [])) or 1} | {s} | "
            f"{r['train_seconds']:.2f} | "
            f"{r['sampling_seconds']:.3f} | {r['rebuild_seconds']:.3f} | "
            f"{r['collate_seconds']:.2f} | {100 * over:.1f} %{spread} | "
            f"{r['peak_rss_gb']:.2f} |")
    lines += ["", "Commands: " + "; ".join(sorted(
        {f"`{current(r['command'])}`" for r in records}))]
    with open(path.replace(".json", ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
