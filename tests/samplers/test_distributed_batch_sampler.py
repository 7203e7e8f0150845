import os
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from pyg_prosampler.distributed import all_gather_with_grad
from pyg_prosampler.samplers import (
    DistributedBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)

N, B, EPOCHS = 300, 32, 3


def table(index: torch.Tensor, step: int) -> torch.Tensor:
    r"""Embeddings that depend on the instance and the step only, as if a
    model were trained identically whatever the number of ranks."""
    g = torch.Generator().manual_seed(1234)
    base = torch.randn(N, 8, generator=g)
    return base[index] + 0.05 * step * torch.cos(base[index] * step)


def run(sampler) -> list:
    r"""EPOCHS epochs, feeding back :func:`table` after every batch."""
    batches, step = [], 0
    for _ in range(EPOCHS):
        for batch in sampler:
            batches.append(batch)
            index = torch.tensor(batch)
            sampler.update(index, table(index, step))
            step += 1
    return batches


def make() -> ProximityBatchSampler:
    return ProximityBatchSampler(N, B, num_neighbors=10, num_candidates=50,
                                 refresh_every=3, warmup_epochs=1, seed=7)


def shard_rows(rank: int) -> torch.Tensor:
    r"""Uneven shards: rank r holds r + 2 rows."""
    g = torch.Generator().manual_seed(rank)
    return torch.randn(rank + 2, 3, generator=g)


def global_loss(rows: torch.Tensor) -> torch.Tensor:
    return (rows.sin() * torch.arange(rows.numel()).view_as(rows)).sum()


def worker(rank: int, world: int, folder: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{folder}/rdzv",
                            rank=rank, world_size=world)
    try:
        sampler = DistributedBatchSampler(make())
        batches = run(sampler)
        x = shard_rows(rank).requires_grad_()
        global_loss(all_gather_with_grad(x)).backward()
        torch.save((batches, x.grad, sampler.sampler.neighbors,
                    sampler.sampler.totals),
                   os.path.join(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_shard_the_single_process_batches(tmp_path):
    sampler = make()
    single = run(sampler)
    assert sampler.totals["build_seconds"] > 0  # graphs were built
    ctx = mp.spawn(worker, args=(2, str(tmp_path)), nprocs=2, join=False)
    deadline = time.monotonic() + 240
    while not ctx.join(timeout=5):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail("the 2-process run did not finish in 240 s")
    saved = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    shards = [out[0] for out in saved]
    assert len(shards[0]) == len(shards[1]) == len(single)
    for full, a, b in zip(single, *shards):
        assert a == full[0::2] and b == full[1::2]
    # Each rank refreshed half the rows; the gathered graphs are the one
    # process's graph, bit for bit.
    for out in saved:
        assert torch.equal(out[2], sampler.neighbors)
        assert out[3]["num_builds"] == sampler.totals["num_builds"]
    # gathered rows carry gradients back: each rank's grad is the sum over
    # the 2 ranks' (identical) losses of the single-process gradient
    x = torch.cat([shard_rows(0), shard_rows(1)]).requires_grad_()
    global_loss(x).backward()
    assert torch.allclose(saved[0][1], 2 * x.grad[:2])
    assert torch.allclose(saved[1][1], 2 * x.grad[2:])


def test_single_process_wrapper_is_transparent():
    plain = run(UniformBatchSampler(N, B, seed=3))
    wrapped = run(DistributedBatchSampler(UniformBatchSampler(N, B, seed=3)))
    assert plain == wrapped
    sampler = DistributedBatchSampler(make(), num_replicas=1, rank=0)
    assert sampler.batch_size == B and sampler.num_instances == N
    assert len(next(iter(sampler))) == B


def test_distributed_batch_sampler_validates():
    with pytest.raises(ValueError, match="rank"):
        DistributedBatchSampler(make(), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="at least the number of ranks"):
        DistributedBatchSampler(UniformBatchSampler(10, 2), num_replicas=3,
                                rank=0)
    with pytest.raises(TypeError):
        DistributedBatchSampler([[0, 1]])
    # Ranks without a process group would never share their updates.
    with pytest.raises(ValueError, match="init_process_group"):
        DistributedBatchSampler(make(), num_replicas=2, rank=1)


def test_short_batches_leave_no_rank_empty():
    r"""N = 33, B = 8: the last uniform batch holds 1 instance; with 4
    ranks every shard still gets one (the instance repeated)."""
    shards = []
    for rank in range(4):
        s = DistributedBatchSampler.__new__(DistributedBatchSampler)
        s.sampler, s.num_replicas, s.rank = UniformBatchSampler(
            33, 8, seed=0), 4, rank
        shards.append(list(s))
    assert all(len(b) >= 1 for ranks in shards for b in ranks)
    last = [ranks[-1] for ranks in shards]
    assert len({tuple(b) for b in last}) == 1 and len(last[0]) == 1
