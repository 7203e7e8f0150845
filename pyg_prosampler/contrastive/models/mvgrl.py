r"""MVGRL for graph-level contrastive learning, sparse (no padded dense
adjacency)."""
from __future__ import annotations

import warnings
from typing import Optional, Tuple

import torch
from torch import Tensor, nn
from torch_geometric.nn import GCNConv, global_add_pool
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import to_torch_csr_tensor

from pyg_prosampler._validation import check_positive_int

__all__ = ["MVGRL"]


def _propagation_matrix(edge_index: Tensor, edge_weight: Optional[Tensor],
                       num_nodes: int, normalize: bool) -> Tensor:
    r"""The sparse CSR matrix :obj:`M` with :obj:`M[i, j]` the weight of
    edge :obj:`j -> i` (GCN normalised with self loops when
    :obj:`normalize`), so one layer is one sparse-dense product
    :obj:`M @ (X W)`: no :obj:`[E, hidden]` message tensor is ever formed
    (with 32 PPR entries per node those messages, kept for the backward
    pass, dominate memory)."""
    if normalize:
        edge_index, edge_weight = gcn_norm(edge_index, edge_weight,
                                           num_nodes, add_self_loops=True)
    with warnings.catch_warnings():
        # torch warns once per process that CSR support is in beta and that
        # invariant checks are off; the indices come sorted from PyG here.
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support")
        warnings.filterwarnings("ignore", message="Sparse invariant checks")
        return to_torch_csr_tensor(edge_index.flip(0), edge_weight,
                                   size=(num_nodes, num_nodes))


class _GCNStack(nn.Module):
    r"""GCN layers with PReLU; returns the last node embeddings and the
    concatenated sum-pooled embeddings of every layer."""

    def __init__(self, in_channels: int, hidden: int, num_layers: int,
                 normalize: bool) -> None:
        super().__init__()
        self.normalize = normalize
        self.convs = nn.ModuleList(
            GCNConv(in_channels if i == 0 else hidden, hidden,
                    normalize=False, add_self_loops=False)
            for i in range(num_layers))
        self.acts = nn.ModuleList(nn.PReLU(hidden) for _ in range(num_layers))

    def forward(self, x: Tensor, edge_index: Tensor,
                edge_weight: Optional[Tensor], batch: Tensor,
                num_graphs: int) -> Tuple[Tensor, Tensor]:
        adj_t = _propagation_matrix(edge_index, edge_weight, x.size(0),
                                   self.normalize)
        pooled = []
        for conv, act in zip(self.convs, self.acts):
            x = act(conv(x, adj_t))
            pooled.append(global_add_pool(x, batch, num_graphs))
        return x, torch.cat(pooled, dim=1)


class _Head(nn.Module):
    r"""Three Linear-PReLU blocks plus a linear shortcut (MVGRL's MLP)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Linear(in_channels, out_channels), nn.PReLU(),
            nn.Linear(out_channels, out_channels), nn.PReLU(),
            nn.Linear(out_channels, out_channels), nn.PReLU())
        self.shortcut = nn.Linear(in_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.block(x) + self.shortcut(x)


class MVGRL(nn.Module):
    r"""Multi-view graph representation learning (Hassani & Khasahmadi,
    2020), graph level: one GCN encoder for the adjacency view (symmetric
    normalisation with self loops) and one for the PPR diffusion view
    (its weights used as given, as MVGRL's code uses the diffusion matrix),
    PReLU, sum readout of every layer concatenated, and two heads shared by
    the views: one for node, one for graph embeddings.

    Inputs are sparse PyG batches carrying :obj:`diff_edge_index` and
    :obj:`diff_edge_weight` (see :class:`DiffusionViewDataset`); nothing is
    padded to dense matrices.

    .. code-block:: python

        model = MVGRL(dataset.num_features, hidden=512, num_layers=4)
        h1, h2, g1, g2 = model(batch)
        embedding = model.embed(batch)   # g1 + g2

    Args:
        in_channels (int): Node feature size.
        hidden (int, optional): Hidden size. (default: :obj:`512`)
        num_layers (int, optional): GCN layers per view. (default: :obj:`4`)
    """

    def __init__(self, in_channels: int, hidden: int = 512,
                 num_layers: int = 4) -> None:
        super().__init__()
        for value, name in ((in_channels, "in_channels"), (hidden, "hidden"),
                            (num_layers, "num_layers")):
            check_positive_int(value, name)
        self.adj = _GCNStack(in_channels, hidden, num_layers, True)
        self.diff = _GCNStack(in_channels, hidden, num_layers, False)
        self.node_head = _Head(hidden, hidden)
        self.graph_head = _Head(num_layers * hidden, hidden)

    def forward(self, batch) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        r"""Node embeddings of both views :obj:`[n, hidden]` and graph
        embeddings of both views :obj:`[B, hidden]`, all after the heads."""
        n1, p1 = self.adj(batch.x, batch.edge_index, None, batch.batch,
                          batch.num_graphs)
        n2, p2 = self.diff(batch.x, batch.diff_edge_index,
                           batch.diff_edge_weight, batch.batch,
                           batch.num_graphs)
        return (self.node_head(n1), self.node_head(n2),
                self.graph_head(p1), self.graph_head(p2))

    @torch.no_grad()
    def embed(self, batch) -> Tensor:
        r"""The evaluated representation: the sum of both views' graph
        embeddings."""
        _, _, g1, g2 = self(batch)
        return g1 + g2
