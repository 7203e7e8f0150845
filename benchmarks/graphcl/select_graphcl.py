r"""ProSampler's knobs chosen by inner validation, nested in the outer
folds, for GraphCL (InfoNCE) or MVGRL (JSD), against uniform batches.

    python benchmarks/graphcl/select_graphcl.py --dataset IMDB-MULTI

The rule, fixed before any run: ProSampler is trained with every
configuration of the grid (candidates M x restart probability; the rest
as ``run_graphcl_tu.sh``) and uniform batches once, each with seeds 0-4,
into ``graphcl_select.json.gz`` (uniform's runs of ``graphcl_tu.json.gz``
are reused where it holds all five seeds: same command, deterministic).  For
each seed and each of its 10 outer folds, the configuration with the
highest inner accuracy on that fold's training split (the chosen C's
5-fold score) is scored on that fold's test split
(:func:`pyg_prosampler.experiments.evaluate.nested_choice`; ties go to the
configuration listed first, the grid being ordered from the mildest
batches, M = 100 being close to uniform, to the hardest).  The mean over
folds is that seed's accuracy, which is paired by seed with uniform's
(same seed = same initialisation and folds).  ``graphcl_select.md``
lists per configuration the mean inner and test accuracy and how often
it was chosen; the test column is shown, never used.  Every run resumes
where a previous call stopped.

    python benchmarks/graphcl/select_graphcl.py --method mvgrl \
        --dataset IMDB-MULTI --candidates 100 1000

The same rule for MVGRL at ``run_mvgrl_tu.sh``'s fixed architecture (4
layers, B = 128), with the runs in ``mvgrl_nested.json.gz`` beside
``select_mvgrl.py --nested``'s (whose uniform and default-knob runs at 4
layers are reused: same command) and the table in ``mvgrl_select.md``.
The grid was cut to the mildest and the hardest pool, M in {100, 1000},
when the first IMDB-M run took 7 minutes here (beside a REDDIT-B run); the
cut was for time, and that run's own accuracy had no part in it.

    python benchmarks/graphcl/select_graphcl.py --method mvgrl \
        --dataset IMDB-MULTI --candidates 100 1000 --layers 2 4 8

chooses MVGRL's layers and ProSampler's knobs together, per outer fold by
the same rule, over layers x M x restart probability (ordered by layers,
then as above, for ties), to set against uniform with its layers chosen
per fold (``select_mvgrl.py --nested``): both then choose everything but
B = 128 on the inner splits.  The runs at the default knobs come from
``select_mvgrl.py --nested`` (same command).

    python benchmarks/graphcl/select_graphcl.py --method mvgrl \
        --dataset MUTAG --candidates 100 1000 --layers 2 4 8 \
        --batch-sizes 32 128

chooses the batch size too (layers x B x M x restart probability, in
that order for ties), to set against uniform with its layers and batch
size chosen per fold (``select_mvgrl.py --nested``, which searches B in
{32, 128} on MUTAG): nothing but the epochs is then fixed for either.

    python benchmarks/graphcl/select_graphcl.py --dataset IMDB-MULTI \
        --seeds 5 6 7 8 9

applies the GraphCL rule to other seeds, in a section of their own; the
uniform runs then come from ``graphcl_more_seeds.json.gz`` (same
command).
``--run-only`` runs what is missing and writes no table, so that two
queues can split the seeds of one data set.
"""
from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

from pyg_prosampler.experiments.evaluate import mean_std
from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import (
    BENCH,
    HARDNESS_NOTE,
    LAYERS,
    MD_HEAD,
    NESTED_OUT,
    RESULTS,
    hardness_cell,
    nested_by_seed,
    nested_runs,
    paired_cell,
    write_section,
)

SEEDS = [0, 1, 2, 3, 4]  # the default; --seeds runs others
# (candidates M, restart probability), preceded by the layers where they
# are chosen too, and by (layers, batch size) where both are
Config = Tuple[float, ...]
FIELDS = {2: ("M", "restart prob."), 3: ("layers", "M", "restart prob."),
          4: ("layers", "B", "M", "restart prob.")}


def chooses_layers(grid: List[Config]) -> bool:
    r"""Whether :obj:`grid`'s configurations include the layers."""
    return bool(grid) and "layers" in FIELDS[len(grid[0])]


def chooses_batch(grid: List[Config]) -> bool:
    r"""Whether :obj:`grid`'s configurations include the batch size."""
    return bool(grid) and "B" in FIELDS[len(grid[0])]


class Method(NamedTuple):
    script: List[str]  # run script (under benchmarks/), mode argument(s)
    loss: str
    layers: int | None  # the architecture the grid is run at (None: any)
    out: str  # where the grid's runs go
    uniform_from: List[str]  # files searched for uniform's runs, in order
    markdown: str
    head: List[str]  # the Markdown file's head
    section: str  # its section heading, "{}" = the data set


