r"""The vectorised kernel of GraphCL's augmentations
(:mod:`pyg_prosampler.contrastive.augment`), on the flat tensors of a
mini-batch: one augmentation per graph, no Python loop over graphs."""
from __future__ import annotations

import numbers
from typing import NamedTuple, Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.utils import scatter

# The augmentations, in the order of the per-graph choice indices.
AUGMENTATIONS = ("drop_nodes", "perturb_edges", "subgraph", "mask_attributes")


class FlatGraphs(NamedTuple):
    r"""The flat tensors of a mini-batch of graphs."""

    x: Tensor
    edge_index: Tensor
    batch: Tensor
    num_graphs: int


class Ratios(NamedTuple):
    r"""The size of every augmentation, in the order of
    :obj:`AUGMENTATIONS`: the fraction of nodes dropped, of edges perturbed,
    of nodes kept by the subgraph, of nodes masked."""

    drop: float = 0.1
    perturb: float = 0.1
    subgraph: float = 0.2
    mask: float = 0.1


class Augmented(NamedTuple):
    r"""An augmented batch, with the input node each output node was
    (:obj:`node_kept`, a mask over input nodes) and the input edge each
    output edge was (:obj:`edge_origin`, :obj:`-1` for an added edge)."""

    graphs: FlatGraphs
    node_kept: Tensor
    edge_origin: Tensor


def augment(g: FlatGraphs, choice: Tensor, ratios: Ratios,
            generator: Optional[torch.Generator]) -> Augmented:
    r"""Applies augmentation :obj:`choice[i]` to graph :obj:`i`: the
    vectorised kernel of every transform.  Draws, in this order, the rank
    of every node in its graph, then that of every edge, then the endpoints
    of the added edges."""
    sizes = torch.bincount(g.batch, minlength=g.num_graphs)
    node_aug = choice[g.batch]
    rank = _rank_in_group(g.batch, g.num_graphs, generator)
    x = _mask_attributes(g, rank, sizes, ratios.mask, node_aug == 3)
    edge_index, edge_origin = _perturb_edges(g, sizes, ratios.perturb,
                                             choice == 1, generator)
    num_drop = (sizes.float() * ratios.drop).floor().long()
    keep = ~((node_aug == 0) & (rank < num_drop[g.batch]))
    sub = node_aug == 2
    if bool(sub.any()):
        keep &= ~sub | _bfs_keep(g, rank, sizes, ratios.subgraph,
                                 choice == 2)
    new_id = torch.cumsum(keep.long(), 0) - 1
    ok = keep[edge_index[0]] & keep[edge_index[1]]
    graphs = FlatGraphs(x[keep], new_id[edge_index[:, ok]], g.batch[keep],
                        g.num_graphs)
    return Augmented(graphs, keep, edge_origin[ok])


def _rank_in_group(group: Tensor, num_groups: int,
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


def _mask_attributes(g: FlatGraphs, rank: Tensor, sizes: Tensor, ratio: float,
                     chosen: Tensor) -> Tensor:
    r"""The features with those of the :obj:`floor(ratio * n)` first-ranked
    nodes of the chosen nodes' graphs replaced by their graph's mean."""
    x = g.x.clone()
    masked = chosen & (rank < (sizes.float() * ratio).floor().long()[g.batch])
    if bool(masked.any()):
        mean = scatter(g.x, g.batch, 0, dim_size=g.num_graphs, reduce="mean")
        x[masked] = mean[g.batch[masked]]
    return x


def _perturb_edges(
    g: FlatGraphs,
    sizes: Tensor,
    ratio: float,
    chosen: Tensor,
    generator: Optional[torch.Generator],
) -> Tuple[Tensor, Tensor]:
    r"""The edges once the chosen graphs (of two nodes or more) traded
    :obj:`floor(ratio * m)` random edges for as many random directed node
    pairs (self loops excluded), and the input edge of every output edge
    (:obj:`-1` for an added one)."""
    device, e = g.x.device, g.edge_index
    edge_graph = g.batch[e[0]]
    num_edges = torch.bincount(edge_graph, minlength=g.num_graphs)
    num_perturb = (num_edges.float() * ratio).floor().long()
    num_perturb = num_perturb * chosen.long() * (sizes > 1).long()
    erank = _rank_in_group(edge_graph, g.num_graphs, generator)
    keep_edge = ~(chosen[edge_graph] & (erank < num_perturb[edge_graph]))
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
    origin = torch.cat([keep_edge.nonzero().view(-1),
                        torch.full_like(u, -1)])
    return torch.cat([e[:, keep_edge], added], dim=1), origin


def _bfs_keep(g: FlatGraphs, rank: Tensor, sizes: Tensor, ratio: float,
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


def checked_ratios(drop: float, perturb: float, subgraph: float,
                    mask: float) -> Ratios:
    r"""The four ratios, checked."""
    check_ratio(drop, "drop_ratio", below_one=True)
    for value, name in ((perturb, "perturb_ratio"),
                        (subgraph, "subgraph_ratio"), (mask, "mask_ratio")):
        check_ratio(value, name)
    return Ratios(float(drop), float(perturb), float(subgraph), float(mask))


def check_ratio(value: float, name: str, below_one: bool = False) -> None:
    r"""Refuses a ratio outside :obj:`[0, 1]` (:obj:`[0, 1)` where all
    would be too many: dropping every node leaves empty graphs)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0 <= value <= 1 or (below_one and value == 1):
        interval = "[0, 1)" if below_one else "[0, 1]"
        raise ValueError(f"`{name}` must lie in {interval}, got {value!r}")


def check_graphs(g: FlatGraphs) -> None:
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
