r"""Random walk with restart (RWR) batches on a proximity graph.

A batch is the first :obj:`B` distinct nodes visited by a walk from its
start node that, at every step, jumps back to the start with probability
:obj:`restart_prob` and otherwise moves to a uniformly chosen out-neighbour.
Equivalently, the visit sequence is a concatenation of independent plain
walks from the start whose lengths are geometric,
:math:`P(\ell = k) = (1 - \alpha)^k \alpha`.  That is how it is computed:
all segments of all starts are drawn in one :func:`torch_cluster.random_walk`
call per round, cut at their geometric lengths, and the first distinct
visits are found by one sort per round.  Segment lengths are truncated at
their :math:`1 - 10^{-3}` quantile (a truncation acts as an early restart).
:obj:`restart_prob=0` is a plain walk that never returns.

Rows that have not reached :obj:`B` distinct nodes walk further in a next
round.  A row whose visited nodes have no out-neighbour outside themselves
(its reachable set is exhausted, e.g. a component smaller than the batch),
or that is still short after :obj:`max_rounds` rounds, is completed with
distinct nodes drawn uniformly from the rest of the graph.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

import torch
import torch_cluster  # noqa: F401  (registers torch.ops.torch_cluster)
from torch import Tensor
from torch_geometric.data import Data

from pyg_prosampler._validation import (
    check_batch_size,
    check_edge_index,
    check_index,
    check_positive_int,
    check_restart_prob,
)

__all__ = ["random_walk_with_restart"]

# A segment (the steps between two restarts) is cut at the length it exceeds
# with probability 1e-3; the cut acts as one extra restart.
_SEGMENT_TAIL = 1e-3


def random_walk_with_restart(
    graph: Data,
    start: Tensor,
    batch_size: int,
    restart_prob: float = 0.1,
    *,
    max_rounds: int = 8,
    generator: Optional[torch.Generator] = None,
    return_num_filled: bool = False,
) -> Tensor | Tuple[Tensor, Tensor]:
    r"""Samples one batch per start node: the first :obj:`batch_size`
    distinct nodes visited by a random walk with restart, which jumps back
    to its start with probability :obj:`restart_prob` at every step (see
    :mod:`pyg_prosampler.random_walk` for how it is computed).  A row that
    cannot reach :obj:`batch_size` distinct nodes is completed with
    distinct nodes drawn uniformly.

    Args:
        graph (torch_geometric.data.Data): Graph with :obj:`edge_index` and
            :obj:`num_nodes`; edges go from :obj:`edge_index[0]` to
            :obj:`edge_index[1]`.
        start (torch.Tensor): Start nodes, :obj:`[n]`, long.
        batch_size (int): Distinct nodes per batch, at most :obj:`num_nodes`.
        restart_prob (float, optional): Restart probability in :obj:`[0, 1)`.
            (default: :obj:`0.1`)
        max_rounds (int, optional): Rounds of walking before a short row is
            completed uniformly. (default: :obj:`8`)
        generator (torch.Generator, optional): CPU random source; the walk
            itself runs under a seed drawn from it. (default: :obj:`None`)
        return_num_filled (bool, optional): Also return, per row, how many
            nodes were filled uniformly. (default: :obj:`False`)

    Returns:
        :obj:`LongTensor [n, batch_size]` whose row :obj:`r` starts with
        :obj:`start[r]` followed by the other nodes in order of first visit
        (filled nodes last); with :obj:`return_num_filled`, also
        :obj:`LongTensor [n]`.

    .. code-block:: python

        graph = build_proximity_graph(z, num_neighbors=100)
        start = torch.randperm(graph.num_nodes)[:8]
        batches = random_walk_with_restart(graph, start, batch_size=256)
    """
    if not isinstance(graph, Data) or graph.edge_index is None:
        raise ValueError("`graph` must be a torch_geometric Data with an "
                         "`edge_index`, e.g. from `build_proximity_graph`")
    num_nodes = int(graph.num_nodes)
    check_batch_size(batch_size, num_nodes)
    check_index(start, num_nodes, "start")
    check_restart_prob(restart_prob)
    check_positive_int(max_rounds, "max_rounds")
    edge_index = check_edge_index(graph.edge_index, num_nodes)
    rowptr, col = _to_csr(edge_index, num_nodes)
    out, filled = _rwr_csr(rowptr, col, start.long(), int(batch_size),
                           float(restart_prob), int(max_rounds), generator)
    return (out, filled) if return_num_filled else out


def _to_csr(edge_index: Tensor, num_nodes: int) -> Tuple[Tensor, Tensor]:
    r"""Row pointer and column vector of :obj:`edge_index`, sorted by source
    node (a no-op reorder for graphs from :func:`build_proximity_graph`)."""
    row, col = edge_index
    if row.numel() > 1 and not bool((row[1:] >= row[:-1]).all()):
        perm = torch.argsort(row, stable=True)
        row, col = row[perm], col[perm]
    deg = torch.bincount(row, minlength=num_nodes)
    rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=row.device)
    torch.cumsum(deg, 0, out=rowptr[1:])
    return rowptr, col


def _rwr_csr(
    rowptr: Tensor,
    col: Tensor,
    start: Tensor,
    batch_size: int,
    restart_prob: float,
    max_rounds: int = 8,
    generator: Optional[torch.Generator] = None,
) -> Tuple[Tensor, Tensor]:
    r"""Unchecked core of :func:`random_walk_with_restart` on a CSR graph
    (the samplers call it on their neighbour matrix).  Returns the batches
    :obj:`[n, batch_size]` and the per-row fill count."""
    num_nodes = rowptr.numel() - 1
    n = start.numel()
    device = start.device
    out = torch.full((n, batch_size), -1, dtype=torch.long, device=device)
    num_filled = torch.zeros(n, dtype=torch.long, device=device)
    if n == 0:
        return out, num_filled
    _walk_rounds(rowptr, col, start, out, restart_prob, max_rounds,
                 generator)
    short = (out < 0).any(dim=1).nonzero().view(-1)
    if short.numel() > 0:
        filled = _fill_uniform(out[short], num_nodes, generator)
        num_filled[short] = (out[short] < 0).sum(dim=1)
        out[short] = filled
    return out, num_filled


def _segment_plan(batch_size: int, restart_prob: float) -> Tuple[int, int]:
    r"""The longest segment walked and the segments per row of a first
    round."""
    if restart_prob == 0:
        return 2 * batch_size, 1
    seg_len = math.ceil(math.log(_SEGMENT_TAIL) / math.log1p(-restart_prob))
    seg_len = max(1, min(seg_len, 4 * batch_size))
    # Segments per row for 1.5 B expected visits (a segment visits
    # 1 / alpha nodes on average): most rows reach B distinct at once.
    return seg_len, math.ceil(1.5 * batch_size * restart_prob) + 1


def _walk_rounds(rowptr: Tensor, col: Tensor, start: Tensor, out: Tensor,
                 restart_prob: float, max_rounds: int,
                 generator: Optional[torch.Generator]) -> None:
    r"""Writes into :obj:`out` the first distinct visits of every row,
    walking rows still short for up to :obj:`max_rounds` rounds with twice
    the segments each time (:obj:`-1` where a row stays short)."""
    n, batch_size, device = start.numel(), out.size(1), start.device
    seg_len, num_segments = _segment_plan(batch_size, restart_prob)
    active = torch.arange(n, device=device)  # rows still short
    # Visit sequences of the active rows (-1 = none); with restarts every
    # segment begins with the start, so it need not be recorded up front.
    visits = start.view(-1, 1)
    if restart_prob > 0:
        visits = visits[:, :0]
    position = start.clone()  # where a non-restarting walk goes on from
    count = torch.ones(n, dtype=torch.long, device=device)
    for _ in range(max_rounds):
        seed = int(torch.randint(2**62, (1,), generator=generator))
        new = _walk_segments(rowptr, col, start[active], position[active],
                             seg_len, num_segments, restart_prob, seed,
                             generator)
        if restart_prob == 0:
            position[active] = new[:, -1]
        visits = _compact(torch.cat([visits, new], dim=1)) \
            if visits.size(1) > 0 else new
        first, new_count = _first_distinct(visits, batch_size)
        done = new_count >= batch_size
        # A row is exhausted when the nodes it visited have no out-neighbour
        # outside them: only rows that gained nothing this round are tested.
        stalled = ~done & (new_count <= count[active])
        if bool(stalled.any()):
            idx = stalled.nonzero().view(-1)
            stalled[idx] = _is_closed(rowptr, col, first[idx])
        count[active] = new_count
        finished = done | stalled
        out[active[finished]] = first[finished]
        active, visits = active[~finished], visits[~finished]
        if active.numel() == 0:
            return
        num_segments *= 2  # rows still short are the hard ones
    out[active] = _first_distinct(visits, batch_size)[0]


def _walk_segments(
    rowptr: Tensor,
    col: Tensor,
    start: Tensor,
    position: Tensor,
    seg_len: int,
    num_segments: int,
    restart_prob: float,
    seed: int,
    generator: Optional[torch.Generator],
) -> Tensor:
    r"""Visit sequences :obj:`[n, width]` (:obj:`-1` padded) of
    :obj:`num_segments` walks per row from :obj:`start`, each cut at its
    geometric length (restart), or of one walk from :obj:`position` (no
    restart).

    Segments are grouped by length into buckets :obj:`(2^(b-1), 2^b]` and
    each bucket is walked for its upper length only, so at most twice the
    steps that are kept are computed; kept steps are written straight to
    their place in the row."""
    n, device = start.numel(), start.device
    if restart_prob == 0:
        with _seeded_walk_rng(device, seed):
            walks = torch.ops.torch_cluster.random_walk(
                rowptr, col, position, seg_len, 1.0, 1.0)[0]
        return walks[:, 1:]  # the first node is already recorded

    u = torch.rand(n, num_segments, generator=generator)
    length = torch.floor(torch.log(u) / math.log1p(-restart_prob))
    length = length.clamp(max=seg_len).long().to(device)  # steps per segment
    size = length + 1  # visits per segment, the start included
    offset = torch.cumsum(size, dim=1) - size  # where each segment begins
    width = int(size.sum(dim=1).max())
    out = torch.full((n, width), -1, dtype=torch.long, device=device)
    row = torch.arange(n, device=device).view(-1, 1).expand_as(length)
    out[row.reshape(-1), offset.reshape(-1)] = start.repeat_interleave(
        num_segments)

    length, offset, row = length.view(-1), offset.view(-1), row.reshape(-1)
    lo = 0
    with _seeded_walk_rng(device, seed):
        while lo < seg_len:
            hi = min(max(1, 2 * lo), seg_len)
            seg = ((length > lo) & (length <= hi)).nonzero().view(-1)
            lo = hi
            if seg.numel() == 0:
                continue
            walks = torch.ops.torch_cluster.random_walk(
                rowptr, col, start[row[seg]], hi, 1.0, 1.0)[0][:, 1:]
            steps = torch.arange(1, hi + 1, device=device)
            keep = steps.view(1, -1) <= length[seg].view(-1, 1)
            where = offset[seg].view(-1, 1) + steps.view(1, -1)
            rows = row[seg].view(-1, 1).expand_as(where)
            out[rows[keep], where[keep]] = walks[keep]
    return out


@contextmanager
def _seeded_walk_rng(device: torch.device, seed: int) -> Iterator[None]:
    r"""Seeds the generator :func:`torch_cluster.random_walk` draws from on
    :obj:`device` (the default CPU generator, or that CUDA device's) and
    restores its state on exit.

    The same draws as :obj:`fork_rng` + :func:`torch.manual_seed`, without
    their cost: :func:`torch.manual_seed` also seeds every CUDA, XPU and
    MTIA device, and while CUDA is not initialised each of those seeds is
    queued with a captured stack trace (0.7-1.5 ms per round on this CPU,
    a quarter of ProSampler's batch drawing at NCI1's size; see
    :obj:`benchmarks/results/sampler.md`)."""
    if device.type == "cuda":
        index = device.index
        if index is None:
            index = torch.cuda.current_device()
        gen = torch.cuda.default_generators[index]
    else:
        gen = torch.default_generator
    state = gen.get_state()
    gen.manual_seed(seed)
    try:
        yield
    finally:
        gen.set_state(state)


def _is_closed(rowptr: Tensor, col: Tensor, nodes: Tensor) -> Tensor:
    r"""Per row of :obj:`nodes` (:obj:`-1` padded), whether every
    out-neighbour of its nodes is among them."""
    num_nodes = rowptr.numel() - 1
    valid = nodes >= 0
    row = torch.arange(nodes.size(0), device=nodes.device)
    row = row.view(-1, 1).expand_as(nodes)[valid]
    node = nodes[valid]
    deg = rowptr[node + 1] - rowptr[node]
    edge_row = row.repeat_interleave(deg)
    first_edge = rowptr[node].repeat_interleave(deg)
    within = torch.arange(edge_row.numel(), device=nodes.device) - (
        torch.cumsum(deg, 0) - deg).repeat_interleave(deg)
    nbr = col[first_edge + within]
    inside = torch.isin(edge_row * num_nodes + nbr, row * num_nodes + node)
    outside = torch.bincount(edge_row[~inside], minlength=nodes.size(0))
    return outside == 0


def _compact(visits: Tensor) -> Tensor:
    r"""Moves the valid (:obj:`>= 0`) entries of each row to its front and
    trims the columns no row uses."""
    valid = visits >= 0
    counts = valid.sum(dim=1)
    width = int(counts.max())
    pos = torch.cumsum(valid, dim=1) - 1
    out = torch.full((visits.size(0), width), -1, dtype=visits.dtype,
                     device=visits.device)
    rows = torch.arange(visits.size(0), device=visits.device)
    rows = rows.view(-1, 1).expand_as(visits)
    out[rows[valid], pos[valid]] = visits[valid]
    return out


def _first_distinct(visits: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    r"""First :obj:`k` distinct values of each row in order of first
    occurrence (:obj:`-1` padded), and the number of distinct values."""
    n, width = visits.shape
    pos = torch.arange(width, device=visits.device).expand(n, -1)
    invalid = visits < 0
    key = visits * width + pos
    key = key.masked_fill(invalid, torch.iinfo(torch.long).max)
    key, _ = key.sort(dim=1)
    node = key // width
    valid = key != torch.iinfo(torch.long).max
    prev = torch.cat([torch.full_like(node[:, :1], -1), node[:, :-1]], dim=1)
    is_first = valid & (node != prev)
    first_pos = torch.where(is_first, key % width, torch.full_like(key, width))
    first_pos, _ = first_pos.sort(dim=1)
    first_pos = first_pos[:, :k]
    if first_pos.size(1) < k:
        pad = torch.full((n, k - first_pos.size(1)), width,
                         dtype=torch.long, device=visits.device)
        first_pos = torch.cat([first_pos, pad], dim=1)
    missing = first_pos >= width
    out = visits.gather(1, first_pos.clamp(max=width - 1))
    return out.masked_fill(missing, -1), is_first.sum(dim=1)


def _fill_uniform(rows: Tensor, num_nodes: int,
                  generator: Optional[torch.Generator]) -> Tensor:
    r"""Replaces the :obj:`-1` entries of each row by distinct nodes drawn
    uniformly among those not already in the row."""
    out = rows.clone()
    # Rows are few (only short ones); chunk to bound the [rows, N] scores.
    step = max(1, (1 << 24) // num_nodes)
    for lo in range(0, rows.size(0), step):
        part = rows[lo:lo + step]
        # One spare column absorbs the -1 slots; members score 2 > any draw.
        scores = torch.rand(part.size(0), num_nodes + 1, generator=generator)
        scores = scores.to(rows.device)
        scores.scatter_(1, torch.where(part < 0, num_nodes, part), 2.0)
        scores = scores[:, :num_nodes]
        need = int((part < 0).sum(dim=1).max())
        draw = scores.topk(need, dim=1, largest=False).indices
        slot = (part < 0).cumsum(dim=1) - 1  # j-th empty slot takes draw[j]
        fill = draw.gather(1, slot.clamp(min=0))
        out[lo:lo + step] = torch.where(part < 0, fill, part)
    return out
