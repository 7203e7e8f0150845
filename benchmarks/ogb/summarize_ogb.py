r"""Markdown table of GraphCL pre-training on OGB molecule sets,
``ogb.md``, from ``benchmarks/results/ogb.json``.

    python benchmarks/ogb/summarize_ogb.py
"""
from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, cell


def ogb_table() -> List[str]:
    records = load_records(os.path.join(RESULTS, "ogb.json"))
    test: Dict[tuple, List[float]] = defaultdict(list)
    valid: Dict[tuple, List[float]] = defaultdict(list)
    epochs: Dict[str, set] = defaultdict(set)
    for r in records:
        epochs[r["dataset"]].add(r["epochs"])
        test[(r["dataset"], r["sampler"])].append(100 * r["rocauc"])
        valid[(r["dataset"], r["sampler"])].append(100 * r["valid_rocauc"])
    sets = sorted({k[0] for k in test})
    lines = ["# GraphCL pre-training on OGB molecule sets", "",
             "Test ROC-AUC % of a linear probe (logistic regression, C by "
             "validation ROC-AUC) on frozen encoder embeddings, scaffold "
             "split, ogb Evaluator; mean ± std over seeds (validation in "
             "brackets). Command: `benchmarks/ogb/run_ogb.sh`.", "",
             "| sampler | " + " | ".join(
                 f"{ds} ({'/'.join(map(str, sorted(epochs[ds])))} epochs)"
                 for ds in sets) + " |",
             "|---" * (len(sets) + 1) + "|"]
    for sampler in ("uniform", "prosampler"):
        row = [f"{cell(test[(ds, sampler)])} ({cell(valid[(ds, sampler)])})"
               for ds in sets]
        lines.append(f"| {sampler} | " + " | ".join(row) + " |")
    return lines


def main() -> None:
    if not os.path.exists(os.path.join(RESULTS, "ogb.json")):
        return
    with open(os.path.join(RESULTS, "ogb.md"), "w") as f:
        f.write("\n".join(ogb_table()) + "\n")
    print("wrote ogb.md")


if __name__ == "__main__":
    main()
