r"""GraphCL's four graph augmentations as PyG transforms, vectorised over
the graphs of a mini-batch.

Each transform takes a :class:`~torch_geometric.data.Batch` (or a single
:class:`~torch_geometric.data.Data`) and returns an augmented copy; graphs
are never looped over in Python, and every random choice is drawn from the
transform's :obj:`generator` (torch's global CPU generator when
:obj:`None`).  :class:`DropNodes`, :class:`PerturbEdges`,
:class:`Subgraph` and :class:`MaskAttributes` apply one augmentation to
every graph; :class:`RandomAugment` picks one per graph, as GraphCL's
``random`` mode, and applies all of them in one pass.  Every graph keeps
at least one node.

.. code-block:: python

    augment = RandomAugment(generator=torch.Generator().manual_seed(0))
    for batch in loader:
        view = augment(batch)       # a Batch: x, edge_index, batch, ptr
        _, z1 = model(batch.x, batch.edge_index, batch.batch,
                      batch.num_graphs)
        _, z2 = model(view.x, view.edge_index, view.batch, view.num_graphs)

The view's node-level attributes are those of its kept nodes, and its
graph-level attributes (:obj:`y`, :obj:`idx`, ...) are unchanged.  Its
edge-level attributes (e.g. :obj:`edge_attr`) are those of its kept edges,
except after :class:`PerturbEdges` and :class:`RandomAugment`, which may
add edges that have none: their views carry no edge-level attributes
besides :obj:`edge_index`.  A view of a :class:`Batch` cannot be split back
into graphs (:meth:`~torch_geometric.data.Batch.to_data_list`), since a
graph's added edges are not stored next to its other edges.
"""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data
from torch_geometric.transforms import BaseTransform

from pyg_prosampler.contrastive._augment_kernel import (
    AUGMENTATIONS,
    Augmented,
    FlatGraphs,
    Ratios,
    augment,
    check_graphs,
    check_ratio,
    checked_ratios,
)

__all__ = ["DropNodes", "PerturbEdges", "Subgraph", "MaskAttributes",
           "RandomAugment", "AUGMENTATIONS"]

# The former public name of the flat tensors, for callers of
# `random_augment` not yet switched to the transforms.
Graphs = FlatGraphs


class _GraphCLTransform(BaseTransform):
    r"""Base of the GraphCL augmentations: picks an augmentation per graph
    (:meth:`_choose`) and applies the vectorised kernel."""

    # Whether the views keep the edge-level attributes of their kept edges
    # (False when edges may be added).
    keeps_edge_attrs = True

    def __init__(self, ratios: Ratios,
                 generator: Optional[torch.Generator]) -> None:
        if generator is not None and (
                not isinstance(generator, torch.Generator)
                or generator.device.type != "cpu"):
            raise ValueError(f"`generator` must be a CPU torch.Generator or "
                             f"None, got {generator!r}")
        self.ratios = ratios
        self.generator = generator

    def forward(self, data: Union[Data, Batch]) -> Union[Data, Batch]:
        graphs = _graphs_of(data)
        check_graphs(graphs)
        choice = self._choose(graphs)
        augmented = augment(graphs, choice, self.ratios, self.generator)
        return _view_of(data, augmented, self.keeps_edge_attrs)

    def _choose(self, graphs: FlatGraphs) -> Tensor:
        r"""The augmentation of every graph, as indices into
        :obj:`AUGMENTATIONS`."""
        raise NotImplementedError


class _SingleAugmentation(_GraphCLTransform):
    r"""One augmentation, the same for every graph, of size :obj:`ratio`."""

    index: int  # into AUGMENTATIONS

    def __init__(self, ratio: float, *,
                 generator: Optional[torch.Generator] = None) -> None:
        name = AUGMENTATIONS[self.index]
        check_ratio(ratio, "ratio", below_one=name == "drop_nodes")
        super().__init__(Ratios()._replace(
            **{Ratios._fields[self.index]: float(ratio)}), generator)
        self.ratio = float(ratio)

    def _choose(self, graphs: FlatGraphs) -> Tensor:
        return torch.full((graphs.num_graphs,), self.index, dtype=torch.long,
                          device=graphs.x.device)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(ratio={self.ratio})"


