r"""The kNN engines behind :func:`~pyg_prosampler.build_proximity_graph`
and the samplers, on L2-normalised rows (inner product = cosine),
unchecked: the exact blocked matmul, the exact scan of a few rows, and the
:obj:`torch_cluster` and :obj:`faiss` engines.  Every engine returns
similarities and neighbours, both :obj:`[rows, k]`, most similar first,
self excluded.  Also the two helpers the samplers share with
:mod:`pyg_prosampler.proximity_graph`: whether a candidate count asks for
the exact graph, and a neighbour matrix as a graph."""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data

# Upper bound on the number of float32 similarity scores held at once by the
# blocked engines (64M scores = 256 MB).
MAX_SCORES = 1 << 26


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
    :obj:`block x block` score matrix at a time."""
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


def knn_rows(zn: Tensor, rows: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    r"""Exact top-:obj:`k` neighbours of the given rows only, scanning all
    :obj:`N` in blocks."""
    best_w = torch.full((rows.numel(), k), -math.inf, device=zn.device)
    best_c = torch.zeros((rows.numel(), k), dtype=torch.long,
                         device=zn.device)
    rows = rows.to(zn.device)
    block = max(1, MAX_SCORES // max(1, rows.numel()))
    q = zn[rows]
    for lo in range(0, zn.size(0), block):
        hi = min(lo + block, zn.size(0))
        scores = q @ zn[lo:hi].t()
        mine = (rows >= lo) & (rows < hi)
        scores[mine.nonzero().view(-1), rows[mine] - lo] = -math.inf
        _merge_topk(best_w, best_c, 0, rows.numel(), scores, lo, k)
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
    vectors (Euclidean order equals cosine order there), reordered to
    :obj:`[N, k]` rows."""
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


def has_faiss() -> bool:
    r"""Whether :obj:`faiss` can be imported."""
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
    query).  Rows where the scanned cells hold fewer than :obj:`k` other
    points are completed exactly, so every row has :obj:`k` distinct
    neighbours.  Runs on CPU with faiss's threads; the index holds one copy
    of the vectors."""
    index, x = _faiss_index(zn, nlist, nprobe, seed, train_per_cell, niter)
    num_nodes = x.shape[0]
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


def _faiss_index(zn: Tensor, nlist: Optional[int], nprobe: int, seed: int,
                 train_per_cell: int, niter: int) -> Tuple[Any, Any]:
    r"""The trained and filled :obj:`faiss.IndexIVFFlat` of :obj:`zn`, and
    :obj:`zn` as the float32 numpy array it holds."""
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
    index.nprobe = min(nprobe, nlist)  # faiss's wrapper keeps `quantizer`
    return index, x
