r"""GraphCL's four graph augmentations, vectorised over a PyG mini-batch.

Every function takes the flat tensors of a batch (:obj:`x`, :obj:`edge_index`,
:obj:`batch` vector) and returns new ones; graphs are never looped over in
Python.  :func:`random_augment` picks one augmentation per graph, as GraphCL's
``random`` mode, and applies all of them in one pass.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import torch
from torch import Tensor
from torch_geometric.utils import scatter

AUGMENTATIONS = ("drop_nodes", "perturb_edges", "subgraph", "mask_attributes")


class Graphs(NamedTuple):
    r"""The flat tensors of a mini-batch of graphs."""

    x: Tensor
    edge_index: Tensor
    batch: Tensor
    num_graphs: int


def rank_in_group(group: Tensor, num_groups: int,
                  generator: Optional[torch.Generator] = None) -> Tensor:
    r"""A uniformly random rank :obj:`0..size-1` of every element within its
    group (e.g. nodes within their graph)."""
    score = torch.rand(group.numel(), generator=generator).to(group.device)
    order = torch.argsort(group.double() * 2 + score.double())
    count = torch.bincount(group, minlength=num_groups)
    first = torch.cumsum(count, 0) - count
    rank = torch.empty_like(group)
    rank[order] = torch.arange(group.numel(), device=group.device) \
        - first[group[order]]
    return rank


def _keep_nodes(g: Graphs, keep: Tensor) -> Graphs:
    r"""Induced subgraph on the nodes where :obj:`keep` is true."""
    new_id = torch.cumsum(keep.long(), 0) - 1
    e = g.edge_index
    ok = keep[e[0]] & keep[e[1]]
    return Graphs(g.x[keep], new_id[e[:, ok]], g.batch[keep], g.num_graphs)


def random_augment(
    g: Graphs,
    drop_ratio: float = 0.1,
    perturb_ratio: float = 0.1,
    subgraph_ratio: float = 0.2,
    mask_ratio: float = 0.1,
    choice: Optional[Tensor] = None,
    generator: Optional[torch.Generator] = None,
) -> Graphs:
    r"""Applies one augmentation per graph, chosen uniformly (or given by
    :obj:`choice`, indices into :obj:`AUGMENTATIONS`):

    * ``drop_nodes``: removes :obj:`floor(drop_ratio * n)` random nodes and
      their edges;
    * ``perturb_edges``: removes :obj:`floor(perturb_ratio * m)` random
      (directed) edges and adds as many random directed node pairs of the
      same graph, self loops excluded (the reference code adds them
      directed too, but allows self loops);
    * ``subgraph``: keeps the :obj:`ceil(subgraph_ratio * n)` nodes closest
      to a random seed node (breadth-first order, random ties), i.e. a
      connected subgraph; a component smaller than that is kept whole.
      (The reference code means to grow the subgraph by neighbours of
      neighbours, but a discarded set union keeps it within the seed's
      neighbours; we grow it as intended.)
    * ``mask_attributes``: replaces the features of
      :obj:`floor(mask_ratio * n)` random nodes by the graph's mean feature
      vector, as the reference code.

    Every graph keeps at least one node.

    Args:
        g (Graphs): The batch.
        choice (torch.Tensor, optional): Augmentation per graph.
        generator (torch.Generator, optional): CPU random source.
    """
    _check_graphs(g)
    for ratio, name in ((drop_ratio, "drop_ratio"),
                        (perturb_ratio, "perturb_ratio"),
                        (subgraph_ratio, "subgraph_ratio"),
                        (mask_ratio, "mask_ratio")):
        if isinstance(ratio, bool) or not 0 <= ratio <= 1:
            raise ValueError(f"`{name}` must lie in [0, 1], got {ratio!r}")
    device = g.x.device
    num_nodes = g.batch.numel()
    if choice is None:
        choice = torch.randint(len(AUGMENTATIONS), (g.num_graphs,),
                               generator=generator).to(device)
    sizes = torch.bincount(g.batch, minlength=g.num_graphs)
    node_aug = choice[g.batch]
    rank = rank_in_group(g.batch, g.num_graphs, generator)

    # Attribute masking: the graph's mean vector on the chosen nodes.
    x = g.x.clone()
    masked = (node_aug == 3) & (rank < (sizes.float() * mask_ratio)
                                .floor().long()[g.batch])
    if bool(masked.any()):
        mean = scatter(g.x, g.batch, 0, dim_size=g.num_graphs, reduce="mean")
        x[masked] = mean[g.batch[masked]]

    # Edge perturbation: drop some directed edges, add as many random ones.
    e = g.edge_index
    edge_graph = g.batch[e[0]]
    edge_aug = choice[edge_graph]
    num_edges = torch.bincount(edge_graph, minlength=g.num_graphs)
    num_perturb = (num_edges.float() * perturb_ratio).floor().long()
    num_perturb = num_perturb * (choice == 1).long() * (sizes > 1).long()
    erank = rank_in_group(edge_graph, g.num_graphs, generator)
    keep_edge = ~((edge_aug == 1) & (erank < num_perturb[edge_graph]))
    add_graph = torch.repeat_interleave(
        torch.arange(g.num_graphs, device=device), num_perturb)
    first_node = torch.cumsum(sizes, 0) - sizes
    n_add = sizes[add_graph]
    u = (torch.rand(add_graph.numel(), generator=generator).to(device)
         * n_add).long()
    v = (torch.rand(add_graph.numel(), generator=generator).to(device)
         * (n_add - 1)).long()
    v = v + (v >= u).long()  # a different node of the same graph
    added = torch.stack([u, v]) + first_node[add_graph]
    edge_index = torch.cat([e[:, keep_edge], added], dim=1)

    # Node dropping and subgraph: which nodes stay.
    keep = torch.ones(num_nodes, dtype=torch.bool, device=device)
    num_drop = (sizes.float() * drop_ratio).floor().long()
    keep &= ~((node_aug == 0) & (rank < num_drop[g.batch]))
    sub = node_aug == 2
    if bool(sub.any()):
        keep &= ~sub | _bfs_keep(g, rank, sizes, subgraph_ratio, choice == 2)
    return _keep_nodes(Graphs(x, edge_index, g.batch, g.num_graphs), keep)


def _bfs_keep(g: Graphs, rank: Tensor, sizes: Tensor, ratio: float,
              chosen: Tensor) -> Tensor:
    r"""Nodes of the BFS ball around a random seed (the node of rank 0) of
    each chosen graph, cut to :obj:`ceil(ratio * n)` nodes."""
    device = g.x.device
    target = (sizes.float() * ratio).ceil().long().clamp(min=1)
    inf = torch.iinfo(torch.long).max
    dist = torch.full_like(g.batch, inf)
    frontier = (rank == 0) & chosen[g.batch]
    dist[frontier] = 0
    src, dst = g.edge_index
    hop = 0
    reached = torch.bincount(g.batch[frontier], minlength=g.num_graphs)
    while bool(frontier.any()):
        hop += 1
        # Graphs that already hold enough nodes stop growing.
        growing = reached < target
        step = frontier[src] & growing[g.batch[src]]
        nxt = torch.zeros_like(frontier)
        nxt[dst[step]] = True
        nxt &= dist == inf
        dist[nxt] = hop
        reached += torch.bincount(g.batch[nxt], minlength=g.num_graphs)
        frontier = nxt
    # Order inside a graph by (distance, random rank); keep the first ones.
    far = torch.full_like(dist, g.batch.numel() + 1)
    key = torch.where(dist == inf, far, dist) * (sizes.max() + 1) + rank
    order = torch.argsort(g.batch * (key.max() + 1) + key)
    first = torch.cumsum(sizes, 0) - sizes
    pos = torch.empty_like(g.batch)
    pos[order] = torch.arange(g.batch.numel(), device=device) \
        - first[g.batch[order]]
    return (pos < target[g.batch]) & (dist != inf)


def _check_graphs(g: Graphs) -> None:
    r"""Refuses a batch whose flat tensors disagree, before any indexing."""
    if not isinstance(g.x, Tensor) or g.x.dim() != 2:
        raise ValueError(f"`x` must be a [num_nodes, F] tensor, got "
                         f"{getattr(g.x, 'shape', type(g.x).__name__)}")
    n = g.x.size(0)
    if not isinstance(g.batch, Tensor) or tuple(g.batch.shape) != (n,) \
            or g.batch.is_floating_point():
        raise ValueError(f"`batch` must hold one graph index per node "
                         f"({n}), got {getattr(g.batch, 'shape', g.batch)}")
    if n and (int(g.batch.min()) < 0 or int(g.batch.max()) >= g.num_graphs):
        raise ValueError(f"`batch` values must lie in [0, num_graphs = "
                         f"{g.num_graphs})")
    e = g.edge_index
    if not isinstance(e, Tensor) or e.dim() != 2 or e.size(0) != 2 \
            or e.is_floating_point():
        raise ValueError("`edge_index` must be an integer [2, num_edges] "
                         "tensor")
    if e.numel() and (int(e.min()) < 0 or int(e.max()) >= n):
        raise ValueError(f"`edge_index` holds node indices outside [0, {n})")
