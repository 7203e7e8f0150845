r"""What the benchmark scripts share: where the results live, the cells and
notes of the accuracy tables, the paper's GraphCL numbers, the records of
MVGRL's inner-validation grids, GraphCL's fixed samplers and the clustered
stand-in embeddings.

A script in ``benchmarks/<group>/`` puts ``benchmarks/`` on its path
before importing from here, so that it runs as
``python benchmarks/<group>/<script>.py`` from the repository root:

.. code-block:: python

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from common import RESULTS, paired_cell

No script imports another script; what two of them need lives here.
Torch and the library are imported where used, not with this module, so
that importing it adds nothing to a script's measured time or memory.
"""
from __future__ import annotations

import glob
import os
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Dict, List, Tuple

if TYPE_CHECKING:
    import torch

BENCH = os.path.dirname(os.path.abspath(__file__))  # benchmarks/
ROOT = os.path.dirname(BENCH)  # the repository
RESULTS = os.path.join(BENCH, "results")


def current(command: str) -> str:
    r"""A recorded command with its script pointed at the script's place
    now: records written before the scripts moved into topic folders say
    ``benchmarks/bench_pass.py``, the script is
    ``benchmarks/scale/bench_pass.py`` (the records stay as written)."""
    def move(m: re.Match) -> str:
        found = glob.glob(os.path.join(BENCH, "*", m.group(1)))
        return (f"benchmarks/{os.path.relpath(found[0], BENCH)}"
                if len(found) == 1 else m.group(0))
    return re.sub(r"benchmarks/([\w-]+\.(?:py|sh))\b", move, command)


# ------------------------------------------------------ accuracy tables
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
PAIRED_NOTE = ("Accuracy points, mean over the seeds both ran [95 % "
               "Student-t interval of the paired differences], then the "
               "seeds where the first is at or above the second; same "
               "seed = same initialisation and SVM folds.")
HARDNESS_NOTE = ("mean in-batch cosine of the embeddings fed to the "
                 "sampler / fraction of same-class pairs (the "
                 "false-negative proxy; labels used for this log only), "
                 "mean over epochs 2-20 (after the samplers' warm-up "
                 "epoch, uniform alike) and the seeds.")


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
    from pyg_prosampler.experiments.evaluate import paired_difference

    a, b = ({r["seed"]: 100 * r["accuracy"] for r in runs} for runs in (a, b))
    if not set(a) & set(b):
        return "–"
    r = paired_difference(a, b)
    if r["n"] == 1:  # no interval from one pair
        return f"{r['mean']:+.2f} (n=1)"
    return (f"{r['mean']:+.2f} [{r['low']:+.2f}, {r['high']:+.2f}] "
            f"({r['wins']}/{r['n']})")


def cell(values: List[float]) -> str:
    r"""Mean ± std of some accuracies as a table cell (n unless 5)."""
    from pyg_prosampler.experiments.evaluate import mean_std

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


def write_section(path: str, head: List[str], dataset: str,
                  lines: List[str]) -> None:
    r"""Writes :obj:`head` and one ``## dataset`` section per data set to
    :obj:`path`, replacing :obj:`dataset`'s section (:obj:`lines`) and
    keeping the others already there."""
    sections: Dict[str, List[str]] = {}
    if os.path.exists(path):
        for block in open(path).read().split("\n## ")[1:]:
            sections[block.split("\n", 1)[0]] = ["## " + block.rstrip()]
    sections[dataset] = lines
    with open(path, "w") as f:
        f.write("\n".join(head + ["\n".join(s) + "\n"
                                  for s in sections.values()]))
    print(f"wrote {path}")


# ------------------------------- MVGRL's inner-validation grids (records)
# select_mvgrl.py runs them, select_graphcl.py --method mvgrl sets
# ProSampler's chosen knobs against them, summarize_mvgrl.py tables them.
Config = Tuple[int, int]  # (layers, batch size)
Nested = Tuple[int, int, int]  # (layers, batch size, epochs)
MVGRL_SELECT = os.path.join(RESULTS, "mvgrl_select.json.gz")
NESTED_OUT = os.path.join(RESULTS, "mvgrl_nested.json.gz")
NESTED_SEEDS = [0, 1, 2, 3, 4]
LAYERS = [2, 4, 8]
MD_HEAD = ["# MVGRL layers and batch size chosen by inner validation", "",
           "Rule and grid: `benchmarks/mvgrl/select_mvgrl.py`. The "
           "configurations chosen for all folds are trained with 5 seeds in "
           "`mvgrl_tu.md`; the sections chosen per outer fold carry their "
           "own accuracy.", ""]


def config_of(record: dict) -> Config:
    return record["model_params"]["layers"], record["batch_size"]


def nested_config_of(record: dict) -> Nested:
    return (*config_of(record), record["epochs"])


def scores(dataset: str, seeds: List[int],
           records: List[dict] | None = None) -> Dict[tuple, List[float]]:
    r"""Inner accuracy of each (sampler, config) over the selection seeds,
    from :obj:`records` (default: those in ``mvgrl_select.json.gz``)."""
    from pyg_prosampler.experiments.results import load_records

    if records is None:
        records = load_records(MVGRL_SELECT)
    out: Dict[tuple, List[float]] = defaultdict(list)
    for r in records:
        if r["dataset"] == dataset and r["seed"] in seeds:
            out[r["sampler"], config_of(r)].append(r["inner_accuracy"])
    return out


