r"""Proximity graphs over embedding sets.

A proximity graph links every instance to the :obj:`K` instances most similar
to it (cosine similarity) among a candidate set: all other instances for the
exact kNN graph, or :obj:`M` uniformly drawn ones for the graph of the
ProSampler paper.  Graphs are returned as PyG
:class:`~torch_geometric.data.Data` objects whose :obj:`edge_index` is
sorted by source node (CSR order), with the :obj:`K` out-neighbours of
each node ordered from most to least similar.

The exact kNN graph has four engines.  :obj:`"matmul"` computes it as
blocked :obj:`matmul` + :obj:`topk` on L2-normalised vectors, over the
blocks on and above the diagonal (never an :obj:`N x N` matrix);
:obj:`"torch_cluster"` calls :func:`torch_cluster.knn_graph` on
L2-normalised vectors (Euclidean order equals cosine order there, and
cosine is not supported by :obj:`torch_cluster` on CPU).  :obj:`"faiss"`
is approximate: an inverted-file index (IVF-Flat) of :obj:`faiss` (the
:obj:`faiss` extra), for millions of instances; rows whose scanned cells
hold fewer than :obj:`K` other points are completed exactly.  Its recall
depends on how clustered the embeddings are: recall@10 was 1.0 on
clustered embeddings but 0.16 on isotropic Gaussian ones at 100k (0.67
with :obj:`nprobe=256`, as slow as exact there; see
:obj:`benchmarks/results/scale.md`); raise :obj:`nprobe` or pass
:obj:`engine="matmul"` when in doubt.  :obj:`"auto"` picks
:obj:`"matmul"` (measured 100x+ faster than :obj:`torch_cluster` on CPU,
see :obj:`benchmarks/`) up to :obj:`FAISS_FROM` instances and
:obj:`"faiss"` beyond, when installed.

The paper's graph (:obj:`num_candidates=M`) takes, for every node, the
:obj:`K` most similar among :obj:`M` candidates drawn uniformly without
replacement from the other :obj:`N - 1` nodes.  To be compute-bound instead
of gather-bound, nodes are processed in random groups of up to 128 that
share one candidate pool of :obj:`M + 1` nodes (a window of a random
permutation; windows evenly spaced so that every node is a candidate of as
many groups), so a group costs one dense :obj:`[128, d] x [d, M + 1]`
product.  A node drops itself from the pool if present, else the pool's
last node, so each node's candidate set is *exactly* a uniform
:obj:`M`-subset of the other nodes, as in the paper; only the joint law
differs (nodes of a group share candidates, and pools overlap by
construction).
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, Literal, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from pyg_prosampler._candidates import knn_candidates
from pyg_prosampler._knn import (
    has_faiss,
    is_exact,
    knn_faiss,
    knn_matmul,
    knn_torch_cluster,
    neighbors_to_data,
)
from pyg_prosampler._validation import (
    check_embeddings,
    check_num_neighbors,
    check_positive_int,
)

__all__ = ["build_proximity_graph", "Engine", "ENGINES", "FAISS_FROM"]

Engine = Literal["auto", "matmul", "torch_cluster", "faiss"]
ENGINES = ("auto", "matmul", "torch_cluster", "faiss")

# "auto" switches from the exact blocked matmul to faiss (when installed)
# above this many instances: the exact graph costs N^2 d flops (about 20 s
# at 200k x 128 on 2 cores, 100x more at 2M).
FAISS_FROM = 200_000


def build_proximity_graph(
    z: Tensor,
    num_neighbors: int = 100,
    num_candidates: Optional[int] = 1000,
    *,
    engine: Engine = "auto",
    generator: Optional[torch.Generator] = None,
    engine_options: Optional[Dict[str, Any]] = None,
) -> Data:
    r"""Builds the directed proximity graph of an embedding set: every node
    :obj:`i` gets exactly :obj:`num_neighbors` out-edges :obj:`(i, j)`, no
    self loops and no duplicates, weighted by the cosine similarity of
    :obj:`z[i]` and :obj:`z[j]`, to the most similar nodes among all others
    (:obj:`num_candidates=None`, or :obj:`>= N - 1`: the exact kNN graph) or
    among :obj:`num_candidates` uniform candidates (the paper's graph).
    The engines and the candidate pools are described in
    :mod:`pyg_prosampler.proximity_graph`.

    Args:
        z (torch.Tensor): Embeddings of shape :obj:`[N, d]`, floating point,
            finite.
        num_neighbors (int, optional): Out-degree :obj:`K`, smaller than
            :obj:`N`. (default: :obj:`100`)
        num_candidates (int, optional): Candidate pool size :obj:`M >= K`;
            :obj:`None` builds the exact kNN graph. (default: :obj:`1000`)
        engine (str, optional): Exact kNN engine, :obj:`"auto"`,
            :obj:`"matmul"`, :obj:`"torch_cluster"` or :obj:`"faiss"`.
            (default: :obj:`"auto"`)
        generator (torch.Generator, optional): Random source of the candidate
            pools, on :obj:`z`'s device. (default: :obj:`None`)
        engine_options (dict, optional): Options of the :obj:`"faiss"`
            engine: :obj:`nlist` (cells, default :obj:`4 sqrt(N)`),
            :obj:`nprobe` (cells scanned per query, default :obj:`16`),
            :obj:`seed` (of the k-means sample, default :obj:`0`).

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
    _check_graph_args(z, num_neighbors, num_candidates, engine)
    num_neighbors = int(num_neighbors)
    num_candidates = None if num_candidates is None else int(num_candidates)
    z32 = z.float()
    check_embeddings(z32, "z (after the cast to float32)")
    zn = F.normalize(z32, dim=1)
    weight, col = _proximity_neighbors(zn, num_neighbors, num_candidates,
                                       engine=engine, generator=generator,
                                       engine_options=engine_options)
    return neighbors_to_data(col, weight)


def _check_graph_args(z: Tensor, num_neighbors: int,
                      num_candidates: Optional[int], engine: str) -> None:
    r"""Refuses arguments :func:`build_proximity_graph` cannot use."""
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


def _proximity_neighbors(
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
            engine = "faiss" if has_faiss() else "matmul"
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


