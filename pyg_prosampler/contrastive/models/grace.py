r"""GRACE: a GCN encoder and a projection head for node-level contrastive
learning (Zhu et al., 2020)."""
from __future__ import annotations

from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GCNConv

__all__ = ["GRACE"]

Activation = Literal["relu", "prelu"]


class GRACE(nn.Module):
    r"""GRACE's model: a :obj:`num_layers`-layer GCN (hidden layers
    :obj:`2 * hidden` wide, output :obj:`hidden`, the activation after every
    layer, as in GRACE's code), whose output is the node representation
    evaluated downstream, and the projection :obj:`Linear-ELU-Linear` that
    feeds the loss (:func:`~pyg_prosampler.contrastive.losses.grace_loss`).

    .. code-block:: python

        model = GRACE(dataset.num_features, hidden=128)
        h = model(data.x, data.edge_index)       # [N, hidden]
        loss = grace_loss(model.project(h1), model.project(h2), 0.4)

    Args:
        in_channels (int): Node feature size.
        hidden (int, optional): Output size. (default: :obj:`128`)
        proj_hidden (int, optional): Projection hidden size. (default:
            :obj:`128`)
        num_layers (int, optional): GCN layers, at least 2. (default:
            :obj:`2`)
        activation (str, optional): :obj:`"relu"` or :obj:`"prelu"`.
            (default: :obj:`"relu"`)
    """

    def __init__(self, in_channels: int, hidden: int = 128,
                 proj_hidden: int = 128, num_layers: int = 2,
                 activation: Activation = "relu") -> None:
        super().__init__()
        if num_layers < 2:
            raise ValueError(f"`num_layers` must be at least 2, got "
                             f"{num_layers}")
        if activation not in ("relu", "prelu"):
            raise ValueError(f"`activation` must be 'relu' or 'prelu', got "
                             f"{activation!r}")
        sizes = [in_channels] + [2 * hidden] * (num_layers - 1) + [hidden]
        self.convs = nn.ModuleList(
            GCNConv(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        # GRACE's code shares one PReLU across layers.
        self.act = nn.PReLU() if activation == "prelu" else nn.ReLU()
        self.fc1 = nn.Linear(hidden, proj_hidden)
        self.fc2 = nn.Linear(proj_hidden, hidden)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        r"""Node representations :obj:`[N, hidden]`."""
        for conv in self.convs:
            x = self.act(conv(x, edge_index))
        return x

    def project(self, h: Tensor) -> Tensor:
        r"""The projection that feeds the loss."""
        return self.fc2(F.elu(self.fc1(h)))
