r"""The GIN graph encoder of GraphCL."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINConv, global_add_pool

from pyg_prosampler._validation import check_positive_int

__all__ = ["GINEncoder"]


class GINEncoder(nn.Module):
    r"""GIN encoder as used by GraphCL on the TU benchmarks: :obj:`num_layers`
    :class:`~torch_geometric.nn.GINConv` layers, each
    :obj:`Linear-ReLU-Linear` then :obj:`ReLU` and :obj:`BatchNorm`; the graph
    embedding concatenates the sum-pooled node embeddings of every layer
    (:obj:`num_layers * hidden` dimensions).

    .. code-block:: python

        encoder = GINEncoder(dataset.num_features, hidden=32, num_layers=3)
        g, h = encoder(batch.x, batch.edge_index, batch.batch)  # [B, 96]

    Args:
        in_channels (int): Node feature size.
        hidden (int, optional): Hidden size per layer. (default: :obj:`32`)
        num_layers (int, optional): Layers. (default: :obj:`3`)
    """

    def __init__(self, in_channels: int, hidden: int = 32,
                 num_layers: int = 3) -> None:
        super().__init__()
        for value, name in ((in_channels, "in_channels"), (hidden, "hidden"),
                            (num_layers, "num_layers")):
            check_positive_int(value, name)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for i in range(num_layers):
            mlp = nn.Sequential(
                nn.Linear(in_channels if i == 0 else hidden, hidden),
                nn.ReLU(), nn.Linear(hidden, hidden))
            self.convs.append(GINConv(mlp))
            self.norms.append(nn.BatchNorm1d(hidden))
        self.out_channels = hidden * num_layers

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor,
                num_graphs: Optional[int] = None) -> tuple[Tensor, Tensor]:
        r"""Returns the graph embeddings :obj:`[num_graphs, L * hidden]` and
        the concatenated node embeddings :obj:`[num_nodes, L * hidden]`."""
        if num_graphs is None:
            num_graphs = int(batch.max()) + 1 if batch.numel() > 0 else 0
        layers = []
        for conv, norm in zip(self.convs, self.norms):
            x = norm(torch.relu(conv(x, edge_index)))
            layers.append(x)
        nodes = torch.cat(layers, dim=1)
        pooled = torch.cat([global_add_pool(h, batch, num_graphs)
                            for h in layers], dim=1)
        return pooled, nodes
