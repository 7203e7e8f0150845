r"""Chooses MVGRL's layers and batch size by inner validation, then trains
the choice with 5 seeds.

    python benchmarks/mvgrl/select_mvgrl.py --dataset MUTAG

The rule, fixed before any run: for each sampler, train every
configuration of the grid (layers x batch size; hidden 512, 20 epochs
and the rest as ``run_mvgrl_tu.sh``) with the selection seeds into
``mvgrl_select.json.gz``.  A run's score is its ``inner_accuracy``: the mean
over the 10 outer folds of the chosen C's 5-fold cross-validation
accuracy on that fold's training graphs.  The configuration with the
highest mean score over the selection seeds wins (ties: fewer layers,
then the larger batch).  Each fold's score sees only its training split,
but one choice for all folds from the mean over folds lets every graph's
label in (each graph lies in nine folds' training splits), and the
selection seeds are two of the five reported: the selected rows are
optimistic by construction.  ``select_graphcl.py`` nests the choice in
the outer folds instead.  The winner is then trained with seeds 0-4 into
``mvgrl_tu.json.gz`` (records already there are reused) and
``mvgrl_select.md`` lists the grid's scores and the choices.  Every step
resumes where a previous call stopped.

    python benchmarks/mvgrl/select_mvgrl.py --dataset MUTAG --nested

The nested rule instead, as ``select_graphcl.py``: every configuration
is trained with seeds 0-4 into ``mvgrl_nested.json.gz`` (its own file: the
runs above predate the per-fold scores it needs), and in each seed's
every outer fold the configuration with the highest inner accuracy on
that fold's training split is scored on that fold's test split
(:func:`pyg_prosampler.experiments.evaluate.nested_choice`; ties to the grid's
first, fewer layers then the smaller batch).  Each sampler gets its own
choices; the samplers are compared paired by seed.  Beyond MUTAG the grid
is cut, before any run, to the paper's batch size for CPU time (3 layer
counts x 2 samplers x 5 seeds at 2-4 minutes each on IMDB-BINARY):

    python benchmarks/mvgrl/select_mvgrl.py --dataset IMDB-BINARY --nested \
        --batch-sizes 128 --samplers uniform prosampler

The epochs are chosen per fold too with ``--epochs`` (MVGRL
grid-searched them, REFERENCE section 2).  Per layer count and seed,
one run as long as the longest of the grid's epochs not recorded yet is
evaluated after each shorter one on the way (``--eval-epochs``: the
same training as the shorter runs) into ``mvgrl_epochs.json.gz``; runs of
20 epochs already in ``mvgrl_nested.json.gz`` are reused, and any recorded
in both files must agree (checked in the table's section).  The grid,
fixed before any run: 10, 20 and 40 epochs on MUTAG; 10 and 20 on
IMDB-BINARY, IMDB-MULTI and PROTEINS (40 would double their 2-10 minute
runs), all at B = 128:

    python benchmarks/mvgrl/select_mvgrl.py --dataset MUTAG --nested \
        --batch-sizes 128 --samplers uniform prosampler --epochs 10 20 40

``--loss infonce`` runs the nested layer grid with MVGRL's InfoNCE
graph-graph variant instead (``run_mvgrl_tu.sh``'s ``LOSS``) into
``mvgrl_infonce.json.gz``, whose fixed-configuration runs are its 4-layer
cells; 20 epochs only.
"""
from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence

from pyg_prosampler.experiments.evaluate import mean_std
from pyg_prosampler.experiments.results import load_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import (
    LAYERS,
    MD_HEAD,
    MVGRL_SELECT,
    NESTED_OUT,
    NESTED_SEEDS,
    RESULTS,
    Config,
    Nested,
    choose,
    nested_runs,
    paired_cell,
    runs_by_config,
    scores,
    write_section,
)

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS_OUT = os.path.join(RESULTS, "mvgrl_epochs.json.gz")
# The 20-epoch nested runs of each loss, and its sections' label.
NESTED_FILES = {"jsd": NESTED_OUT,
                "infonce": os.path.join(RESULTS, "mvgrl_infonce.json.gz")}
LOSS_LABELS = {"jsd": "", "infonce": "InfoNCE variant, "}
EPOCHS = [20]
BATCH_SIZES = [32, 128]
SAMPLERS = ["uniform", "prosampler", "knn"]


