r"""Markdown table of benchmarks/results/graphcl_tu.json.gz beside the
paper's numbers (REFERENCE section 3), with epoch times, and a PNG of the
curves.

    python benchmarks/graphcl/summarize_graphcl.py
"""
from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

from pyg_prosampler.experiments.evaluate import mean_std
from pyg_prosampler.experiments.plots import plot_results
from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import (
    HARDNESS_NOTE,
    PAIRED_NOTE,
    PAPER,
    RESULTS,
    SETS,
    SHORT,
    hardness_cell,
    paired_cell,
)

NAMES = {"infonce": "GraphCL", "dcl": "DCL", "hcl": "HCL"}


def label(sampler: str, loss: str) -> str:
    return NAMES[loss] + ("" if sampler == "uniform" else f" + {sampler}")


def main(path: str = os.path.join(RESULTS, "graphcl_tu.json.gz")) -> None:
    records = load_records(path)
    runs = defaultdict(list)
    times = defaultdict(list)
    for r in records:
        key = (r["sampler"], r["loss"], r["dataset"])
        runs[key].append(r)
        logs = r["epoch_logs"]
        times[key].append((
            sum(e["train_seconds"] for e in logs) / len(logs),
            sum(e["sampling_seconds"] for e in logs) / len(logs),
            sum(e["rebuild_seconds"] for e in logs) / len(logs),
            sum(e["collate_seconds"] for e in logs) / len(logs)))
    lines = ["# GraphCL on TU benchmarks: ours vs the paper", "",
             "Accuracy % (mean ± std over seeds, 10-fold SVC; n = seeds "
             "run). *paper* rows: REFERENCE §3.", "",
             "| method | " + " | ".join(SHORT) + " |",
             "|---" * (len(SETS) + 1) + "|"]
    for (sampler, loss), paper in PAPER.items():
        name = label(sampler, loss)
        ours = []
        for ds in SETS:
            accs = [100 * r["accuracy"] for r in runs[(sampler, loss, ds)]]
            if accs:
                m, s = mean_std(accs)
                ours.append(f"{m:.2f}±{s:.2f} (n={len(accs)})")
            else:
                ours.append("–")
        lines.append(f"| {name} (ours) | " + " | ".join(ours) + " |")
        lines.append(f"| {name} *paper* | " + " | ".join(
            f"{m:.2f}±{s:.2f}" for m, s in paper) + " |")
    lines += ["", "ProSampler minus uniform, paired by seed. " + PAIRED_NOTE,
              "", "| loss | " + " | ".join(SHORT) + " |",
              "|---" * (len(SETS) + 1) + "|"]
    for loss in NAMES:
        lines.append(f"| {NAMES[loss]} | " + " | ".join(
            paired_cell(runs[("prosampler", loss, ds)],
                        runs[("uniform", loss, ds)])
            for ds in SETS) + " |")
    lines += ["", "How hard the batches were: " + HARDNESS_NOTE, "",
              "| method | " + " | ".join(SHORT) + " |",
              "|---" * (len(SETS) + 1) + "|"]
    for sampler, loss in PAPER:
        lines.append(f"| {label(sampler, loss)} | " + " | ".join(
            hardness_cell(runs[(sampler, loss, ds)]) for ds in SETS) + " |")
    lines += ["", "Seconds per epoch (mean over seeds and all epochs, "
              "the warm-up included): training / sampling / graph "
              "rebuilding / collation; overhead = (sampling + rebuilding) / "
              "uniform's whole epoch (the four summed), and in brackets / "
              "uniform's training seconds alone.", "",
              "| data set | sampler | loss | train | sampling | rebuild | "
              "collate | overhead |", "|---|---|---|---|---|---|---|---|"]
    for ds in SETS:
        for (sampler, loss) in PAPER:
            t = times.get((sampler, loss, ds))
            if not t:
                continue
            tr, sa, rb, co = (sum(x[i] for x in t) / len(t)
                              for i in range(4))
            base = times.get(("uniform", loss, ds))
            over = ""
            if base:
                whole = sum(sum(x) for x in base) / len(base)
                train = sum(x[0] for x in base) / len(base)
                over = (f"{100 * (sa + rb) / whole:.1f} % "
                        f"({100 * (sa + rb) / train:.1f} %)")
            lines.append(f"| {ds} | {sampler} | {loss} | {tr:.2f} | "
                         f"{sa:.3f} | {rb:.3f} | {co:.2f} | {over} |")
    stem = path.removesuffix(".gz").removesuffix(".json")
    out = stem + ".md"
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    plot_results(path, stem + ".png")
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:])
