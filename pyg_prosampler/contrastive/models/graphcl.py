r"""GraphCL: a GIN encoder and a projection head."""
from __future__ import annotations

from typing import Optional

from torch import Tensor, nn

from pyg_prosampler.contrastive.models.gin_encoder import GINEncoder

__all__ = ["GraphCL"]


class GraphCL(nn.Module):
    r"""GraphCL's model for unsupervised graph-level learning:
    :class:`GINEncoder` then the projection head
    :obj:`Linear-ReLU-Linear` (both :obj:`num_layers * hidden` wide).  The
    encoder output is the representation evaluated downstream; the head
    output feeds the contrastive loss.

    .. code-block:: python

        model = GraphCL(dataset.num_features)
        g, z = model(batch.x, batch.edge_index, batch.batch,
                     batch.num_graphs)

    Args:
        in_channels (int): Node feature size.
        hidden (int, optional): GIN hidden size. (default: :obj:`32`)
        num_layers (int, optional): GIN layers. (default: :obj:`3`)
    """

    def __init__(self, in_channels: int, hidden: int = 32,
                 num_layers: int = 3) -> None:
        super().__init__()
        self.encoder = GINEncoder(in_channels, hidden, num_layers)
        dim = self.encoder.out_channels
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(),
                                  nn.Linear(dim, dim))

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor,
                num_graphs: Optional[int] = None) -> tuple[Tensor, Tensor]:
        r"""Returns the graph representation :obj:`[B, L * hidden]` and its
        projection :obj:`[B, L * hidden]`."""
        g, _ = self.encoder(x, edge_index, batch, num_graphs)
        return g, self.head(g)
