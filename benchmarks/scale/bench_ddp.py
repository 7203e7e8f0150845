r"""1 process vs 2 gloo processes on the same seed: are the global batches
identical?  A ProSampler over N embeddings that depend on the instance and
the step only (as if training were identical whatever the world size) runs
a few epochs single-process and under DistributedBatchSampler with 2 ranks;
the ranks' shards are interleaved back and compared with the single run.

    python benchmarks/scale/bench_ddp.py --num 20000 --batch-size 256 \
        --epochs 3
"""
import argparse
import json
import os
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from pyg_prosampler.experiments.results import machine
from pyg_prosampler.samplers import (
    DistributedBatchSampler,
    ProximityBatchSampler,
)


def embeddings(args, index, step):
    g = torch.Generator().manual_seed(0)
    base = torch.randn(args.num, args.dim, generator=g)
    return base[index] + 0.05 * step * torch.cos(base[index] * (step + 1))


def epochs(args, sampler):
    batches, step, t = [], 0, time.perf_counter()
    for _ in range(args.epochs):
        for batch in sampler:
            batches.append(batch)
            index = torch.tensor(batch)
            sampler.update(index, embeddings(args, index, step))
            step += 1
    return batches, time.perf_counter() - t


def make(args):
    return ProximityBatchSampler(args.num, args.batch_size,
                                 num_neighbors=100, num_candidates=1000,
                                 refresh_every=100, warmup_epochs=1, seed=0)


def worker(rank, args, folder):
    dist.init_process_group("gloo", init_method=f"file://{folder}/rdzv",
                            rank=rank, world_size=2)
    out = epochs(args, DistributedBatchSampler(make(args)))
    torch.save(out, os.path.join(folder, f"{rank}.pt"))
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--num", type=int, default=20000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--out", default="benchmarks/results/ddp.json")
    args = p.parse_args()
    single, single_s = epochs(args, make(args))
    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        mp.spawn(worker, args=(args, folder), nprocs=2)
        spawn_s = time.perf_counter() - t
        ranks = [torch.load(os.path.join(folder, f"{r}.pt"))
                 for r in range(2)]
    same = all(a == full[0::2] and b == full[1::2]
               for full, a, b in zip(single, ranks[0][0], ranks[1][0]))
    same = same and len(single) == len(ranks[0][0]) == len(ranks[1][0])
    record = {
        "command": "python " + " ".join(sys.argv),
        "num": args.num, "dim": args.dim, "batch_size": args.batch_size,
        "epochs": args.epochs, "batches": len(single),
        "identical_global_batches": same,
        "single_process_seconds": single_s,
        "rank_seconds": [ranks[0][1], ranks[1][1]],
        "two_process_wall_seconds_with_startup": spawn_s,
        "machine": machine(),
    }
    print(json.dumps(record, indent=1))
    with open(args.out, "w") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
