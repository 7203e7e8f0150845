r"""EMC²: Metropolis-Hastings negatives for the global contrastive loss."""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Tuple

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
from pyg_prosampler.contrastive.negatives.sogclr import (
    global_loss,
    update_log_u,
)

__all__ = ["mh_sweep", "EMC2Loss"]


def mh_sweep(state: Tensor, log_cached: Tensor, proposals: Tensor,
             log_scores: Tensor, log_uniforms: Tensor
             ) -> Tuple[Tensor, Tensor]:
    r"""Metropolis-Hastings steps of independent chains, one per row: at
    step :obj:`t` chain :obj:`i` proposes :obj:`proposals[i, t]` of
    (unnormalised log) target :obj:`log_scores[i, t]` and accepts it when
    :obj:`log_uniforms[i, t] < log_scores[i, t] - log_cached[i]`, i.e. with
    probability :math:`\min(1, \pi(j') / \pi(j))` where the current state's
    :math:`\log \pi(j)` is the *cached* score of when it was accepted.  An
    unset chain (:obj:`log_cached = -inf`) accepts its first proposal.
    Vectorised over chains; the loop runs over the :obj:`T` steps only.

    Args:
        state (torch.Tensor): Current states :obj:`[C]`.
        log_cached (torch.Tensor): Their cached log scores :obj:`[C]`.
        proposals (torch.Tensor): Proposed states :obj:`[C, T]`.
        log_scores (torch.Tensor): Their log scores :obj:`[C, T]`.
        log_uniforms (torch.Tensor): :math:`\log U`, :math:`U \sim
            \mathcal{U}(0, 1)`, :obj:`[C, T]`.

    Returns:
        The state after every step :obj:`[C, T]` and the final cached log
        scores :obj:`[C]`.
    """
    states = torch.empty_like(proposals)
    for t in range(proposals.size(1)):
        accept = log_uniforms[:, t] < log_scores[:, t] - log_cached
        state = torch.where(accept, proposals[:, t], state)
        log_cached = torch.where(accept, log_scores[:, t], log_cached)
        states[:, t] = state
    return states, log_cached


