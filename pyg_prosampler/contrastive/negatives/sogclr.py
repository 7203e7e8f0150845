r"""SogCLR: the global contrastive loss with a moving-average estimator."""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from pyg_prosampler._validation import check_temperature
from pyg_prosampler.contrastive.negatives._common import (
    check_fraction,
    check_pair,
    check_state_size,
)
from pyg_prosampler.contrastive.negatives.base import Encode, Negatives

__all__ = ["update_log_u", "global_loss", "SogCLRLoss"]


def update_log_u(log_u: Tensor, log_g: Tensor, gamma: float) -> Tensor:
    r""":math:`\log((1 - \gamma) u + \gamma g)` from :math:`\log u` and
    :math:`\log g` (an unset :math:`u = 0` is :obj:`-inf`)."""
    keep = math.log(1 - gamma) if gamma < 1 else -math.inf
    return torch.logaddexp(log_u + keep, log_g + math.log(gamma))


def global_loss(pos: Tensor, neg: Tensor, neg_weights: Tensor,
                log_u: Tensor) -> Tensor:
    r"""Mean over anchors of a loss whose *value* is the global contrastive
    loss estimate :math:`-s^+ + \log u` and whose *gradient* is
    :math:`-\nabla s^+ + \sum_j w_j \nabla s_j` (weights detached)."""
    surrogate = -pos + (neg_weights.detach() * neg).sum(1)
    value = (-pos + log_u).detach()
    return (surrogate - surrogate.detach() + value).mean()


class SogCLRLoss(Negatives):
    r"""SogCLR (Yuan et al.): the *global* contrastive loss, each anchor
    against every other instance,
    :math:`-s^+_i + \log \frac{1}{N-1}\sum_{j \ne i} e^{s_{ij}}`
    (:math:`s` cosine / temperature), optimised with small batches by
    keeping per instance a moving average :math:`u_i \leftarrow
    (1-\gamma) u_i + \gamma g_i` of the in-batch partition estimate
    :math:`g_i = \frac{1}{B-1}\sum_{j \ne i} e^{s_{ij}}` and weighting the
    in-batch negatives' gradients by :math:`e^{s_{ij}} / u_i`.  The
    returned value is the loss estimate :math:`-s^+_i + \log u_i`.

    Anchors are the rows of :obj:`z1`, the positive of anchor :obj:`i` is
    :obj:`z2[i]`, its negatives :obj:`z2[j], j != i`; :math:`u` is stored
    in log space and updated only in training mode.

    .. code-block:: python

        loss_fn = SogCLRLoss(len(dataset), temperature=0.2, gamma=0.9)
        loss = loss_fn(z1, z2, batch.idx)

    Args:
        num_instances (int): Data set size :obj:`N`.
        temperature (float, optional): (default: :obj:`0.2`)
        gamma (float, optional): Weight of the new estimate, in
            :obj:`(0, 1]`. (default: :obj:`0.9`)
    """

    def __init__(self, num_instances: int, temperature: float = 0.2,
                 gamma: float = 0.9) -> None:
        super().__init__()
        if num_instances < 2:
            raise ValueError(f"`num_instances` must be >= 2, got "
                             f"{num_instances}")
        check_temperature(temperature)
        check_fraction(gamma, "gamma")
        if gamma == 0:
            raise ValueError("`gamma` must be > 0 (0 never updates u)")
        self.num_instances = num_instances
        self.temperature = temperature
        self.gamma = gamma
        self.register_buffer("log_u",
                             torch.full((num_instances,), -math.inf))

    def forward(self, z1: Tensor, z2: Tensor, index: Tensor,
                encode: Optional[Encode] = None
                ) -> Tensor:
        r"""Loss of the batch :obj:`z1, z2` :obj:`[B, d]` of instances
        :obj:`index`; :obj:`encode` is unused."""
        check_pair(z1, z2, index, self.num_instances)
        sim = (F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).t()
               / self.temperature)
        b = sim.size(0)
        pos = sim.diagonal()
        eye = torch.eye(b, dtype=torch.bool, device=sim.device)
        neg = sim.masked_select(~eye).view(b, b - 1)
        index = index.to(self.log_u.device)
        log_g = torch.logsumexp(neg.detach(), 1) - math.log(b - 1)
        log_u = update_log_u(self.log_u[index], log_g.to(self.log_u),
                             self.gamma).to(sim)
        if self.training:
            self.log_u[index] = log_u.to(self.log_u)
        weights = (neg.detach() - log_u.view(-1, 1)).exp() / (b - 1)
        return global_loss(pos, neg, weights, log_u)

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              *args: Any, **kwargs: Any) -> None:
        check_state_size({"log_u": state_dict.get(prefix + "log_u")},
                         "log_u", self.num_instances, "SogCLRLoss")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f"{self.num_instances}, temperature={self.temperature}, "
                f"gamma={self.gamma}")
