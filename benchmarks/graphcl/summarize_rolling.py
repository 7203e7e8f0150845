r"""Tables of rolling refresh against full rebuilds: ``rolling.md`` from
``rolling_graphcl.json`` (GraphCL on TU sets,
``benchmarks/graphcl/run_rolling_graphcl.sh``) and ``rolling.json`` (the
labelled mixture, ``benchmarks/scale/bench_rolling.py``).

    python benchmarks/graphcl/summarize_rolling.py
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from pyg_prosampler.experiments.evaluate import mean_std, paired_difference
from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, current, hardness_cell, paired_cell


def refresh_of(record: dict) -> str:
    r"""A record's refresh mode (records without the key were full)."""
    return record["sampler_params"].get("refresh", "full")


def graphcl_lines(records: list) -> list:
    lines = [
        "## GraphCL (`rolling_graphcl.json`)", "",
        "Command: `bash benchmarks/graphcl/run_rolling_graphcl.sh PROTEINS "
        "NCI1` "
        "(passes of ceil(N/B), B = 128, M = 1000, K = 100, restart 0.1, a "
        "refresh every 5 batches, 20 epochs, 1 thread; then "
        "`python benchmarks/graphcl/summarize_rolling.py`).", "",
        "| data set | rolling | full | rolling - full, paired by seed | "
        "hardness rolling (cos / same class) | hardness full |",
        "|---|---|---|---|---|---|"]
    for ds in dict.fromkeys(r["dataset"] for r in records):
        runs = {m: [r for r in records if r["dataset"] == ds
                    and refresh_of(r) == m] for m in ("rolling", "full")}
        cells = []
        for m in ("rolling", "full"):
            acc = [100 * r["accuracy"] for r in runs[m]]
            mean, std = mean_std(acc) if acc else (float("nan"), 0.0)
            cells.append(f"{mean:.2f}±{std:.2f} (n={len(acc)})")
        lines.append(f"| {ds} | {cells[0]} | {cells[1]} | "
                     f"{paired_cell(runs['rolling'], runs['full'])} | "
                     f"{hardness_cell(runs['rolling'])} | "
                     f"{hardness_cell(runs['full'])} |")
    return lines


def mixture_lines(table: dict) -> list:
    rows = table["rows"]
    lines = [
        "## Labelled mixture (`rolling.json`)", "",
        f"Command: `{current(table['command'])}`  ",
        f"Machine: {table['machine']}",
        "",
        f"The table moves from noise to a {rows[0].get('classes', 100)}-"
        "class mixture as batches feed "
        "it back; last of 4 passes, B = 256, M = 1000, K = 100, restart "
        "0.1, refresh every 100 batches; mean over seeds, and rolling - "
        "full paired by seed.", "",
        "| N | refresh | in-batch cosine | same-class fraction | "
        "sampler seconds (4 passes) |", "|---|---|---|---|---|"]
    for num in sorted({r["num"] for r in rows}):
        by = {m: [r for r in rows if r["num"] == num and r["mode"] == m]
              for m in ("uniform", "full", "rolling")}
        for mode, runs in by.items():
            if not runs:
                continue
            cos = sum(r["mean_cosine"] for r in runs) / len(runs)
            same = sum(r["same_class"] for r in runs) / len(runs)
            sec = sum(r["sampler_seconds"] for r in runs) / len(runs)
            lines.append(f"| {num:,} | {mode} | {cos:.4f} | {same:.4f} | "
                         f"{sec:.1f} |")
        for key in ("mean_cosine", "same_class"):
            d = paired_difference({r["seed"]: r[key] for r in by["rolling"]},
                                  {r["seed"]: r[key] for r in by["full"]})
            lines.append(f"| {num:,} | rolling - full, {key} | "
                         f"{d['mean']:+.4f} [{d['low']:+.4f}, "
                         f"{d['high']:+.4f}] | | |")
    return lines


def main() -> None:
    lines = ["# Rolling refresh against full rebuilds", ""]
    path = os.path.join(RESULTS, "rolling_graphcl.json")
    if os.path.exists(path):
        lines += graphcl_lines(load_records(path)) + [""]
    path = os.path.join(RESULTS, "rolling.json")
    if os.path.exists(path):
        with open(path) as f:
            lines += mixture_lines(json.load(f))
    with open(os.path.join(RESULTS, "rolling.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