def run(dataset: str, sampler: str, config: Config, seeds: List[int],
        out: str, epochs: int = 20, eval_epochs: Sequence[int] = (),
        loss: str = "jsd") -> None:
    env = {**os.environ, "LAYERS": str(config[0]), "BATCH": str(config[1]),
           "OUT": out, "SEEDS": " ".join(map(str, seeds)),
           "SAMPLERS": sampler, "EPOCHS": str(epochs), "LOSS": loss,
           "EVAL_EPOCHS": " ".join(map(str, eval_epochs))}
    subprocess.run(["bash", os.path.join(HERE, "run_mvgrl_tu.sh"), dataset],
                   env=env, check=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default="MUTAG")
    p.add_argument("--samplers", nargs="+", default=SAMPLERS)
    p.add_argument("--layers", type=int, nargs="+", default=LAYERS)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=BATCH_SIZES)
    p.add_argument("--select-seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--nested", action="store_true",
                   help="choose per outer fold, seeds 0-4 (module doc)")
    p.add_argument("--epochs", type=int, nargs="+", default=EPOCHS,
                   help="with --nested: choose the epochs among these too")
    p.add_argument("--loss", default="jsd", choices=["jsd", "infonce"],
                   help="with --nested: MVGRL's loss (infonce: 20 epochs)")
    args = p.parse_args()
    if (args.epochs != EPOCHS or args.loss != "jsd") and not args.nested:
        p.error("--epochs and --loss are for --nested")
    if args.loss != "jsd" and args.epochs != EPOCHS:
        p.error("--loss infonce chooses the layers at 20 epochs only")
    grid = list(itertools.product(args.layers, args.batch_sizes))
    if args.nested:
        for sampler, config in itertools.product(args.samplers, grid):
            run_nested(args.dataset, sampler, config, sorted(args.epochs),
                       args.loss)
        command = (f"python benchmarks/mvgrl/select_mvgrl.py --dataset "
                   f"{args.dataset} --nested")
        for flag, value, default in (("--layers", args.layers, LAYERS),
                                     ("--batch-sizes", args.batch_sizes,
                                      BATCH_SIZES),
                                     ("--samplers", args.samplers, SAMPLERS),
                                     ("--epochs", args.epochs, EPOCHS),
                                     ("--loss", [args.loss], ["jsd"])):
            if value != default:
                command += f" {flag} " + " ".join(map(str, value))
        write_nested_markdown(args.dataset, args.samplers,
                              [(*c, e) for c in grid for e in args.epochs],
                              command, args.loss)
        return
    select_out = MVGRL_SELECT
    for seed, sampler, config in itertools.product(
            args.select_seeds, args.samplers, grid):
        run(args.dataset, sampler, config, [seed], select_out)
    found = scores(args.dataset, args.select_seeds)
    chosen = {s: choose(found, s, grid) for s in args.samplers}
    for sampler, config in chosen.items():
        run(args.dataset, sampler, config, [0, 1, 2, 3, 4],
            os.path.join(RESULTS, "mvgrl_tu.json.gz"))
    write_markdown(args.dataset, found, chosen, grid, args.select_seeds)


def run_nested(dataset: str, sampler: str, config: Config,
               epochs: List[int], loss: str = "jsd") -> None:
    r"""Runs :obj:`sampler` at :obj:`config` with seeds 0-4 for each of
    :obj:`epochs` not recorded yet: 20 epochs alone into
    ``mvgrl_nested.json.gz`` (``mvgrl_infonce.json.gz`` with :obj:`loss`
    ``"infonce"``), otherwise one run as long as the longest missing,
    evaluated on the way after the grid's shorter epochs, into
    ``mvgrl_epochs.json.gz``."""
    if epochs == EPOCHS:
        run(dataset, sampler, config, NESTED_SEEDS, NESTED_FILES[loss],
            loss=loss)
        return
    records = nested_records(epochs)
    missing = []
    for e in epochs:
        runs = runs_by_config(records, dataset, sampler, [(*config, e)])
        if any(s not in runs[(*config, e)] for s in NESTED_SEEDS):
            missing.append(e)
    if missing:
        run(dataset, sampler, config, NESTED_SEEDS, EPOCHS_OUT,
            epochs=max(missing),
            eval_epochs=[e for e in epochs if e < max(missing)])


def nested_records(epochs: List[int], loss: str = "jsd") -> List[dict]:
    r"""The runs the nested rule reads: :obj:`loss`'s 20-epoch file
    (:obj:`NESTED_FILES`), and ``mvgrl_epochs.json.gz``'s where
    :obj:`epochs` holds others than 20 (a configuration and seed found in
    both: the latter file's)."""
    return [r for path in nested_files(epochs, loss)
            for r in load_records(path)]


def nested_files(epochs: List[int], loss: str = "jsd") -> List[str]:
    r"""The files :func:`nested_records` reads, in its order."""
    return [NESTED_FILES[loss]] + ([] if epochs == EPOCHS else [EPOCHS_OUT])