METHODS = {
    "graphcl": Method(
        ["graphcl/run_graphcl_tu.sh", "infonce"], "infonce", None,
        os.path.join(RESULTS, "graphcl_select.json.gz"),
        [os.path.join(RESULTS, f) for f in ("graphcl_select.json.gz",
                                            "graphcl_tu.json.gz",
                                            "graphcl_more_seeds.json.gz")],
        os.path.join(RESULTS, "graphcl_select.md"),
        ["# GraphCL: ProSampler's knobs chosen per outer fold by inner "
         "validation", "", "Rule and grid: "
         "`benchmarks/graphcl/select_graphcl.py`. "
         "Paired cell: mean difference in points [95 % Student-t interval] "
         "(seeds at or above uniform / seeds).", ""], "{}"),
    "mvgrl": Method(
        ["mvgrl/run_mvgrl_tu.sh"], "jsd", 4, NESTED_OUT,
        [NESTED_OUT, os.path.join(RESULTS, "mvgrl_tu.json.gz")],
        os.path.join(RESULTS, "mvgrl_select.md"), MD_HEAD,
        "{}, ProSampler's knobs chosen per outer fold (4 layers, B=128)"),
}


def run(method: Method, dataset: str, sampler: str,
        config: Config | None, seeds: List[int]) -> None:
    env = {**os.environ, "OUT": method.out,
           "SEEDS": " ".join(map(str, seeds)), "SAMPLERS": sampler}
    if config is not None:
        env.update(CANDIDATES=str(config[-2]), RESTART=str(config[-1]))
        if chooses_layers([config]):
            env.update(LAYERS=str(config[0]))
        if chooses_batch([config]):
            env.update(BATCH=str(config[1]))
    subprocess.run(["bash", os.path.join(BENCH, method.script[0]),
                    *method.script[1:], dataset], env=env, check=True)


def runs_by_config(method: Method, records: List[dict], dataset: str,
                   grid: List[Config]) -> Tuple[Dict[Config, dict], dict]:
    r"""ProSampler's runs as ``{config: {seed: record}}`` and uniform's
    as ``{seed: record}``, for :obj:`dataset`'s runs with
    :obj:`method`'s loss and architecture (any layers where the grid
    chooses them: they are then part of the configuration, and uniform's
    runs are not collected), and any batch size where it chooses that."""
    joint, batch = chooses_layers(grid), chooses_batch(grid)
    pro: Dict[Config, dict] = {c: {} for c in grid}
    uniform: dict = {}
    for r in records:
        layers = r.get("model_params", {}).get("layers")
        if (r["dataset"] != dataset or r["loss"] != method.loss
                or not (batch or r["batch_size"] == 128)
                or not (joint or method.layers in (None, layers))):
            continue
        if r["sampler"] == "uniform" and not joint:
            uniform[r["seed"]] = r
        elif r["sampler"] == "prosampler":
            p = r["sampler_params"]
            config = (p["num_candidates"], p["restart_prob"])
            if batch:
                config = (layers, r["batch_size"], *config)
            elif joint:
                config = (layers, *config)
            if config in pro:
                pro[config][r["seed"]] = r
    return pro, uniform


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--method", choices=sorted(METHODS), default="graphcl")
    p.add_argument("--dataset", default="IMDB-MULTI")
    p.add_argument("--candidates", type=int, nargs="+",
                   default=[100, 300, 1000])
    p.add_argument("--restart-probs", type=float, nargs="+",
                   default=[0.1, 0.5])
    p.add_argument("--layers", type=int, nargs="+",
                   help="MVGRL only: choose the layers among these too")
    p.add_argument("--batch-sizes", type=int, nargs="+",
                   help="MVGRL with --layers only: choose the batch size "
                        "among these too")
    p.add_argument("--seeds", type=int, nargs="+", default=SEEDS,
                   help="GraphCL only: seeds other than 0-4 get a section "
                        "of their own")
    p.add_argument("--run-only", action="store_true",
                   help="only run what is missing, write no table (e.g. "
                        "two queues splitting the seeds)")
    args = p.parse_args()
    method = METHODS[args.method]
    if args.seeds != SEEDS and method.layers is not None:
        p.error("--seeds is for --method graphcl: MVGRL's comparisons "
                "with uniform's chosen depth cover seeds 0-4")
    if args.layers is not None and method.layers is None:
        p.error(f"--layers is for a method with a fixed architecture "
                f"({[m for m, v in METHODS.items() if v.layers]}), not "
                f"{args.method}")
    if args.batch_sizes is not None and args.layers is None:
        p.error("--batch-sizes needs --layers: the batch size is chosen "
                "together with the layers")
    grid = list(itertools.product(args.candidates, args.restart_probs))
    if args.batch_sizes is not None:
        grid = [(layers, b, *c) for layers in args.layers
                for b in args.batch_sizes for c in grid]
    elif args.layers is not None:
        grid = [(layers, *c) for layers in args.layers for c in grid]
    seeds = args.seeds
    if set(uniform_runs(method, args.dataset, seeds)) != set(seeds):
        run(method, args.dataset, "uniform", None, seeds)
    for config in grid:
        run(method, args.dataset, "prosampler", config, seeds)
    if args.run_only:
        return
    pro, _ = runs_by_config(method, load_records(method.out), args.dataset,
                            grid)
    command = "python benchmarks/graphcl/select_graphcl.py"
    if args.method != "graphcl":
        command += f" --method {args.method}"
    command += f" --dataset {args.dataset}"
    for flag in ("candidates", "restart_probs", "layers", "batch_sizes",
                 "seeds"):
        values = getattr(args, flag)
        if values != p.get_default(flag):
            command += f" --{flag.replace('_', '-')} " + " ".join(
                map(str, values))
    write_markdown(method, command, args.dataset, grid, pro,
                   uniform_runs(method, args.dataset, seeds), seeds)


