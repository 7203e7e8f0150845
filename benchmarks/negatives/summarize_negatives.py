r"""Markdown table of the negative samplers on TU, ``negatives_tu.md``,
from ``benchmarks/results/negatives_tu.json.gz``.

    python benchmarks/negatives/summarize_negatives.py
"""
from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from pyg_prosampler.experiments.evaluate import mean_std
from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, cell, epoch_seconds

TU_SETS = ["MUTAG", "PROTEINS", "IMDB-BINARY", "IMDB-MULTI", "NCI1"]
METHODS = [  # (label, sampler, negatives, ring pool)
    ("in-batch, uniform", "uniform", "inbatch", None),
    ("in-batch, ProSampler", "prosampler", "inbatch", None),
    ("Ring (bank), uniform", "uniform", "ring", "bank"),
    ("SogCLR, uniform", "uniform", "sogclr", None),
    ("EMC², uniform", "uniform", "emc2", None),
    ("ProSampler + Ring (in batch)", "prosampler", "ring", "batch"),
]


def method_of(r: dict) -> Tuple[str, str, object]:
    neg = r.get("negatives", "inbatch")
    pool = r.get("negatives_params", {}).get("pool") if neg == "ring" \
        else None
    return r["sampler"], neg, pool


def negatives_table() -> List[str]:
    records = load_records(os.path.join(RESULTS, "negatives_tu.json.gz"))
    acc: Dict[tuple, List[float]] = defaultdict(list)
    sec: Dict[tuple, List[float]] = defaultdict(list)
    for r in records:
        key = (r["batch_size"], *method_of(r), r["dataset"])
        acc[key].append(100 * r["accuracy"])
        sec[key].append(epoch_seconds(r))
    lines = ["# Negative samplers on TU (GraphCL encoder)", "",
             "Accuracy % (10-fold SVC, mean ± std over 5 seeds unless n "
             "says otherwise), then seconds per epoch (training + sampling "
             "+ rebuilding, mean over seeds; measured beside other jobs "
             "on 2 cores). Commands: "
             "`benchmarks/negatives/run_negatives_tu.sh 128` and `... 32`.",
             ""]
    for b in sorted({k[0] for k in acc}, reverse=True):
        for title, table in (("accuracy %", acc), ("s / epoch", sec)):
            lines += [f"## Batch size {b}: {title}", "",
                      "| method | " + " | ".join(TU_SETS) + " |",
                      "|---" * (len(TU_SETS) + 1) + "|"]
            for label, sampler, neg, pool in METHODS:
                row = []
                for ds in TU_SETS:
                    vals = table.get((b, sampler, neg, pool, ds), [])
                    if title == "s / epoch":
                        row.append(f"{sum(vals) / len(vals):.2f}"
                                   if vals else "–")
                    else:
                        row.append(cell(vals))
                lines.append(f"| {label} | " + " | ".join(row) + " |")
            lines.append("")
        best = []
        for ds in TU_SETS:
            means = {label: mean_std(acc[(b, s, n, p, ds)])[0]
                     for label, s, n, p in METHODS
                     if acc.get((b, s, n, p, ds))}
            if means:
                top = max(means, key=means.get)
                best.append(f"{ds}: {top} ({means[top]:.2f})")
        lines += [f"Best mean at B={b}: " + "; ".join(best), ""]
    return lines


def main() -> None:
    if not os.path.exists(os.path.join(RESULTS, "negatives_tu.json.gz")):
        return
    with open(os.path.join(RESULTS, "negatives_tu.md"), "w") as f:
        f.write("\n".join(negatives_table()) + "\n")
    print("wrote negatives_tu.md")


if __name__ == "__main__":
    main()
