r"""Markdown tables of MVGRL on TU: ``mvgrl_tu.md`` (fixed configuration
and the layers and batch size chosen by ``select_mvgrl.py``) and
``mvgrl_infonce.md`` (the InfoNCE variant), from their records in
``benchmarks/results/`` (a table is skipped while its records do not
exist).

    python benchmarks/mvgrl/summarize_mvgrl.py
"""
from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import (
    HARDNESS_NOTE,
    PAIRED_NOTE,
    RESULTS,
    cell,
    chosen_configs,
    epoch_seconds,
    hardness_cell,
    paired_cell,
)

MVGRL_SETS = ["MUTAG", "IMDB-BINARY", "IMDB-MULTI", "REDDIT-BINARY",
              "PROTEINS", "NCI1"]
FIXED = (4, 128)  # run_mvgrl_tu.sh's default layers and batch size
MVGRL_PAPER = {  # REFERENCE.md section 3, accuracy %, mean ± std
    "uniform": {"MUTAG": "89.70±1.10", "IMDB-BINARY": "74.20±0.70",
                "IMDB-MULTI": "51.20±0.50", "REDDIT-BINARY": "84.50±0.60"},
    "prosampler": {"MUTAG": "91.13±0.81", "IMDB-BINARY": "76.70±0.35",
                   "IMDB-MULTI": "52.40±0.39",
                   "REDDIT-BINARY": "87.47±0.79"},
}


def epoch_time_cell(dataset: str, found: List[dict]) -> str:
    r"""``"DATASET seconds"``: the mean of :func:`epoch_seconds` over
    :obj:`found`."""
    v = [epoch_seconds(r) for r in found]
    return f"{dataset} {sum(v) / len(v):.1f}"


def mvgrl_table() -> List[str]:
    runs = mvgrl_runs("mvgrl_tu")
    sets = run_sets(runs)
    chosen = {ds: chosen_configs(ds) for ds in sets}
    lines = accuracy_head(
        "MVGRL (JSD local-global loss) on TU: ours vs the paper",
        "Accuracy % (10-fold linear SVM on the sum of both views' graph "
        "vectors, mean ± std over 5 seeds unless n says otherwise), the "
        "paper's row in brackets, then seconds per epoch (mean over "
        "seeds, measured beside other jobs on 2 cores). *fixed*: MVGRL's "
        "defaults, 4 layers and batch 128 (`benchmarks/mvgrl/run_mvgrl_tu.sh "
        "DATASET`); *selected*: layers and batch chosen by inner "
        "validation, shown as [layers, batch] "
        "(`benchmarks/mvgrl/select_mvgrl.py --dataset DATASET`, grid in "
        "`mvgrl_select.md`).", sets)
    for sampler in ("uniform", "knn", "prosampler"):
        for kind in ("fixed", "selected"):
            row, times = [], []
            for ds in sets:
                config = (FIXED if kind == "fixed"
                          else chosen[ds].get(sampler))
                found = runs.get((sampler, ds) + config, []) if config else []
                text = cell([100 * r["accuracy"] for r in found])
                if kind == "selected" and config:
                    text += f" [{config[0]}, {config[1]}]"
                paper = MVGRL_PAPER.get(sampler, {}).get(ds)
                row.append(text + (f" ({paper})" if paper else ""))
                if found:
                    times.append(epoch_time_cell(ds, found))
            if kind == "selected" and not any(chosen[ds].get(sampler)
                                              for ds in sets):
                continue
            lines.append(f"| {sampler}, {kind} | " + " | ".join(row)
                         + f" | {', '.join(times)} |")
    return lines + fixed_comparison(runs, sets)


def accuracy_head(title: str, text: str, sets: List[str]) -> List[str]:
    r"""A ``#`` title, a paragraph and the head of a table with one
    column per data set and a seconds-per-epoch column."""
    return [f"# {title}", "", text, "",
            "| sampler | " + " | ".join(sets) + " | s / epoch |",
            "|---" * (len(sets) + 2) + "|"]


def mvgrl_runs(name: str) -> Dict[tuple, List[dict]]:
    r"""The records of ``name``.json.gz by (sampler, data set, layers,
    batch)."""
    runs: Dict[tuple, List[dict]] = defaultdict(list)
    for r in load_records(os.path.join(RESULTS, f"{name}.json.gz")):
        key = (r["sampler"], r["dataset"], r["model_params"]["layers"],
               r["batch_size"])
        runs[key].append(r)
    return runs


def run_sets(runs: Dict[tuple, List[dict]]) -> List[str]:
    r"""The data sets of :obj:`MVGRL_SETS` that :obj:`runs` holds."""
    return [ds for ds in MVGRL_SETS if any(k[1] == ds for k in runs)]


def fixed_comparison(runs: Dict[tuple, List[dict]],
                     sets: List[str]) -> List[str]:
    r"""Paired differences from uniform and batch hardness at
    :obj:`FIXED`."""
    lines = ["", "Minus uniform, fixed configuration, paired by seed. "
             + PAIRED_NOTE, "", "| sampler | " + " | ".join(sets) + " |",
             "|---" * (len(sets) + 1) + "|"]
    for sampler in ("knn", "prosampler"):
        lines.append(f"| {sampler} | " + " | ".join(
            paired_cell(runs.get((sampler, ds) + FIXED, []),
                        runs.get(("uniform", ds) + FIXED, []))
            for ds in sets) + " |")
    lines += ["", "How hard the batches were, fixed configuration: "
              + HARDNESS_NOTE, "", "| sampler | " + " | ".join(sets) + " |",
              "|---" * (len(sets) + 1) + "|"]
    for sampler in ("uniform", "knn", "prosampler"):
        lines.append(f"| {sampler} | " + " | ".join(
            hardness_cell(runs.get((sampler, ds) + FIXED, []))
            for ds in sets) + " |")
    return lines


def mvgrl_infonce_table() -> List[str]:
    runs = mvgrl_runs("mvgrl_infonce")
    sets = run_sets(runs)
    lines = accuracy_head(
        "MVGRL, InfoNCE graph-graph variant, on TU",
        "The JSD runs' fixed configuration (`mvgrl_tu.md`: 4 layers, "
        "batch 128, 20 epochs, the same sampler knobs) with the loss "
        "swapped for InfoNCE between the two views' graph vectors "
        "(temperature 0.2, the other graphs of the batch as negatives). "
        "Accuracy % (10-fold linear SVM, mean ± std over the seeds), "
        "then seconds per epoch. Command: `LOSS=infonce "
        "OUT=benchmarks/results/mvgrl_infonce.json.gz bash "
        "benchmarks/mvgrl/run_mvgrl_tu.sh DATASET`. The paper reports no "
        "InfoNCE MVGRL row.", sets)
    for sampler in ("uniform", "knn", "prosampler"):
        row, times = [], []
        for ds in sets:
            found = runs.get((sampler, ds) + FIXED, [])
            row.append(cell([100 * r["accuracy"] for r in found]))
            if found:
                times.append(epoch_time_cell(ds, found))
        lines.append(f"| {sampler} | " + " | ".join(row)
                     + f" | {', '.join(times)} |")
    return lines + fixed_comparison(runs, sets)


def main() -> None:
    for name, make in (("mvgrl_tu", mvgrl_table),
                       ("mvgrl_infonce", mvgrl_infonce_table)):
        if not os.path.exists(os.path.join(RESULTS, f"{name}.json.gz")):
            continue
        with open(os.path.join(RESULTS, f"{name}.md"), "w") as f:
            f.write("\n".join(make()) + "\n")
        print(f"wrote {name}.md")


if __name__ == "__main__":
    main()