def uniform_runs(method: Method, dataset: str, seeds: List[int]) -> dict:
    r"""Uniform's runs as ``{seed: record}``, each seed's from the first of
    :obj:`method`'s ``uniform_from`` files that holds it (e.g.
    ``graphcl_select.json.gz``, else ``graphcl_tu.json.gz``, else
    ``graphcl_more_seeds.json.gz``: the same command; only the per-seed
    accuracy is used); empty unless every seed is found."""
    found: dict = {}
    for path in method.uniform_from:
        _, uniform = runs_by_config(method, load_records(path), dataset, [])
        for seed in seeds:
            if seed in uniform:
                found.setdefault(seed, uniform[seed])
    return found if set(found) == set(seeds) else {}


def write_markdown(method: Method, command: str, dataset: str,
                   grid: List[Config], pro: Dict[Config, dict],
                   uniform: dict, seeds: List[int]) -> None:
    selected, chosen = nested_by_seed(pro, grid, seeds)
    folds = sum(chosen.values())
    joint, batch = chooses_layers(grid), chooses_batch(grid)
    what = ("layers, batch size and knobs" if batch
            else "layers and knobs" if joint else "knobs")
    section = method.section.format(dataset)
    if batch:
        section = f"{dataset}, MVGRL's layers and batch size and " \
                  f"ProSampler's knobs chosen per outer fold"
    elif joint:
        section = f"{dataset}, MVGRL's layers and ProSampler's knobs " \
                  f"chosen per outer fold (B=128)"
    if seeds != SEEDS:
        section += f", seeds {' '.join(map(str, seeds))}"
    lines = [f"## {section}", "",
             f"Command: `{command}`. Accuracy %, mean over seeds "
             f"{', '.join(map(str, seeds))}.", "",
             f"| ProSampler {', '.join(FIELDS[len(grid[0])])} "
             "| inner accuracy | test accuracy (not used) | batches: cosine "
             "/ same-class | chosen in folds |", "|---|---|---|---|---|"]
    for c in grid:
        runs = [pro[c][seed] for seed in seeds]
        inner = 100 * sum(r["inner_accuracy"] for r in runs) / len(runs)
        test = 100 * sum(r["accuracy"] for r in runs) / len(runs)
        lines.append(f"| {', '.join(map(str, c))} | {inner:.2f} | "
                     f"{test:.2f} | {hardness_cell(runs)} | "
                     f"{chosen[c]}/{folds} |")
    m_sel, s_sel = mean_std([100 * r["accuracy"] for r in selected])
    m_uni, s_uni = mean_std([100 * r["accuracy"]
                             for r in uniform.values()])
    at = (f" at {method.layers} layers, B=128" if batch
          else f" at {method.layers} layers" if joint else "")
    lines += ["", f"- ProSampler, {what} chosen per fold: "
                  f"{m_sel:.2f} ± {s_sel:.2f}",
              f"- uniform{at}: {m_uni:.2f} ± {s_uni:.2f} (batches: "
              f"{hardness_cell(list(uniform.values()))})",
              f"- chosen minus uniform{at}, paired by seed: "
              f"{paired_cell(selected, list(uniform.values()))}"]
    if method.layers is not None:
        batch_sizes = sorted({c[1] for c in grid}) if batch else [128]
        lines += uniform_depth_chosen(dataset, selected, what, batch_sizes)
    lines += ["", "Batches: " + HARDNESS_NOTE]
    write_section(method.markdown, method.head, section, lines)


def uniform_depth_chosen(dataset: str, selected: List[dict], what: str,
                         batch_sizes: List[int]) -> List[str]:
    r"""MVGRL only: bullets comparing :obj:`selected` with uniform batches
    whose layers {2, 4, 8} (and batch size, where :obj:`batch_sizes` holds
    several) are chosen per fold (``select_mvgrl.py --nested``), uniform's
    best use of the same inner splits; none where those runs are
    missing."""
    grid = [(layers, b, 20) for layers in LAYERS for b in batch_sizes]
    chosen = "layers" if len(batch_sizes) == 1 else "layers and batch size"
    try:
        depth, _ = nested_runs(load_records(NESTED_OUT), dataset, "uniform",
                               grid)
    except RuntimeError:
        return []
    m, sd = mean_std([100 * r["accuracy"] for r in depth])
    return [f"- uniform, {chosen} chosen per fold (`select_mvgrl.py "
            f"--nested`): {m:.2f} ± {sd:.2f}",
            f"- {what} chosen minus uniform with its {chosen} chosen, "
            f"paired by seed: {paired_cell(selected, depth)}"]


if __name__ == "__main__":
    main()