class DropNodes(_SingleAugmentation):
    r"""Removes :obj:`floor(ratio * n)` uniformly chosen nodes of every
    graph, and their edges (GraphCL's node dropping).

    Args:
        ratio (float, optional): Fraction of nodes dropped, in
            :obj:`[0, 1)`. (default: :obj:`0.1`)
        generator (torch.Generator, optional): CPU random source.
            (default: :obj:`None`)
    """

    index = 0

    def __init__(self, ratio: float = 0.1, *,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(ratio, generator=generator)


class PerturbEdges(_SingleAugmentation):
    r"""Removes :obj:`floor(ratio * m)` uniformly chosen (directed) edges of
    every graph of :obj:`m` edges and at least two nodes, and adds as many
    uniformly drawn directed node pairs of the same graph, self loops
    excluded (GraphCL's edge perturbation; the reference code adds them
    directed too, but allows self loops).

    Args:
        ratio (float, optional): Fraction of edges perturbed, in
            :obj:`[0, 1]`. (default: :obj:`0.1`)
        generator (torch.Generator, optional): CPU random source.
            (default: :obj:`None`)
    """

    index = 1
    keeps_edge_attrs = False

    def __init__(self, ratio: float = 0.1, *,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(ratio, generator=generator)


class Subgraph(_SingleAugmentation):
    r"""Keeps the :obj:`ceil(ratio * n)` nodes of every graph closest to a
    uniformly chosen seed node (breadth-first order, random ties), i.e. a
    connected subgraph; a component smaller than that is kept whole
    (GraphCL's subgraph; the reference code means to grow the subgraph by
    neighbours of neighbours, but a discarded set union keeps it within the
    seed's neighbours: we grow it as intended).

    Args:
        ratio (float, optional): Fraction of nodes kept, in :obj:`[0, 1]`.
            (default: :obj:`0.2`)
        generator (torch.Generator, optional): CPU random source.
            (default: :obj:`None`)
    """

    index = 2

    def __init__(self, ratio: float = 0.2, *,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(ratio, generator=generator)


class MaskAttributes(_SingleAugmentation):
    r"""Replaces the features :obj:`x` of :obj:`floor(ratio * n)` uniformly
    chosen nodes of every graph by the graph's mean feature vector, as
    GraphCL's reference code (attribute masking).

    Args:
        ratio (float, optional): Fraction of nodes masked, in
            :obj:`[0, 1]`. (default: :obj:`0.1`)
        generator (torch.Generator, optional): CPU random source.
            (default: :obj:`None`)
    """

    index = 3

    def __init__(self, ratio: float = 0.1, *,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(ratio, generator=generator)


class RandomAugment(_GraphCLTransform):
    r"""Applies one augmentation per graph, chosen uniformly among
    :class:`DropNodes`, :class:`PerturbEdges`, :class:`Subgraph` and
    :class:`MaskAttributes` (GraphCL's ``random`` mode), all in one pass.

    .. code-block:: python

        augment = RandomAugment(generator=torch.Generator().manual_seed(0))
        view = augment(batch)

    Args:
        drop_ratio (float, optional): :class:`DropNodes`'s ratio, in
            :obj:`[0, 1)`. (default: :obj:`0.1`)
        perturb_ratio (float, optional): :class:`PerturbEdges`'s ratio.
            (default: :obj:`0.1`)
        subgraph_ratio (float, optional): :class:`Subgraph`'s ratio.
            (default: :obj:`0.2`)
        mask_ratio (float, optional): :class:`MaskAttributes`'s ratio.
            (default: :obj:`0.1`)
        generator (torch.Generator, optional): CPU random source.
            (default: :obj:`None`)
    """

    keeps_edge_attrs = False

    def __init__(self, drop_ratio: float = 0.1, perturb_ratio: float = 0.1,
                 subgraph_ratio: float = 0.2, mask_ratio: float = 0.1, *,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(checked_ratios(drop_ratio, perturb_ratio,
                                         subgraph_ratio, mask_ratio),
                         generator)

    def _choose(self, graphs: FlatGraphs) -> Tensor:
        return torch.randint(len(AUGMENTATIONS), (graphs.num_graphs,),
                             generator=self.generator).to(graphs.x.device)

    def __repr__(self) -> str:
        r = self.ratios
        return (f"{self.__class__.__name__}(drop_ratio={r.drop}, "
                f"perturb_ratio={r.perturb}, subgraph_ratio={r.subgraph}, "
                f"mask_ratio={r.mask})")


def random_augment(
    g: FlatGraphs,
    drop_ratio: float = 0.1,
    perturb_ratio: float = 0.1,
    subgraph_ratio: float = 0.2,
    mask_ratio: float = 0.1,
    choice: Optional[Tensor] = None,
    generator: Optional[torch.Generator] = None,
) -> FlatGraphs:
    r"""The former functional form of :class:`RandomAugment`, on the flat
    tensors :obj:`(x, edge_index, batch, num_graphs)` of a batch, kept for
    callers not yet switched: :obj:`RandomAugment(..., generator=gen)(batch)`
    gives the same graphs for the same generator state.  :obj:`choice`
    (indices into :obj:`AUGMENTATIONS`, one per graph) fixes the
    augmentations instead of drawing them."""
    check_graphs(g)
    ratios = checked_ratios(drop_ratio, perturb_ratio, subgraph_ratio,
                             mask_ratio)
    if choice is None:
        choice = torch.randint(len(AUGMENTATIONS), (g.num_graphs,),
                               generator=generator).to(g.x.device)
    return augment(g, choice, ratios, generator).graphs


def _graphs_of(data: Union[Data, Batch]) -> FlatGraphs:
    r"""The flat tensors of a :class:`Batch`, or of a :class:`Data` read as
    a batch of one graph."""
    if not isinstance(data, Data):  # Batch subclasses Data; HeteroData not
        raise TypeError(f"GraphCL's augmentations take a Data or Batch of "
                        f"homogeneous graphs, got {type(data).__name__}")
    for key in ("x", "edge_index"):
        if not isinstance(getattr(data, key, None), Tensor):
            raise ValueError(f"GraphCL's augmentations need `{key}`; the "
                             f"graph has {sorted(data.keys())}")
    if isinstance(data, Batch):
        return FlatGraphs(data.x, data.edge_index, data.batch, data.num_graphs)
    batch = torch.zeros(data.x.size(0), dtype=torch.long,
                        device=data.x.device)
    return FlatGraphs(data.x, data.edge_index, batch, 1)


def _view_of(data: Union[Data, Batch], augmented: Augmented,
             keep_edge_attrs: bool) -> Union[Data, Batch]:
    r"""Writes :obj:`augmented` into :obj:`data` (the transform's shallow
    copy): node-level attributes of the kept nodes, edge-level ones of the
    kept edges (or none), graph-level ones unchanged."""
    g = augmented.graphs
    kept = augmented.node_kept.nonzero().view(-1)
    # Classified before any change: the checks compare sizes with the
    # graph's node and edge counts.
    own = {"x", "edge_index", "batch", "ptr", "num_nodes"}
    node_keys = [k for k in data.keys()
                 if k not in own and data.is_node_attr(k)]
    edge_keys = [k for k in data.keys() if k not in own
                 and k not in node_keys and data.is_edge_attr(k)]
    for key in node_keys:
        value = data[key]
        data[key] = value.index_select(data.__cat_dim__(key, value), kept)
    for key in edge_keys:
        value = data[key]
        if keep_edge_attrs:
            data[key] = value.index_select(data.__cat_dim__(key, value),
                                           augmented.edge_origin)
        else:
            del data[key]
    data.x, data.edge_index = g.x, g.edge_index
    if "num_nodes" in data:
        data.num_nodes = g.x.size(0)
    if isinstance(data, Batch):
        data.batch = g.batch
        if "ptr" in data:
            count = torch.bincount(g.batch, minlength=g.num_graphs)
            data.ptr = torch.cat([count.new_zeros(1), count.cumsum(0)])
        for key in ("_slice_dict", "_inc_dict"):  # they describe the input
            if hasattr(data, key):
                delattr(data, key)
    return data


