r"""Where the checkpointed runs stand: epochs done and seconds per epoch of
every checkpoint in a folder (read memory-mapped, without loading the
weights), e.g. for REDDIT-B's MVGRL runs that span sessions.

    python benchmarks/robustness/checkpoint_progress.py \
        [--dir data/checkpoints] \
        [--out benchmarks/results/checkpoint_progress.json] [--note TEXT]
"""
from __future__ import annotations

import argparse
import glob
import json
import os.path as osp

from pyg_prosampler.experiments.checkpoint import saved_logs
from pyg_prosampler.experiments.results import machine


def progress(path: str) -> dict:
    r"""Epochs done, and training and collation seconds of each, of the
    checkpoint at :obj:`path`; with the peak resident memory (GB) logged
    at each epoch's end and the largest batch in nodes, where the run logs
    them (runs started before the library logged them do not)."""
    logs = saved_logs(path)
    row = {"checkpoint": osp.basename(path), "epochs_done": len(logs),
           "train_seconds": [round(e["train_seconds"], 1) for e in logs],
           "collate_seconds": [round(e["collate_seconds"], 1)
                               for e in logs]}
    for key, digits in (("peak_rss_gb", 2), ("batch_nodes_max", 0)):
        if any(key in e for e in logs):
            row[key] = [round(e[key], digits) if key in e else None
                        for e in logs]
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", default="data/checkpoints")
    p.add_argument("--out", help="also write the rows to this JSON file")
    p.add_argument("--note", default="", help="stored with --out")
    args = p.parse_args()
    rows = [progress(f) for f in sorted(glob.glob(osp.join(args.dir,
                                                           "*.pt")))]
    if not rows:
        print(f"no checkpoints in {args.dir}")
    for r in rows:
        print(f"{r['checkpoint']}: {r['epochs_done']} epochs, train s "
              f"{r['train_seconds']}"
              + (f", peak RSS GB {r['peak_rss_gb']}" if "peak_rss_gb" in r
                 else "")
              + (f", largest batch (nodes) {r['batch_nodes_max']}"
                 if "batch_nodes_max" in r else ""))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"runs": rows, "note": args.note,
                       "machine": machine(),
                       "command": "python benchmarks/robustness/"
                                  "checkpoint_progress.py --dir "
                                  f"{args.dir}"}, f, indent=1)


if __name__ == "__main__":
    main()
