r"""Rolling refresh against full rebuilds: how hard the batches are.

A labelled Gaussian mixture (``--num`` points, ``--classes`` classes,
128-d) stands in
for a model that learns: the sampler starts from noise embeddings and every
batch feeds back its rows' mixture embeddings (plus a small noise that
shrinks over the passes), so the table moves from noise to the class
structure as training would.  For each refresh mode (and uniform batches),
``--passes`` passes of ceil(N / B) batches are drawn and the last pass's
in-batch cosine and same-class pair fraction (labels for diagnostics only)
are recorded, over ``--seeds`` seeds (paired: same mixture and seed).
Writes ``benchmarks/results/rolling.json``.

    python benchmarks/scale/bench_rolling.py --num 100000 --classes 20 \
        --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

from pyg_prosampler import (
    ProximityBatchSampler,
    UniformBatchSampler,
    batch_hardness,
)
from pyg_prosampler.experiments.results import machine, replace_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS

OUT = os.path.join(RESULTS, "rolling.json")


def mixture(num: int, seed: int, classes: int, dim: int = 128):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(classes, (num,), generator=g)
    mu = torch.randn(classes, dim, generator=g) * 0.6
    return mu[y] + 0.5 * torch.randn(num, dim, generator=g), y


def run(mode: str, num: int, batch_size: int, passes: int, seed: int,
        refresh_every: int, classes: int) -> dict:
    z, y = mixture(num, seed, classes)
    noise = torch.randn(num, z.size(1),
                        generator=torch.Generator().manual_seed(seed + 1000))
    if mode == "uniform":
        sampler = UniformBatchSampler(num, batch_size, seed=seed)
    else:
        sampler = ProximityBatchSampler(
            num, batch_size, num_candidates=1000, restart_prob=0.1,
            refresh_every=refresh_every, refresh=mode, warmup_epochs=1,
            embeddings=noise, seed=seed)
    g = torch.Generator().manual_seed(seed + 2000)
    t = time.perf_counter()
    last = []
    for p in range(passes):
        scale = 1.0 - (p + 1) / passes  # feature noise fades out
        last = []
        for batch in sampler:
            index = torch.tensor(batch)
            fed = z[index] + scale * torch.randn(len(batch), z.size(1),
                                                 generator=g)
            sampler.update(index, fed)
            last.append(batch)
    seconds = time.perf_counter() - t
    hard = batch_hardness(last, z, y)
    return {"mode": mode, "seed": seed, "num": num, "seconds": seconds,
            "sampler_seconds": sampler.totals.get("build_seconds", 0.0)
            + sampler.totals.get("draw_seconds", 0.0), **hard}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--num", type=int, default=100_000)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--refresh-every", type=int, default=100)
    p.add_argument("--passes", type=int, default=4)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--classes", type=int, default=20)
    args = p.parse_args()
    done = set()
    if os.path.exists(OUT):
        with open(OUT) as f:
            done = {(r["num"], r["seed"]) for r in json.load(f)["rows"]}
    rows = []
    for seed in args.seeds:
        if (args.num, seed) in done:
            print(f"N={args.num} seed {seed}: in {OUT}, skipped")
            continue
        for mode in ("uniform", "full", "rolling"):
            row = run(mode, args.num, args.batch_size, args.passes, seed,
                      args.refresh_every, args.classes)
            row.update(batch_size=args.batch_size, passes=args.passes,
                       refresh_every=args.refresh_every,
                       classes=args.classes)
            print(json.dumps(row))
            rows.append(row)
    command = ("python benchmarks/scale/bench_rolling.py --num "
               f"{args.num} --classes {args.classes} --seeds "
               f"{' '.join(map(str, args.seeds))}")
    replace_rows(OUT, rows, lambda r: True,  # rows are only ever added
                 machine=machine(), command=command)


if __name__ == "__main__":
    main()
