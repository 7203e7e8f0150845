r"""ProSampler's knobs chosen by inner validation, nested in the outer
folds, for GraphCL (InfoNCE), against uniform batches.

    python benchmarks/select_graphcl.py --dataset IMDB-MULTI

The rule, fixed before any run: ProSampler is trained with every
configuration of the grid (candidates M x restart probability; the rest
as ``run_graphcl_tu.sh``) and uniform batches once, each with seeds 0-4,
into ``graphcl_select.json`` (uniform's runs of ``graphcl_tu.json`` are
reused where it holds all five seeds: same command, deterministic).  For
each seed and each of its 10 outer folds, the configuration with the
highest inner accuracy on that fold's training split (the chosen C's
5-fold score) is scored on that fold's test split
(:func:`pyg_prosampler.evaluate.nested_choice`; ties go to the
configuration listed first, the grid being ordered from the mildest
batches, M = 100 being close to uniform, to the hardest).  The mean over
folds is that seed's accuracy, which is paired by seed with uniform's
(same seed = same initialisation and folds).  ``graphcl_select.md``
lists per configuration the mean inner and test accuracy and how often
it was chosen; the test column is shown, never used.  Every run resumes
where a previous call stopped.
"""
from __future__ import annotations

import argparse
import itertools
import os
import subprocess
from typing import Dict, List, Tuple

from select_mvgrl import nested_by_seed, write_section
from summarize_graphcl import paired_cell

from pyg_prosampler.evaluate import mean_std
from pyg_prosampler.results import load_records

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
OUT = os.path.join(RESULTS, "graphcl_select.json")
SEEDS = [0, 1, 2, 3, 4]
Config = Tuple[int, float]  # (candidates M, restart probability)


def run(dataset: str, sampler: str, config: Config | None) -> None:
    env = {**os.environ, "OUT": OUT, "SEEDS": " ".join(map(str, SEEDS)),
           "SAMPLERS": sampler}
    if config is not None:
        env.update(CANDIDATES=str(config[0]), RESTART=str(config[1]))
    subprocess.run(["bash", os.path.join(HERE, "run_graphcl_tu.sh"),
                    "infonce", dataset], env=env, check=True)


def runs_by_config(records: List[dict], dataset: str,
                   grid: List[Config]) -> Tuple[Dict[Config, dict], dict]:
    r"""ProSampler's runs as ``{config: {seed: record}}`` and uniform's
    as ``{seed: record}``, for :obj:`dataset`'s InfoNCE runs."""
    pro: Dict[Config, dict] = {c: {} for c in grid}
    uniform: dict = {}
    for r in records:
        if r["dataset"] != dataset or r["loss"] != "infonce":
            continue
        if r["sampler"] == "uniform":
            uniform[r["seed"]] = r
        elif r["sampler"] == "prosampler":
            p = r["sampler_params"]
            config = (p["num_candidates"], p["restart_prob"])
            if config in pro:
                pro[config][r["seed"]] = r
    return pro, uniform


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default="IMDB-MULTI")
    p.add_argument("--candidates", type=int, nargs="+",
                   default=[100, 300, 1000])
    p.add_argument("--restart-probs", type=float, nargs="+",
                   default=[0.1, 0.5])
    args = p.parse_args()
    grid = list(itertools.product(args.candidates, args.restart_probs))
    if set(uniform_runs(args.dataset)) != set(SEEDS):
        run(args.dataset, "uniform", None)
    for config in grid:
        run(args.dataset, "prosampler", config)
    pro, _ = runs_by_config(load_records(OUT), args.dataset, grid)
    command = f"python benchmarks/select_graphcl.py --dataset {args.dataset}"
    for flag in ("candidates", "restart_probs"):
        values = getattr(args, flag)
        if values != p.get_default(flag):
            command += f" --{flag.replace('_', '-')} " + " ".join(
                map(str, values))
    write_markdown(command, args.dataset, grid, pro,
                   uniform_runs(args.dataset))


def uniform_runs(dataset: str) -> dict:
    r"""Uniform's InfoNCE runs as ``{seed: record}``: those of
    ``graphcl_select.json``, else those of ``graphcl_tu.json`` (the same
    command; only the per-seed accuracy is used)."""
    for path in (OUT, os.path.join(RESULTS, "graphcl_tu.json")):
        _, uniform = runs_by_config(load_records(path), dataset, [])
        if set(uniform) >= set(SEEDS):
            return {s: uniform[s] for s in SEEDS}
    return {}


def write_markdown(command: str, dataset: str, grid: List[Config],
                   pro: Dict[Config, dict], uniform: dict) -> None:
    selected, chosen = nested_by_seed(pro, grid, SEEDS)
    folds = sum(chosen.values())
    lines = [f"## {dataset}", "",
             f"Command: `{command}`. Accuracy %, mean over seeds "
             f"{', '.join(map(str, SEEDS))}.", "",
             "| ProSampler M, restart prob. | inner accuracy | test "
             "accuracy (not used) | chosen in folds |", "|---|---|---|---|"]
    for c in grid:
        runs = list(pro[c].values())
        inner = 100 * sum(r["inner_accuracy"] for r in runs) / len(runs)
        test = 100 * sum(r["accuracy"] for r in runs) / len(runs)
        lines.append(f"| {c[0]}, {c[1]} | {inner:.2f} | {test:.2f} | "
                     f"{chosen[c]}/{folds} |")
    m_sel, s_sel = mean_std([100 * r["accuracy"] for r in selected])
    m_uni, s_uni = mean_std([100 * r["accuracy"]
                             for r in uniform.values()])
    lines += ["", f"- ProSampler, knobs chosen per fold: "
                  f"{m_sel:.2f} ± {s_sel:.2f}",
              f"- uniform: {m_uni:.2f} ± {s_uni:.2f}",
              f"- chosen minus uniform, paired by seed: "
              f"{paired_cell(selected, list(uniform.values()))}"]
    write_section(os.path.join(RESULTS, "graphcl_select.md"),
                  ["# GraphCL: ProSampler's knobs chosen per outer fold by "
                   "inner validation", "",
                   "Rule and grid: `benchmarks/select_graphcl.py`. "
                   "Paired cell: mean difference in points [95 % Student-t "
                   "interval] (seeds at or above uniform / seeds).", ""],
                  dataset, lines)


if __name__ == "__main__":
    main()
