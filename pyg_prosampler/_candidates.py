r"""The ProSampler paper's proximity graph on L2-normalised rows,
unchecked: every node's :obj:`k` most similar among :obj:`M` uniform
candidates, by groups of queries that share one candidate pool (one dense
product per group), for all rows, a few rows (a rolling refresh), or a
shard of them (a distributed refresh)."""
from __future__ import annotations

import math
from typing import Callable, Optional, Tuple

import torch
from torch import Tensor

from pyg_prosampler._knn import MAX_SCORES

# The pools and dropped columns of groups lo:hi: [g, M + 1] and [g, size].
PoolsOf = Callable[[int, int], Tuple[Tensor, Tensor]]


def knn_candidates(
    zn: Tensor,
    k: int,
    num_candidates: int,
    *,
    rows: Optional[Tensor] = None,
    group_size: Optional[int] = None,
    generator: Optional[torch.Generator] = None,
    shard: Tuple[int, int] = (0, 1),
    gather: Optional[Callable[[Tensor], Tensor]] = None,
) -> Tuple[Tensor, Tensor]:
    r"""Top-:obj:`k` among :obj:`num_candidates` uniform candidates per node
    (see :func:`~pyg_prosampler.build_proximity_graph`).  Returns
    similarities and indices, both :obj:`[N, k]`, most similar first.

    With :obj:`rows` (a long tensor of distinct nodes), only those nodes'
    neighbour lists are computed, with fresh candidates drawn from all
    :obj:`N` nodes, and the outputs are :obj:`[len(rows), k]` in the order
    of :obj:`rows`: the rolling refresh of a sampler whose embeddings
    changed on a few rows only.

    With :obj:`shard=(rank, world_size)` every rank draws the same plan
    (same :obj:`generator` state), scores a contiguous share of the groups
    and :obj:`gather` (e.g. an all-gather of rows in rank order) assembles
    the shares, so all ranks return what one process would."""
    if shard[1] > 1 and gather is None:
        raise ValueError("`shard` over several ranks needs `gather`")
    num_nodes, device = zn.size(0), zn.device
    pool = num_candidates + 1
    num_rows = num_nodes if rows is None else rows.numel()
    if group_size is None:  # 128, or fewer so that a node lies in ~8 pools
        group_size = min(128, max(16, pool // 8))
    group_size = min(group_size, num_rows)
    order, queries = _query_groups(num_rows, group_size, rows, generator,
                                   device)
    if rows is None or 2 * pool > num_nodes:
        pools_of = _window_pools(num_nodes, pool, queries, generator)
    else:  # a few rows: independent pools, in O(rows M), not O(N)
        pools_of = _independent_pools(num_nodes, pool, queries, generator)
    return _score_groups(zn, k, pool, queries, order, pools_of, shard,
                         gather)


def _query_groups(num_rows: int, group_size: int, rows: Optional[Tensor],
                  generator: Optional[torch.Generator],
                  device: torch.device) -> Tuple[Tensor, Tensor]:
    r"""A random permutation of the row positions, and the queries
    :obj:`[num_groups, group_size]`: the rows in that order, cut in groups;
    the last group is padded with the permutation's first rows, whose
    duplicate results are dropped."""
    num_groups = -(-num_rows // group_size)
    order = torch.randperm(num_rows, generator=generator, device=device)
    query_perm = order if rows is None else rows.to(device)[order]
    pad = num_groups * group_size - num_rows
    queries = torch.cat([query_perm, query_perm[:pad]]).view(num_groups, -1)
    return order, queries


def _window_pools(num_nodes: int, pool: int, queries: Tensor,
                  generator: Optional[torch.Generator]) -> PoolsOf:
    r"""Pools as windows of a random permutation at evenly spaced offsets
    (one random shift), so every node is a candidate of the same number of
    groups, :obj:`(M + 1) * groups / N`, give or take one: none is left
    without in-edges, which would make it reachable by no walk."""
    device, num_groups = queries.device, queries.size(0)
    pool_perm = torch.randperm(num_nodes, generator=generator,
                               device=device)
    shift = torch.randint(num_nodes, (1,), generator=generator,
                          device=device)
    offsets = (torch.arange(num_groups, device=device) * num_nodes
               // num_groups + shift).view(-1, 1) % num_nodes
    window = torch.arange(pool, device=device)
    rank = torch.empty_like(pool_perm)
    rank[pool_perm] = torch.arange(num_nodes, device=device)

    def pools_of(lo: int, hi: int) -> Tuple[Tensor, Tensor]:
        pools = pool_perm[(offsets[lo:hi] + window) % num_nodes]
        # Column to drop per query: itself if in its pool, else the last.
        self_pos = (rank[queries[lo:hi]] - offsets[lo:hi]) % num_nodes
        return pools, torch.where(self_pos < pool, self_pos,
                                  torch.full_like(self_pos, pool - 1))

    return pools_of


def _independent_pools(num_nodes: int, pool: int, queries: Tensor,
                       generator: Optional[torch.Generator]) -> PoolsOf:
    r"""Independent uniform pools, one per group (a rolling refresh of a
    few rows), drawn without permuting all :obj:`N` nodes."""
    device, num_groups = queries.device, queries.size(0)
    all_pools = distinct_rows(num_nodes, num_groups, pool, generator, device)
    # Column to drop per query: itself if in its pool (found by a sorted
    # search of (group, node) keys), else the last one.
    group = torch.arange(num_groups, device=device).view(-1, 1)
    keys, where = (group * num_nodes + all_pools).view(-1).sort()
    wanted = (group * num_nodes + queries).view(-1)
    at = torch.searchsorted(keys, wanted).clamp(max=keys.numel() - 1)
    all_drop = torch.where(keys[at] == wanted, where[at] % pool,
                           torch.full_like(wanted, pool - 1))
    all_drop = all_drop.view(num_groups, -1)

    def pools_of(lo: int, hi: int) -> Tuple[Tensor, Tensor]:
        return all_pools[lo:hi], all_drop[lo:hi]

    return pools_of


def _score_groups(zn: Tensor, k: int, pool: int, queries: Tensor,
                  order: Tensor, pools_of: PoolsOf, shard: Tuple[int, int],
                  gather: Optional[Callable[[Tensor], Tensor]],
                  ) -> Tuple[Tensor, Tensor]:
    r"""Scores this shard's groups, by groups of groups per :obj:`bmm` (at
    most :obj:`MAX_SCORES` scores at once), and writes every row's top
    :obj:`k`: one process writes each chunk straight to its rows; shards
    are gathered first."""
    device = zn.device
    num_groups, group_size = queries.shape
    me, world_size = shard
    first = num_groups * me // world_size
    last = num_groups * (me + 1) // world_size
    out_w = torch.empty(order.numel(), k, device=device)
    out_c = torch.empty(order.numel(), k, dtype=torch.long, device=device)
    if world_size > 1:
        weight = torch.empty((last - first) * group_size, k, device=device)
        col = torch.empty((last - first) * group_size, k, dtype=torch.long,
                          device=device)
    chunk = max(1, MAX_SCORES // (group_size * pool))
    for lo in range(first, last, chunk):
        hi = min(lo + chunk, last)
        w, c = _score_chunk(zn, queries[lo:hi], *pools_of(lo, hi), k)
        if world_size > 1:
            part = slice((lo - first) * group_size, (hi - first) * group_size)
            weight[part], col[part] = w, c
        else:
            _scatter_rows(out_w, out_c, order, lo * group_size, w, c)
    if world_size > 1:
        assert gather is not None
        # int32 indices halve what the ranks send, where they fit
        narrow = zn.size(0) < 2**31
        col = gather(col.int() if narrow else col).long()
        _scatter_rows(out_w, out_c, order, 0, gather(weight), col)
    return out_w, out_c


def _score_chunk(zn: Tensor, queries: Tensor, pools: Tensor, drop: Tensor,
                 k: int) -> Tuple[Tensor, Tensor]:
    r"""The top :obj:`k` of every query :obj:`[g, group_size]` among its
    group's pool :obj:`[g, M + 1]` but the dropped column, as
    :obj:`[g * group_size, k]` similarities and nodes."""
    group_size = queries.size(1)
    q = zn[queries]  # [g, group_size, d]
    p = zn[pools]  # [g, M + 1, d]
    scores = torch.bmm(q, p.transpose(1, 2))
    scores.scatter_(2, drop.unsqueeze(-1), -math.inf)
    w, pos = scores.topk(k, dim=2)
    c = pools.unsqueeze(1).expand(-1, group_size, -1).gather(2, pos)
    return w.reshape(-1, k), c.reshape(-1, k)


def distinct_rows(num: int, rows: int, size: int,
                  generator: Optional[torch.Generator] = None,
                  device: Optional[torch.device] = None) -> Tensor:
    r"""A :obj:`[rows, size]` tensor whose rows are independent uniformly
    random :obj:`size`-subsets of :obj:`range(num)` (in random order): i.i.d.
    draws whose repeats within a row are drawn again until none is left.
    The procedure commutes with any relabelling of the :obj:`num` values,
    so every subset is equally likely.  Meant for :obj:`size` well below
    :obj:`num` (a few redraw rounds)."""
    out = torch.randint(num, (rows, size), generator=generator,
                        device=device)
    while True:
        values, index = out.sort(dim=1)
        repeat = values[:, 1:] == values[:, :-1]
        if not bool(repeat.any()):
            return out
        mask = torch.zeros_like(out, dtype=torch.bool)
        mask.scatter_(1, index[:, 1:], repeat)  # all but one of each value
        out[mask] = torch.randint(num, (int(mask.sum()),),
                                  generator=generator, device=device)


def _scatter_rows(out_w: Tensor, out_c: Tensor, order: Tensor, start: int,
                  w: Tensor, c: Tensor) -> None:
    r"""Writes the results of query positions :obj:`start, start + 1, ...`
    to rows :obj:`order[position]`, dropping the padded positions past
    :obj:`len(order)`."""
    num = max(0, min(w.size(0), order.numel() - start))
    rows = order[start:start + num]
    out_w[rows] = w[:num]
    out_c[rows] = c[:num]
