r"""More seeds for GraphCL's fixed-knob comparison: are ProSampler's
wins and losses against uniform over the protocol's seeds 0-4
(``graphcl_tu.json.gz``) more than seed noise?

    OUT=benchmarks/results/graphcl_more_seeds.json.gz \
        SEEDS="5 6 7 8 9 10 11 12 13 14" SAMPLERS="uniform prosampler" \
        bash benchmarks/graphcl/run_graphcl_tu.sh infonce MUTAG PROTEINS \
        IMDB-BINARY IMDB-MULTI
    OUT=benchmarks/results/graphcl_more_seeds.json.gz SEEDS="5 6 7 8 9" \
        SAMPLERS="uniform prosampler" \
        bash benchmarks/graphcl/run_graphcl_tu.sh infonce NCI1 REDDIT-BINARY
    OUT=benchmarks/results/graphcl_more_seeds.json.gz SEEDS="5 6 7" \
        SAMPLERS="uniform prosampler" \
        bash benchmarks/graphcl/run_graphcl_tu.sh infonce COLLAB
    python benchmarks/graphcl/summarize_seeds.py

(NCI1 and REDDIT-B take 2-6 min per run beside the REDDIT-B MVGRL run,
hence five new seeds there; COLLAB 12-16 min, hence three.)  The new
seeds run the main table's command with other seeds and go to their own
file, so ``graphcl_tu.md`` stays at the protocol's 5 seeds.
``graphcl_more_seeds.md`` pairs ProSampler with uniform by seed over
seeds 0-4, over the new seeds, and over all of them, for the sets where
both samplers have new seeds (only seeds both ran count).  Nothing is
chosen here.
"""
from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

from pyg_prosampler.experiments.results import load_records, same_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import PAIRED_NOTE, PAPER, RESULTS, SETS, SHORT, cell, paired_cell

COMMAND = ('OUT=benchmarks/results/graphcl_more_seeds.json.gz SEEDS="5 6 7 '
           '8 9 10 11 12 13 14" SAMPLERS="uniform prosampler" bash '
           'benchmarks/graphcl/run_graphcl_tu.sh infonce MUTAG PROTEINS '
           'IMDB-BINARY IMDB-MULTI')


def runs_by_set(base: list, extra: list) -> dict:
    r"""``{(dataset, sampler): [records]}``: every extra record, and the
    base records of the same configuration (any seed) as an extra one."""
    out = defaultdict(list)
    for r in extra:
        out[(r["dataset"], r["sampler"])].append(r)
    for key, recs in list(out.items()):
        template = recs[0]
        seeds = {r["seed"] for r in recs}
        out[key] += [r for r in base if r["seed"] not in seeds
                     and same_config(r, {**template, "seed": r["seed"]})]
    return out


def seed_range(seeds: set) -> str:
    r"""``"0-9"`` for a run of seeds, else the list."""
    seeds = sorted(seeds)
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def main() -> None:
    base = load_records(os.path.join(RESULTS, "graphcl_tu.json.gz"))
    extra = load_records(os.path.join(RESULTS, "graphcl_more_seeds.json.gz"))
    runs = runs_by_set(base, extra)
    paper = dict(zip(SETS, zip(PAPER[("uniform", "infonce")],
                               PAPER[("prosampler", "infonce")])))
    lines = [
        "# GraphCL, ProSampler vs uniform over more seeds", "",
        "Fixed knobs of `graphcl_tu.md` (InfoNCE, M = 1000, restart 0.1, "
        "rebuilt every 100 steps, 1 warm-up epoch), seeds 0-4 from "
        "`graphcl_tu.json.gz` (the protocol's table) and the new seeds "
        f"from `graphcl_more_seeds.json.gz`. Command: `{COMMAND}`, and for "
        'NCI1 and REDDIT-BINARY the same with `SEEDS="5 6 7 8 9"`, for '
        'COLLAB with `SEEDS="5 6 7"`, then `python '
        'benchmarks/graphcl/summarize_seeds.py`.',
        "",
        "Accuracy % (mean ± std over seeds), then ProSampler minus uniform "
        "paired by seed. " + PAIRED_NOTE, "",
        "| data set | seeds | uniform | ProSampler | paired, seeds 0-4 "
        "| paired, new seeds | paired, all seeds | paper: ProSampler - "
        "GraphCL |", "|---" * 8 + "|"]
    for ds, short in zip(SETS, SHORT):
        uni, pro = runs.get((ds, "uniform"), []), runs.get((ds, "prosampler"),
                                                           [])
        both = {r["seed"] for r in uni} & {r["seed"] for r in pro}
        if not both - set(range(5)):
            continue  # no new seed run by both yet
        uni = [r for r in uni if r["seed"] in both]
        pro = [r for r in pro if r["seed"] in both]

        def part(recs, lo, hi):
            return [r for r in recs if lo <= r["seed"] <= hi]

        (pm, _), (um, _) = paper[ds][1], paper[ds][0]
        uni_acc, pro_acc = ([100 * r["accuracy"] for r in recs]
                            for recs in (uni, pro))
        lines.append(
            f"| {short} | {seed_range(both)} | {cell(uni_acc)} | "
            f"{cell(pro_acc)} | "
            f"{paired_cell(part(pro, 0, 4), part(uni, 0, 4))} | "
            f"{paired_cell(part(pro, 5, 14), part(uni, 5, 14))} | "
            f"{paired_cell(pro, uni)} | {pm - um:+.2f} |")
    path = os.path.join(RESULTS, "graphcl_more_seeds.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