def choose(found: Dict[tuple, List[float]], sampler: str,
           grid: List[Config]) -> Config:
    def key(c: Config) -> tuple:
        v = found[sampler, c]
        return (-sum(v) / len(v), c[0], -c[1])
    return min(grid, key=key)


def chosen_configs(dataset: str) -> Dict[str, Config]:
    r"""The choice per sampler among the configurations that
    ``mvgrl_select.json.gz`` holds for :obj:`dataset` with every selection
    seed found there (empty while nothing was run)."""
    from pyg_prosampler.experiments.results import load_records

    records = [r for r in load_records(MVGRL_SELECT)
               if r["dataset"] == dataset]
    seeds = sorted({r["seed"] for r in records})
    found = scores(dataset, seeds, records)
    out = {}
    for sampler in sorted({r["sampler"] for r in records}):
        grid = [c for (s, c), v in found.items()
                if s == sampler and len(v) == len(seeds)]
        if grid:
            out[sampler] = choose(found, sampler, grid)
    return out


def default_knobs(record: dict) -> bool:
    r"""Whether :obj:`record` ran the sampler knobs of ``run_mvgrl_tu.sh``
    (``mvgrl_nested.json.gz`` also holds ``select_graphcl.py --method
    mvgrl``'s ProSampler runs with other M and restart probabilities)."""
    p = record["sampler_params"]
    return (p.get("num_candidates", 1000) == 1000
            and p.get("restart_prob", 0.1) == 0.1)


def nested_by_seed(runs: Dict[tuple, Dict[int, dict]], grid: List[tuple],
                   seeds: List[int]) -> Tuple[List[dict], Dict[tuple, int]]:
    r"""Per seed, the accuracy with the configuration of :obj:`grid`
    chosen per outer fold
    (:func:`~pyg_prosampler.experiments.evaluate.nested_choice`
    over :obj:`runs`, ``{config: {seed: record}}``), as record-like
    ``{"seed", "accuracy"}`` dicts, and how often each was chosen."""
    from pyg_prosampler.experiments.evaluate import nested_choice

    chosen = {c: 0 for c in grid}
    selected = []
    for seed in seeds:
        group = [runs[c][seed] for c in grid]
        res = nested_choice([r["fold_inner_accuracies"] for r in group],
                            [r["fold_accuracies"] for r in group])
        for i in res["choices"]:
            chosen[grid[i]] += 1
        selected.append({"seed": seed, "accuracy": res["accuracy"]})
    return selected, chosen


def runs_by_config(records: List[dict], dataset: str, sampler: str,
                   grid: List[Nested]) -> Dict[Nested, Dict[int, dict]]:
    r""":obj:`sampler`'s runs of :obj:`dataset` in :obj:`records`, by
    configuration of :obj:`grid` (layers, batch size, epochs) and seed."""
    runs: Dict[Nested, Dict[int, dict]] = {c: {} for c in grid}
    for r in records:
        if (r["dataset"] == dataset and r["sampler"] == sampler
                and nested_config_of(r) in runs and default_knobs(r)):
            runs[nested_config_of(r)][r["seed"]] = r
    return runs


def nested_runs(records: List[dict], dataset: str, sampler: str,
                grid: List[Nested]) -> Tuple[List[dict], Dict[Nested, int]]:
    r""":func:`nested_by_seed` for :obj:`sampler`'s runs of
    :obj:`dataset` in :obj:`records`, seeds :obj:`NESTED_SEEDS`."""
    runs = runs_by_config(records, dataset, sampler, grid)
    missing = [(c, s) for c in grid for s in NESTED_SEEDS
               if s not in runs[c]]
    if missing:
        raise RuntimeError(f"{dataset} {sampler}: no run for (config, "
                           f"seed) {missing}; run the --nested command")
    return nested_by_seed(runs, grid, NESTED_SEEDS)


# ------------------------------------------------- samplers, embeddings
def fixed_sampler(name: str, num: int):
    r"""GraphCL's batch sampler :obj:`"uniform"` or :obj:`"prosampler"` at
    the fixed knobs of ``run_graphcl_tu.sh`` (batch 128, M = 1000,
    K = min(100, N - 1), restart 0.1, rebuilt every 100 steps, 1 warm-up
    epoch), seed 0."""
    from pyg_prosampler.samplers import (
        ProximityBatchSampler,
        UniformBatchSampler,
    )

    if name == "uniform":
        return UniformBatchSampler(num, 128, seed=0)
    return ProximityBatchSampler(
        num, 128, num_neighbors=min(100, num - 1), num_candidates=1000,
        restart_prob=0.1, refresh_every=100, warmup_epochs=1, seed=0)


def clustered(num: int, dim: int = 128, seed: int = 0,
              in_chunks: bool = False) -> torch.Tensor:
    r""":obj:`num` clustered embeddings, a stand-in for learned ones:
    ``num // 100`` Gaussian centres scaled 0.7, plus N(0, 0.5^2) noise,
    seeded.  :obj:`in_chunks` generates the same values in place, 2^18
    rows at a time, so that the generator's peak stays near the table's
    size (``bench_scale.py``'s recorded peaks include the one-shot
    generation)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(max(1, num // 100), dim, generator=g)
    label = torch.randint(centres.size(0), (num,), generator=g)
    if not in_chunks:
        return centres[label] * 0.7 + 0.5 * torch.randn(num, dim,
                                                        generator=g)
    z = torch.empty(num, dim)
    for lo in range(0, num, 1 << 18):
        hi = min(lo + (1 << 18), num)
        z[lo:hi] = centres[label[lo:hi]] * 0.7 + 0.5 * torch.randn(
            hi - lo, dim, generator=g)
    return z