class EMC2Loss(Negatives):
    r"""EMC² (Yau et al.): the global contrastive loss of
    :class:`SogCLRLoss`, its partition gradient
    :math:`\mathbb{E}_{j \sim \pi_i}[\nabla s_{ij}]`,
    :math:`\pi_i(j) \propto e^{s_{ij}}` (:math:`s` cosine / temperature),
    estimated with one Markov chain per instance.

    Per instance it keeps the chain's state (an instance index) and the
    cached score of that state: no embedding bank.  Every step, each anchor
    of the batch sweeps its chain over the other in-batch instances in a
    random order as independence proposals (:func:`mh_sweep`); the states
    after the first :obj:`burn_in` fraction of the sweep are its negatives.
    Those states are in the batch except the anchor's state from before the
    sweep while it holds: that instance's positive view is re-encoded with
    :obj:`encode(indices)` so its gradient is exact.  Cost: at most one
    extra graph per anchor per step, in practice the anchors whose chain
    accepted nothing during the burn-in (counted in
    :obj:`stats["reencoded"]`).  Without :obj:`encode` those samples are
    dropped from the estimate (cheaper, biased).  The moving average
    :math:`u_i` of :class:`SogCLRLoss` is kept too, for the reported loss
    value :math:`-s^+_i + \log u_i`.

    .. code-block:: python

        loss_fn = EMC2Loss(len(dataset), temperature=0.2, seed=0)
        loss = loss_fn(z1, z2, batch.idx, encode=lambda idx: ...)

    Args:
        num_instances (int): Data set size :obj:`N`.
        temperature (float, optional): (default: :obj:`0.2`)
        gamma (float, optional): Moving-average weight of :math:`u`.
            (default: :obj:`0.9`)
        burn_in (float, optional): Fraction of each sweep discarded.
            (default: :obj:`0.5`)
        seed (int, optional): Seed of the proposals' order and the
            acceptance draws. (default: :obj:`0`)
    """

    def __init__(self, num_instances: int, temperature: float = 0.2,
                 gamma: float = 0.9, burn_in: float = 0.5,
                 seed: int = 0) -> None:
        super().__init__()
        if num_instances < 2:
            raise ValueError(f"`num_instances` must be >= 2, got "
                             f"{num_instances}")
        check_temperature(temperature)
        check_fraction(gamma, "gamma")
        if gamma == 0:
            raise ValueError("`gamma` must be > 0 (0 never updates u)")
        check_fraction(burn_in, "burn_in", closed_right=False)
        self.num_instances = num_instances
        self.temperature = temperature
        self.gamma = gamma
        self.burn_in = burn_in
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)
        self.stats: Dict[str, float] = {"steps": 0.0, "reencoded": 0.0}
        self.register_buffer(
            "state", torch.full((num_instances,), -1, dtype=torch.long))
        self.register_buffer("log_cached",
                             torch.full((num_instances,), -math.inf))
        self.register_buffer("log_u",
                             torch.full((num_instances,), -math.inf))

    def forward(self, z1: Tensor, z2: Tensor, index: Tensor,
                encode: Optional[Encode] = None
                ) -> Tensor:
        r"""Loss of the batch :obj:`z1, z2` :obj:`[B, d]` of instances
        :obj:`index`.  :obj:`encode(indices)` must return the positive-view
        embeddings :obj:`[m, d]` (as :obj:`z2`) of other instances."""
        check_pair(z1, z2, index, self.num_instances)
        a = F.normalize(z1, dim=1)
        sim = a @ F.normalize(z2, dim=1).t() / self.temperature
        b = sim.size(0)
        buf = self.state.device
        index_b = index.to(buf)
        prior = self.state[index_b]
        states, cached = self._sweep(sim.detach().to(buf), index_b, prior)
        first = min(int(math.floor(self.burn_in * (b - 1))), b - 2)
        kept = states[:, first:].to(sim.device)  # [B, T]
        scores, weights = self._sampled_scores(sim, a, kept, prior, encode)

        eye = torch.eye(b, dtype=torch.bool, device=sim.device)
        neg = sim.detach().masked_select(~eye).view(b, b - 1)
        log_g = torch.logsumexp(neg, 1) - math.log(b - 1)
        log_u = update_log_u(self.log_u[index_b], log_g.to(buf),
                             self.gamma)
        if self.training:
            final = states[:, -1]
            final_idx = torch.where(final < b, index_b[final.clamp(max=b - 1)],
                                    prior)
            self.state[index_b] = final_idx
            self.log_cached[index_b] = cached
            self.log_u[index_b] = log_u
            self.stats["steps"] += 1.0
        return global_loss(sim.diagonal(), scores, weights, log_u.to(sim))

    def _sweep(self, sim: Tensor, index: Tensor,
               prior: Tensor) -> Tuple[Tensor, Tensor]:
        r"""Every anchor's chain swept over the other in-batch instances in
        a random order (:func:`mh_sweep` on the detached scores
        :obj:`sim`), in in-batch positions; position :obj:`B` is "the
        chain's state before the sweep" when that instance is not in the
        batch.  Returns the states after every step and the final cached
        scores."""
        b, buf = sim.size(0), sim.device
        where = torch.full((self.num_instances,), -1, dtype=torch.long,
                           device=buf)
        where[index] = torch.arange(b, device=buf)
        start = torch.where(prior >= 0, where[prior.clamp(min=0)],
                            torch.full_like(prior, -1))
        start = torch.where((prior >= 0) & (start < 0),
                            torch.full_like(prior, b), start)
        keys = torch.rand(b, b, generator=self.generator)
        keys.fill_diagonal_(2.0)  # self last, then cut
        order = keys.argsort(dim=1)[:, : b - 1].to(buf)
        log_unif = torch.rand(b, b - 1, generator=self.generator).log()
        rows = torch.arange(b, device=buf).view(-1, 1)
        return mh_sweep(start, self.log_cached[index], order,
                        sim[rows, order], log_unif.to(buf))

    def _sampled_scores(self, sim: Tensor, a: Tensor, kept: Tensor,
                        prior: Tensor, encode: Optional[Encode]
                        ) -> Tuple[Tensor, Tensor]:
        r"""The scores of the kept chain states :obj:`[B, T]` and their
        weights in the partition gradient: a state outside the batch (an
        anchor's state from before the sweep) is scored by re-encoding it
        with :obj:`encode`, else dropped from the estimate."""
        b = sim.size(0)
        in_batch = kept < b
        scores = sim.gather(1, kept.clamp(max=b - 1))
        weights = in_batch.to(sim)
        old = ~in_batch.all(1)  # anchors whose prior state is sampled
        if old.any() and encode is not None:
            need = prior.to(sim.device)[old]
            uniq, inverse = need.unique(return_inverse=True)
            zx = F.normalize(encode(uniq), dim=1)
            s_old = (a[old] * zx[inverse]).sum(1) / self.temperature
            scores = scores.clone()
            scores[old] = torch.where(in_batch[old], scores[old],
                                      s_old.view(-1, 1))
            weights = torch.ones_like(weights)
            self.stats["reencoded"] += float(uniq.numel())
        return scores, weights / weights.sum(1, keepdim=True).clamp(min=1)

    def get_extra_state(self) -> Dict[str, Any]:
        return {"generator": self.generator.get_state(),
                "stats": dict(self.stats)}

    def set_extra_state(self, state: Dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.stats = dict(state["stats"])

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              *args: Any, **kwargs: Any) -> None:
        check_state_size({"state": state_dict.get(prefix + "state")},
                         "state", self.num_instances, "EMC2Loss")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f"{self.num_instances}, temperature={self.temperature}, "
                f"gamma={self.gamma}, burn_in={self.burn_in}")
