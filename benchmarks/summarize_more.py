r"""Markdown tables of the negatives, OGB, scale and DDP results.

    python benchmarks/summarize_more.py

Writes ``negatives_tu.md``, ``mvgrl_tu.md``, ``mvgrl_infonce.md``,
``ogb.md``, ``scale.md`` and ``ddp.md`` beside
their JSON files in ``benchmarks/results/`` (a table is skipped while its
JSON file does not exist).
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Dict, List, Tuple

from select_mvgrl import chosen_configs
from summarize_graphcl import (
    HARDNESS_NOTE,
    PAIRED_NOTE,
    hardness_cell,
    paired_cell,
)

from pyg_prosampler.evaluate import mean_std
from pyg_prosampler.results import load_records

HERE = os.path.join(os.path.dirname(__file__), "results")
TU_SETS = ["MUTAG", "PROTEINS", "IMDB-BINARY", "IMDB-MULTI", "NCI1"]
METHODS = [  # (label, sampler, negatives, ring pool)
    ("in-batch, uniform", "uniform", "inbatch", None),
    ("in-batch, ProSampler", "prosampler", "inbatch", None),
    ("Ring (bank), uniform", "uniform", "ring", "bank"),
    ("SogCLR, uniform", "uniform", "sogclr", None),
    ("EMC², uniform", "uniform", "emc2", None),
    ("ProSampler + Ring (in batch)", "prosampler", "ring", "batch"),
]
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


def cell(values: List[float]) -> str:
    if not values:
        return "–"
    m, s = mean_std(values)
    if len(values) == 1:  # no spread from one seed
        return f"{m:.2f} (n=1)"
    return f"{m:.2f}±{s:.2f}" + ("" if len(values) == 5 else
                                 f" (n={len(values)})")


def epoch_seconds(r: dict) -> float:
    r"""Training + sampling + rebuilding seconds per epoch of a record."""
    logs = r["epoch_logs"]
    return sum(e["train_seconds"] + e["sampling_seconds"]
               + e["rebuild_seconds"] for e in logs) / len(logs)


def epoch_time_cell(dataset: str, found: List[dict]) -> str:
    r"""``"DATASET seconds"``: the mean of :func:`epoch_seconds` over
    :obj:`found`."""
    v = [epoch_seconds(r) for r in found]
    return f"{dataset} {sum(v) / len(v):.1f}"


def method_of(r: dict) -> Tuple[str, str, object]:
    neg = r.get("negatives", "inbatch")
    pool = r.get("negatives_params", {}).get("pool") if neg == "ring" \
        else None
    return r["sampler"], neg, pool


def negatives_table() -> List[str]:
    records = load_records(os.path.join(HERE, "negatives_tu.json"))
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
             "on 2 cores). Commands: `benchmarks/run_negatives_tu.sh 128` "
             "and `... 32`.", ""]
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
        "defaults, 4 layers and batch 128 (`benchmarks/run_mvgrl_tu.sh "
        "DATASET`); *selected*: layers and batch chosen by inner "
        "validation, shown as [layers, batch] "
        "(`benchmarks/select_mvgrl.py --dataset DATASET`, grid in "
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
    r"""The records of ``name``.json by (sampler, data set, layers, batch)."""
    runs: Dict[tuple, List[dict]] = defaultdict(list)
    for r in load_records(os.path.join(HERE, f"{name}.json")):
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
        "OUT=benchmarks/results/mvgrl_infonce.json bash "
        "benchmarks/run_mvgrl_tu.sh DATASET`. The paper reports no "
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


def ogb_table() -> List[str]:
    records = load_records(os.path.join(HERE, "ogb.json"))
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
             "brackets). Command: `benchmarks/run_ogb.sh`.", "",
             "| sampler | " + " | ".join(
                 f"{ds} ({'/'.join(map(str, sorted(epochs[ds])))} epochs)"
                 for ds in sets) + " |",
             "|---" * (len(sets) + 1) + "|"]
    for sampler in ("uniform", "prosampler"):
        row = [f"{cell(test[(ds, sampler)])} ({cell(valid[(ds, sampler)])})"
               for ds in sets]
        lines.append(f"| {sampler} | " + " | ".join(row) + " |")
    return lines


def scale_table() -> List[str]:
    records = load_records(os.path.join(HERE, "scale.json"))
    lines = ["# Proximity graphs at scale (K = 10, d = 128)", "",
             "Build seconds, peak RSS of the process (GB, includes "
             "generating the embeddings) and recall@10 against the exact "
             "graph (100k only). Engines: exact = blocked matmul; "
             "candidates = the paper's graph, M = 1000 (by design not the "
             "kNN graph: its recall is ~M/N); faiss = IVF-Flat, "
             "nlist = 4 sqrt(N), nprobe = 16. Command: "
             "`python benchmarks/bench_scale.py`; measured beside other "
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
    with open(os.path.join(HERE, "ddp.json")) as f:
        r = json.load(f)
    return ["# 1 vs 2 processes (gloo), same seed", "",
            f"`{r['command']}`: N = {r['num']}, d = {r['dim']}, B = "
            f"{r['batch_size']}, {r['epochs']} epochs ({r['batches']} "
            f"global batches, ProSampler M = 1000, K = 100).", "",
            f"- identical global batches: **{r['identical_global_batches']}**",
            f"- single process: {r['single_process_seconds']:.1f} s; each "
            f"of 2 ranks: {max(r['rank_seconds']):.1f} s (both ranks "
            f"rebuild the same graph and share 2 cores with other jobs; "
            f"the point here is identity, not speed)",
            f"- machine: {r['machine']}"]


def main() -> None:
    for name, make in (("negatives_tu", negatives_table),
                       ("mvgrl_tu", mvgrl_table),
                       ("mvgrl_infonce", mvgrl_infonce_table),
                       ("ogb", ogb_table),
                       ("scale", scale_table), ("ddp", ddp_table)):
        if not os.path.exists(os.path.join(HERE, f"{name}.json")):
            continue
        with open(os.path.join(HERE, f"{name}.md"), "w") as f:
            f.write("\n".join(make()) + "\n")
        print(f"wrote {name}.md")


if __name__ == "__main__":
    main()
