r"""Markdown table of benchmarks/results/graphcl_tu.json beside the paper's
numbers (REFERENCE section 3), with epoch times, and a PNG of the curves.

    python benchmarks/summarize_graphcl.py
"""
from __future__ import annotations

import os
import sys
from collections import defaultdict

from pyg_prosampler.evaluate import mean_std, paired_difference
from pyg_prosampler.plots import plot_results
from pyg_prosampler.results import load_records

HERE = os.path.join(os.path.dirname(__file__), "results")
SETS = ["IMDB-BINARY", "IMDB-MULTI", "COLLAB", "REDDIT-BINARY", "PROTEINS",
        "MUTAG", "NCI1"]
SHORT = ["IMDB-B", "IMDB-M", "COLLAB", "REDDIT-B", "PROTEINS", "MUTAG",
         "NCI1"]
PAPER = {  # REFERENCE.md section 3, accuracy %, mean ± std over 5 seeds
    ("uniform", "infonce"): [(70.90, .53), (48.48, .38), (70.62, .23),
                             (90.54, .25), (74.39, .45), (86.80, 1.34),
                             (77.87, .41)],
    ("knn", "infonce"): [(70.72, .35), (47.97, .97), (70.59, .14),
                         (90.21, .74), (74.17, .41), (86.46, .82),
                         (77.27, .37)],
    ("prosampler", "infonce"): [(71.90, .46), (48.93, .28), (71.48, .28),
                                (90.88, .16), (75.04, .67), (87.78, .93),
                                (78.93, .38)],
    ("uniform", "dcl"): [(71.07, .36), (48.93, .32), (71.06, .51),
                         (90.66, .29), (74.64, .48), (88.09, .93),
                         (78.49, .48)],
    ("prosampler", "dcl"): [(71.32, .17), (48.96, .25), (70.44, .35),
                            (90.73, .34), (75.02, .61), (89.47, 1.43),
                            (79.03, .32)],
    ("uniform", "hcl"): [(71.24, .36), (48.54, .51), (71.03, .45),
                         (90.40, .42), (74.69, .42), (87.79, 1.10),
                         (78.83, .67)],
    ("prosampler", "hcl"): [(71.20, .38), (48.76, .39), (71.70, .35),
                            (91.25, .25), (75.11, .63), (88.31, 1.29),
                            (79.17, .27)],
}
NAMES = {"infonce": "GraphCL", "dcl": "DCL", "hcl": "HCL"}
PAIRED_NOTE = ("Accuracy points, mean over the seeds both ran [95 % "
               "Student-t interval of the paired differences], then the "
               "seeds where the first is at or above the second; same "
               "seed = same initialisation and SVM folds.")
HARDNESS_NOTE = ("mean in-batch cosine of the embeddings fed to the "
                 "sampler / fraction of same-class pairs (the "
                 "false-negative proxy; labels used for this log only), "
                 "mean over epochs 2-20 (after the samplers' warm-up "
                 "epoch, uniform alike) and the seeds.")


def label(sampler: str, loss: str) -> str:
    return NAMES[loss] + ("" if sampler == "uniform" else f" + {sampler}")


def hardness_cell(records: list) -> str:
    r"""Mean cosine / same-class fraction of some runs' epoch logs, the
    first (warm-up) epoch left out, as a table cell."""
    if not records:
        return "–"
    logs = [e for r in records for e in r["epoch_logs"][1:]]
    return (f"{sum(e['mean_cosine'] for e in logs) / len(logs):.3f} / "
            f"{sum(e['same_class'] for e in logs) / len(logs):.3f}")


def paired_cell(a: list, b: list) -> str:
    r"""``paired_difference`` of two methods' runs (records), accuracy in
    points, as a table cell."""
    a, b = ({r["seed"]: 100 * r["accuracy"] for r in runs} for runs in (a, b))
    if not set(a) & set(b):
        return "–"
    r = paired_difference(a, b)
    if r["n"] == 1:  # no interval from one pair
        return f"{r['mean']:+.2f} (n=1)"
    return (f"{r['mean']:+.2f} [{r['low']:+.2f}, {r['high']:+.2f}] "
            f"({r['wins']}/{r['n']})")


def main(path: str = os.path.join(HERE, "graphcl_tu.json")) -> None:
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
    out = path.replace(".json", ".md")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    plot_results(path, path.replace(".json", ".png"))
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:])