def write_markdown(dataset: str, found: Dict[tuple, List[float]],
                   chosen: Dict[str, Config], grid: List[Config],
                   seeds: List[int]) -> None:
    lines = [f"## {dataset}", "",
             f"Inner-validation accuracy % (mean over seeds "
             f"{', '.join(map(str, seeds))}); **bold** = chosen. Command: "
             f"`python benchmarks/mvgrl/select_mvgrl.py --dataset "
             f"{dataset}`.", "",
             "| sampler | " + " | ".join(f"{L} layers, B={b}"
                                         for L, b in grid) + " |",
             "|---" * (len(grid) + 1) + "|"]
    for sampler, config in chosen.items():
        row = []
        for c in grid:
            v = found[sampler, c]
            text = f"{100 * sum(v) / len(v):.2f}"
            row.append(f"**{text}**" if c == config else text)
        lines.append(f"| {sampler} | " + " | ".join(row) + " |")
    write_section(os.path.join(RESULTS, "mvgrl_select.md"),
                  MD_HEAD, dataset, lines)


def write_nested_markdown(dataset: str, samplers: List[str],
                          grid: List[Nested], command: str,
                          loss: str = "jsd") -> None:
    epochs = sorted({c[2] for c in grid})
    records = nested_records(epochs, loss)
    found = {s: nested_runs(records, dataset, s, grid) for s in samplers}
    section = f"{dataset}, {LOSS_LABELS[loss]}" + (
        "chosen per outer fold" if epochs == EPOCHS
        else "layers and epochs chosen per outer fold")
    what = "layers, B" + ("" if epochs == EPOCHS else ", epochs")
    label = (lambda c: f"{c[0]}, {c[1]}") if epochs == EPOCHS \
        else (lambda c: ", ".join(map(str, c)))
    files = " and ".join(f"`{os.path.basename(path)}`"
                         for path in nested_files(epochs, loss))
    lines = [f"## {section}", "",
             f"Command: `{command}`; runs in {files}, seeds "
             f"{', '.join(map(str, NESTED_SEEDS))}. Accuracy %; paired "
             f"cell: minus uniform in points [95 % Student-t interval] "
             f"(seeds at or above / seeds); then how often each {what} "
             f"configuration was chosen over the folds.", "",
             "| sampler | chosen per fold | minus uniform | " + " | ".join(
                 label(c) for c in grid) + " |",
             "|---" * (len(grid) + 3) + "|"]
    uniform = found["uniform"][0] if "uniform" in found else []
    for sampler, (selected, chosen) in found.items():
        m, sd = mean_std([100 * r["accuracy"] for r in selected])
        diff = ("–" if sampler == "uniform" or not uniform
                else paired_cell(selected, uniform))
        folds = sum(chosen.values())
        lines.append(f"| {sampler} | {m:.2f} ± {sd:.2f} | {diff} | "
                     + " | ".join(f"{chosen[c]}/{folds}" for c in grid)
                     + " |")
    lines += ["", "Each configuration's inner accuracy / test accuracy %, "
              "mean over the seeds (the rule reads only the inner one, "
              "fold by fold).", "",
              "| sampler | " + " | ".join(label(c) for c in grid)
              + " |", "|---" * (len(grid) + 1) + "|"]
    for sampler in found:
        runs = runs_by_config(records, dataset, sampler, grid)
        cells = []
        for c in grid:
            group = [runs[c][seed] for seed in NESTED_SEEDS]
            inner = mean_std([100 * r["inner_accuracy"] for r in group])[0]
            test = mean_std([100 * r["accuracy"] for r in group])[0]
            cells.append(f"{inner:.2f} / {test:.2f}")
        lines.append(f"| {sampler} | " + " | ".join(cells) + " |")
    if epochs != EPOCHS:
        lines += ["", agreement(dataset, samplers, grid)]
    write_section(os.path.join(RESULTS, "mvgrl_select.md"),
                  MD_HEAD, section, lines)


def agreement(dataset: str, samplers: List[str], grid: List[Nested]) -> str:
    r"""A sentence on the runs of :obj:`grid` recorded in both
    ``mvgrl_nested.json.gz`` and (evaluated part-way)
    ``mvgrl_epochs.json.gz``: how many agree in every fold's accuracy and
    every epoch's loss; :class:`RuntimeError` if any does not."""
    both, differ = 0, []
    nested, epochs = load_records(NESTED_OUT), load_records(EPOCHS_OUT)
    for sampler in samplers:
        a = runs_by_config(nested, dataset, sampler, grid)
        b = runs_by_config(epochs, dataset, sampler, grid)
        for c in grid:
            for seed in set(a[c]) & set(b[c]):
                both += 1
                x, y = a[c][seed], b[c][seed]
                if (x["fold_accuracies"] != y["fold_accuracies"]
                        or x["fold_inner_accuracies"]
                        != y["fold_inner_accuracies"]
                        or [e["loss"] for e in x["epoch_logs"]]
                        != [e["loss"] for e in y["epoch_logs"]]):
                    differ.append((sampler, c, seed))
    if differ:
        raise RuntimeError(f"runs recorded twice disagree: {differ}")
    if not both:
        return "No run of the grid is recorded in both files."
    return (f"{both} runs are in both files (those of `mvgrl_epochs.json.gz` "
            f"taken part-way through longer runs); all {both} agree in "
            f"every fold's accuracy and every epoch's loss.")


if __name__ == "__main__":
    main()
