r"""Proximity graphs over embedding sets.

A proximity graph links every instance to the :obj:`K` instances most similar
to it (cosine similarity) among a candidate set: all other instances for the
exact kNN graph, or :obj:`M` uniformly drawn ones for the graph of the
ProSampler paper.  Graphs are returned as PyG
:class:`~torch_geometric.data.Data` objects whose :obj:`edge_index` is
sorted by source node (CSR order), with the :obj:`K` out-neighbours of
each node ordered from most to least similar.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Dict, Literal, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from pyg_prosampler._validation import (
    check_embeddings,
    check_num_neighbors,
    check_positive_int,
)

Engine = Literal["auto", "matmul", "torch_cluster", "faiss"]
ENGINES = ("auto", "matmul", "torch_cluster", "faiss")

# "auto" switches from the exact blocked matmul to faiss (when installed)
# above this many instances: the exact graph costs N^2 d flops (about 20 s
# at 200k x 128 on 2 cores, 100x more at 2M).
FAISS_FROM = 200_000

# Upper bound on the number of float32 similarity scores held at once by the
# blocked engines (64M scores = 256 MB).
_MAX_SCORES = 1 << 26


def build_proximity_graph(
    z: Tensor,
    num_neighbors: int = 100,
    num_candidates: Optional[int] = 1000,
    *,
    engine: Engine = "auto",
    generator: Optional[torch.Generator] = None,
    engine_options: Optional[Dict[str, Any]] = None,
) -> Data:
    r"""Builds the directed proximity graph of an embedding set.

    Every node :obj:`i` gets exactly :obj:`num_neighbors` out-edges
    :obj:`(i, j)`, no self loops and no duplicates, weighted by the cosine
    similarity of :obj:`z[i]` and :obj:`z[j]`.

    * :obj:`num_candidates=None` (or :obj:`>= N - 1`) gives the exact cosine
      kNN graph. :obj:`engine="matmul"` computes it as blocked
      :obj:`matmul` + :obj:`topk` on L2-normalised vectors (never an
      :obj:`N x N` matrix); :obj:`engine="torch_cluster"` calls
      :func:`torch_cluster.knn_graph` on L2-normalised vectors (Euclidean
      order equals cosine order there, and cosine is not supported by
      :obj:`torch_cluster` on CPU). :obj:`engine="faiss"` is approximate:
      an inverted-file index of :obj:`faiss` (:func:`knn_faiss`, the
      :obj:`faiss` extra), for millions of instances.  :obj:`"auto"` picks
      :obj:`"matmul"` (measured 100x+ faster than :obj:`torch_cluster` on
      CPU, see :obj:`benchmarks/`) up to :obj:`FAISS_FROM` instances and
      :obj:`"faiss"` beyond, when installed.  Its recall depends on
      how clustered the embeddings are: recall@10 was 1.0 on clustered
      embeddings but 0.16 on isotropic Gaussian ones at 100k (0.67 with
      :obj:`nprobe=256`, as slow as exact there; see
      :obj:`benchmarks/results/scale.md`); raise :obj:`nprobe` through
      :obj:`engine_options` or pass :obj:`engine="matmul"` when in doubt.
    * :obj:`num_candidates=M` gives the paper's graph: the :obj:`K` most
      similar among :obj:`M` candidates drawn uniformly without replacement
      from the other :obj:`N - 1` nodes.  To be compute-bound instead of
      gather-bound, nodes are processed in random groups of up to 128 that
      share one candidate pool of :obj:`M + 1` nodes (a window of a random
      permutation; windows evenly spaced so that every node is a candidate
      of as many groups), so a group costs one dense
      :obj:`[128, d] x [d, M + 1]` product.  A node drops itself from the
      pool if present, else the pool's last node, so each node's candidate
      set is *exactly* a uniform :obj:`M`-subset of the other nodes, as in
      the paper; only the joint law differs (nodes of a group share
      candidates, and pools overlap by construction).

    Args:
        z (torch.Tensor): Embeddings of shape :obj:`[N, d]`, floating point,
            finite.
        num_neighbors (int, optional): Out-degree :obj:`K`, smaller than
            :obj:`N`. (default: :obj:`100`)
        num_candidates (int, optional): Candidate pool size :obj:`M >= K`;
            :obj:`None` builds the exact kNN graph. (default: :obj:`1000`)
        engine (str, optional): kNN engine, :obj:`"auto"`,
            :obj:`"matmul"`, :obj:`"torch_cluster"` or :obj:`"faiss"`.
            (default: :obj:`"auto"`)
        generator (torch.Generator, optional): Random source of the candidate
            pools, on :obj:`z`'s device. (default: :obj:`None`)
        engine_options (dict, optional): Keyword arguments of
            :func:`knn_faiss` (:obj:`nlist`, :obj:`nprobe`, :obj:`seed`).

    Returns:
        :class:`~torch_geometric.data.Data` with :obj:`edge_index`
        :obj:`[2, N * K]`, :obj:`edge_weight` :obj:`[N * K]` and
        :obj:`num_nodes = N`.

    .. code-block:: python

        z = torch.randn(10_000, 128)
        graph = build_proximity_graph(z, num_neighbors=100,
                                      num_candidates=1000)
        graph.edge_index[:, :3]   # node 0 and its 3 most similar candidates
    """
    check_embeddings(z, "z")
    num_nodes = z.size(0)
    check_num_neighbors(num_neighbors, num_nodes)
    if engine not in ENGINES:
        raise ValueError(f"`engine` must be one of {ENGINES}, got {engine!r}")
    if num_candidates is not None:
        check_positive_int(num_candidates, "num_candidates")
        if num_candidates < num_neighbors:
            raise ValueError(
                f"`num_candidates` ({num_candidates}) must be at least "
                f"`num_neighbors` ({num_neighbors}): the K neighbours are "
                f"chosen among the M candidates")

    num_neighbors = int(num_neighbors)
    num_candidates = None if num_candidates is None else int(num_candidates)
    z32 = z.float()
    check_embeddings(z32, "z (after the cast to float32)")
    zn = F.normalize(z32, dim=1)
    weight, col = proximity_neighbors(zn, num_neighbors, num_candidates,
                                      engine=engine, generator=generator,
                                      engine_options=engine_options)
    return neighbors_to_data(col, weight)


def proximity_neighbors(
    zn: Tensor,
    num_neighbors: int,
    num_candidates: Optional[int],
    *,
    engine: Engine = "auto",
    generator: Optional[torch.Generator] = None,
    engine_options: Optional[Dict[str, Any]] = None,
) -> Tuple[Tensor, Tensor]:
    r"""Unchecked core of :func:`build_proximity_graph` on L2-normalised
    rows: the similarities and out-neighbours, both :obj:`[N, K]`, without
    the :obj:`[2, N * K]` edge index (a sampler keeps the neighbour matrix,
    which is its CSR column vector as it stands)."""
    num_nodes = zn.size(0)
    if is_exact(num_nodes, num_candidates):
        if engine == "auto" and num_nodes > FAISS_FROM:
            engine = "faiss" if _has_faiss() else "matmul"
            if engine == "matmul":
                warnings.warn(
                    f"exact kNN graph of {num_nodes} instances: install "
                    f"faiss-cpu (pip install 'pyg_prosampler[faiss]') for "
                    f"the approximate engine, or pass num_candidates",
                    stacklevel=3)
        if engine == "torch_cluster":
            return knn_torch_cluster(zn, num_neighbors)
        if engine == "faiss":
            return knn_faiss(zn, num_neighbors, **(engine_options or {}))
        return knn_matmul(zn, num_neighbors)
    assert num_candidates is not None
    return knn_candidates(zn, num_neighbors, num_candidates,
                          generator=generator)


def is_exact(num_nodes: int, num_candidates: Optional[int]) -> bool:
    r"""Whether :obj:`num_candidates` asks for the exact kNN graph (no
    candidate pool, or one holding every other node)."""
    return num_candidates is None or num_candidates >= num_nodes - 1


def neighbors_to_data(col: Tensor, weight: Tensor) -> Data:
    r"""Turns an :obj:`[N, K]` neighbour matrix (and its similarities) into a
    CSR-ordered :class:`~torch_geometric.data.Data`."""
    num_nodes, k = col.shape
    row = torch.arange(num_nodes, device=col.device).repeat_interleave(k)
    edge_index = torch.stack([row, col.reshape(-1)], dim=0)
    return Data(edge_index=edge_index, edge_weight=weight.reshape(-1),
                num_nodes=num_nodes)


def knn_matmul(zn: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    r"""Exact top-:obj:`k` inner-product neighbours by blocked matmul.

    Similarity is symmetric, so only the blocks on and above the diagonal
    are computed (half the FLOPs); each block updates the running top-:obj:`k`
    of its rows and, transposed, of its columns.  Holds one
    :obj:`block x block` score matrix at a time.  Returns similarities and
    indices, both :obj:`[N, k]`, most similar first, self excluded."""
    num_nodes, device = zn.size(0), zn.device
    block = min(num_nodes, max(2048, 2 * k))
    best_w = torch.full((num_nodes, k), -math.inf, device=device)
    best_c = torch.zeros((num_nodes, k), dtype=torch.long, device=device)
    starts = list(range(0, num_nodes, block))
    for lo in starts:
        hi = min(lo + block, num_nodes)
        for lo2 in starts:
            if lo2 < lo:
                continue
            hi2 = min(lo2 + block, num_nodes)
            scores = zn[lo:hi] @ zn[lo2:hi2].t()
            if lo2 == lo:
                scores.fill_diagonal_(-math.inf)
            _merge_topk(best_w, best_c, lo, hi, scores, lo2, k)
            if lo2 != lo:
                _merge_topk(best_w, best_c, lo2, hi2, scores.t(), lo, k)
    return best_w, best_c


def _merge_topk(best_w: Tensor, best_c: Tensor, lo: int, hi: int,
                scores: Tensor, col_offset: int, k: int) -> None:
    r"""Merges the top-:obj:`k` of :obj:`scores` (rows :obj:`lo:hi`, columns
    offset by :obj:`col_offset`) into the running :obj:`best_w, best_c`."""
    w, c = scores.topk(min(k, scores.size(1)), dim=1)
    w = torch.cat([best_w[lo:hi], w], dim=1)
    c = torch.cat([best_c[lo:hi], c + col_offset], dim=1)
    w, pos = w.topk(k, dim=1)
    best_w[lo:hi] = w
    best_c[lo:hi] = c.gather(1, pos)


def knn_torch_cluster(zn: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    r"""Exact kNN through :func:`torch_cluster.knn_graph` on normalised
    vectors, reordered to :obj:`[N, k]` rows, most similar first."""
    from torch_cluster import knn_graph

    num_nodes = zn.size(0)
    edge_index = knn_graph(zn, k, loop=False, flow="target_to_source")
    center, nbr = edge_index
    order = torch.argsort(center, stable=True)
    center, nbr = center[order], nbr[order]
    if center.numel() != num_nodes * k:
        raise RuntimeError("torch_cluster.knn_graph returned "
                           f"{center.numel()} edges, expected {num_nodes * k}")
    col = nbr.view(num_nodes, k)
    weight = (zn[center] * zn[nbr]).sum(dim=1).view(num_nodes, k)
    weight, perm = weight.sort(dim=1, descending=True)
    return weight, col.gather(1, perm)


def _has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def knn_faiss(zn: Tensor, k: int, nlist: Optional[int] = None,
              nprobe: int = 16, seed: int = 0, train_per_cell: int = 32,
              niter: int = 10,
              chunk: int = 1 << 17) -> Tuple[Tensor, Tensor]:
    r"""Approximate top-:obj:`k` inner-product neighbours with a
    :obj:`faiss.IndexIVFFlat`: :obj:`nlist` k-means cells (default
    :obj:`4 sqrt(N)`; :obj:`niter` iterations on a seeded sample of
    :obj:`train_per_cell * nlist` points), each query scanning its
    :obj:`nprobe` nearest cells (cost :obj:`N nprobe / nlist` vectors per
    query).  Rows
    where the scanned cells hold fewer than :obj:`k` other points are
    completed exactly, so every row has :obj:`k` distinct neighbours, self
    excluded, most similar first.  Runs on CPU with faiss's threads; the
    index holds one copy of the vectors."""
    try:
        import faiss
    except ImportError as e:  # pragma: no cover - depends on the extra
        raise ImportError("engine='faiss' needs faiss: pip install "
                          "faiss-cpu (or 'pyg_prosampler[faiss]')") from e
    num_nodes, dim = zn.shape
    x = zn.detach().float().cpu().contiguous().numpy()
    nlist = nlist or max(1, min(int(4 * math.sqrt(num_nodes)),
                                num_nodes // 39))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist,
                               faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.cp.niter = niter
    index.cp.min_points_per_centroid = 1  # no warning on small samples
    g = torch.Generator().manual_seed(seed)
    sample = torch.randperm(num_nodes, generator=g)[: train_per_cell * nlist]
    index.train(x[sample.sort().values.numpy()])
    index.add(x)
    index.nprobe = min(nprobe, nlist)
    weight = torch.empty(num_nodes, k)
    col = torch.empty(num_nodes, k, dtype=torch.long)
    incomplete = []
    for lo in range(0, num_nodes, chunk):
        hi = min(lo + chunk, num_nodes)
        d, i = index.search(x[lo:hi], k + 1)
        d, i = torch.from_numpy(d), torch.from_numpy(i)
        rows = torch.arange(lo, hi).view(-1, 1)
        # drop self where found, else the last hit
        drop = (i == rows)
        drop[:, -1] |= ~drop.any(1)
        i = i[~drop].view(-1, k)
        d = d[~drop].view(-1, k)
        weight[lo:hi], col[lo:hi] = d, i
        incomplete.append(lo + (i < 0).any(1).nonzero().view(-1))
    rows = torch.cat(incomplete)
    if rows.numel():
        weight[rows], col[rows] = knn_rows(zn.cpu(), rows, k)
    return weight.to(zn.device), col.to(zn.device)


def knn_rows(zn: Tensor, rows: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    r"""Exact top-:obj:`k` neighbours (self excluded) of the given rows
    only, scanning all :obj:`N` in blocks."""
    best_w = torch.full((rows.numel(), k), -math.inf, device=zn.device)
    best_c = torch.zeros((rows.numel(), k), dtype=torch.long,
                         device=zn.device)
    rows = rows.to(zn.device)
    block = max(1, _MAX_SCORES // max(1, rows.numel()))
    q = zn[rows]
    for lo in range(0, zn.size(0), block):
        hi = min(lo + block, zn.size(0))
        scores = q @ zn[lo:hi].t()
        mine = (rows >= lo) & (rows < hi)
        scores[mine.nonzero().view(-1), rows[mine] - lo] = -math.inf
        _merge_topk(best_w, best_c, 0, rows.numel(), scores, lo, k)
    return best_w, best_c


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
    (see :func:`build_proximity_graph`).  Returns similarities and indices,
    both :obj:`[N, k]`, most similar first.

    With :obj:`rows` (a long tensor of distinct nodes), only those nodes'
    neighbour lists are computed, with fresh candidates drawn from all
    :obj:`N` nodes, and the outputs are :obj:`[len(rows), k]` in the order
    of :obj:`rows`: the rolling refresh of a sampler whose embeddings
    changed on a few rows only.

    With :obj:`shard=(rank, world_size)` every rank draws the same plan
    (same :obj:`generator` state), scores a contiguous share of the groups
    and :obj:`gather` (e.g. an all-gather of rows in rank order) assembles
    the shares, so all ranks return what one process would."""
    num_nodes, device = zn.size(0), zn.device
    pool = num_candidates + 1
    num_rows = num_nodes if rows is None else rows.numel()
    if group_size is None:  # 128, or fewer so that a node lies in ~8 pools
        group_size = min(128, max(16, pool // 8))
    group_size = min(group_size, num_rows)
    num_groups = -(-num_rows // group_size)

    # Queries: a random permutation of the rows cut in groups; the last
    # group is padded with the permutation's first rows, whose duplicate
    # results are dropped.
    order = torch.randperm(num_rows, generator=generator, device=device)
    query_perm = order if rows is None else rows.to(device)[order]
    pad = num_groups * group_size - num_rows
    queries = torch.cat([query_perm, query_perm[:pad]]).view(num_groups, -1)

    if rows is None or 2 * pool > num_nodes:
        # Pools: windows of a second permutation at evenly spaced offsets
        # (one random shift), so every node is a candidate of the same
        # number of groups, (M + 1) * groups / N, give or take one: none is
        # left without in-edges, which would make it reachable by no walk.
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
            # Column to drop per query: itself if in its pool, else the
            # last one.
            self_pos = (rank[queries[lo:hi]] - offsets[lo:hi]) % num_nodes
            return pools, torch.where(self_pos < pool, self_pos,
                                      torch.full_like(self_pos, pool - 1))
    else:
        # A few rows (a rolling refresh): independent uniform pools, drawn
        # in O(rows * M) instead of permuting all N nodes per refresh.
        all_pools = distinct_rows(num_nodes, num_groups, pool, generator,
                                  device)
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

    # This shard's groups, scored by groups of groups per bmm (at most
    # _MAX_SCORES scores at once).  One process writes each chunk straight
    # to its rows; shards are gathered first.
    me, world_size = shard
    if world_size > 1 and gather is None:
        raise ValueError("`shard` over several ranks needs `gather`")
    first = num_groups * me // world_size
    last = num_groups * (me + 1) // world_size
    out_w = torch.empty(num_rows, k, device=device)
    out_c = torch.empty(num_rows, k, dtype=torch.long, device=device)
    if world_size > 1:
        weight = torch.empty((last - first) * group_size, k, device=device)
        col = torch.empty((last - first) * group_size, k, dtype=torch.long,
                          device=device)
    chunk = max(1, _MAX_SCORES // (group_size * pool))
    for lo in range(first, last, chunk):
        hi = min(lo + chunk, last)
        pools, drop = pools_of(lo, hi)
        q = zn[queries[lo:hi]]  # [g, group_size, d]
        p = zn[pools]  # [g, M + 1, d]
        scores = torch.bmm(q, p.transpose(1, 2))
        scores.scatter_(2, drop.unsqueeze(-1), -math.inf)
        w, pos = scores.topk(k, dim=2)
        c = pools.unsqueeze(1).expand(-1, group_size, -1).gather(2, pos)
        if world_size > 1:
            part = slice((lo - first) * group_size, (hi - first) * group_size)
            weight[part] = w.reshape(-1, k)
            col[part] = c.reshape(-1, k)
        else:
            _scatter_rows(out_w, out_c, order, lo * group_size,
                          w.reshape(-1, k), c.reshape(-1, k))
    if world_size > 1:
        assert gather is not None
        # int32 indices halve what the ranks send, where they fit
        narrow = num_nodes < 2**31
        col = gather(col.int() if narrow else col).long()
        _scatter_rows(out_w, out_c, order, 0, gather(weight), col)
    return out_w, out_c


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
