r"""Ring: conditional negatives from a similarity band (CNCE)."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from pyg_prosampler._validation import check_temperature
from pyg_prosampler.contrastive.negatives._common import (
    check_fraction,
    check_pair,
)
from pyg_prosampler.contrastive.negatives.base import Encode, Negatives
from pyg_prosampler.samplers import EmbeddingBatchSampler

__all__ = ["ANNEALING", "POOLS", "ring_mask", "annealed_outer",
           "RingNegatives"]

ANNEALING = ("none", "linear", "exp", "step")
POOLS = ("bank", "batch")


def ring_mask(sim: Tensor, valid: Tensor, inner: float,
              outer: float) -> Tensor:
    r"""Which candidates lie in each anchor's ring: those whose similarity
    rank (0 = most similar) among the anchor's valid candidates lies in
    :obj:`[floor(inner * n), max(ceil(outer * n), floor(inner * n) + 1))`,
    :obj:`n` being the anchor's number of valid candidates.

    Only :obj:`min(k, n - k)` ranks are ever sorted per anchor: the top
    :obj:`floor(inner * n)` are cut by a top-k, and the tail beyond the
    outer rank by a top-k of the negated scores, so an outer percentile of
    10 % or of 100 % never sorts all :obj:`N`.

    Args:
        sim (torch.Tensor): Scores :obj:`[B, N]`.
        valid (torch.Tensor): Candidate mask :obj:`[B, N]` (excludes the
            anchor itself and bank entries not yet written).
        inner (float): Inner fraction in :obj:`[0, 1)`.
        outer (float): Outer fraction in :obj:`(inner, 1]`.

    Returns:
        Boolean mask :obj:`[B, N]`.
    """
    check_fraction(inner, "inner", closed_right=False)
    check_fraction(outer, "outer")
    if outer <= inner:
        raise ValueError(f"`outer` ({outer}) must exceed `inner` ({inner})")
    n = valid.sum(1)
    k_in = torch.floor(inner * n.double()).long()
    k_out = torch.maximum(torch.ceil(outer * n.double()).long(), k_in + 1)
    k_out = torch.minimum(k_out, n)
    lowest = torch.finfo(sim.dtype).min
    mask = valid.clone()
    rows = torch.arange(sim.size(0), device=sim.device).view(-1, 1)
    top = int(k_in.max()) if n.numel() else 0
    if top > 0:  # drop the closest k_in of every anchor
        idx = sim.masked_fill(~valid, lowest).topk(top, dim=1).indices
        drop = torch.arange(top, device=sim.device).view(1, -1) < k_in[:, None]
        mask[rows.expand_as(idx)[drop], idx[drop]] = False
    tail = n - k_out
    bottom = int(tail.max()) if n.numel() else 0
    if bottom > 0:  # drop the n - k_out least similar
        idx = (-sim).masked_fill(~valid, lowest).topk(bottom, dim=1).indices
        drop = torch.arange(bottom, device=sim.device).view(1, -1) \
            < tail[:, None]
        mask[rows.expand_as(idx)[drop], idx[drop]] = False
    return mask


def annealed_outer(outer: float, progress: float,
                   anneal: str = "linear", stages: int = 4) -> float:
    r"""Outer fraction of the ring after :obj:`progress` (0 to 1) of the
    annealing: from 1 (every candidate) down to :obj:`outer`, linearly
    (:obj:`"linear"`), geometrically (:obj:`"exp"`), or linearly in
    :obj:`stages` plateaus (:obj:`"step"`); :obj:`"none"` is :obj:`outer`
    throughout."""
    if anneal not in ANNEALING:
        raise ValueError(f"`anneal` must be one of {ANNEALING}, got "
                         f"{anneal!r}")
    p = min(max(progress, 0.0), 1.0)
    if anneal == "none":
        return outer
    if anneal == "step":
        p = math.floor(p * stages) / stages
    if anneal == "exp":
        return outer ** p
    return 1.0 - (1.0 - outer) * p


class RingNegatives(Negatives):
    r"""Ring (conditional noise-contrastive estimation, Wu et al.): for every
    anchor, the negatives are the candidates whose similarity rank lies
    between the :obj:`inner` and :obj:`outer` fraction of the pool, i.e.
    semi-hard ones, skipping the very closest (likely false negatives).
    Loss per anchor: :math:`-(s^+ - \log\sum \exp(\{s^+\} \cup
    \mathrm{ring}))`, scores being cosine / temperature.

    With :obj:`pool="bank"` the pool is the embedding table the batch
    sampler already keeps (one embedding per instance, written by the
    training loop's :meth:`update`): no second memory bank.  Entries not
    written yet are skipped.  With :obj:`pool="batch"` the pool is the other
    instances of the batch, so a proximity batch sampler and the ring
    combine: the sampler picks the pool, the ring the band.

    The outer fraction can be annealed from 100 % to :obj:`outer` over
    :obj:`anneal_steps` calls in training mode (see :func:`annealed_outer`).

    .. code-block:: python

        ring = RingNegatives(sampler, inner=0.01, outer=0.1,
                             anneal="linear", anneal_steps=1000)
        loss = ring(z1, z2, batch.idx)

    Args:
        sampler (EmbeddingBatchSampler): The batch sampler whose embedding
            table is the bank (any sampler of this package).
        inner (float, optional): Inner fraction. (default: :obj:`0.01`)
        outer (float, optional): Final outer fraction. (default:
            :obj:`0.1`)
        anneal (str, optional): :obj:`"none"`, :obj:`"linear"`,
            :obj:`"exp"` or :obj:`"step"`. (default: :obj:`"none"`)
        anneal_steps (int, optional): Steps to reach :obj:`outer`.
        pool (str, optional): :obj:`"bank"` or :obj:`"batch"`.
            (default: :obj:`"bank"`)
        temperature (float, optional): (default: :obj:`0.2`)
    """

    def __init__(self, sampler: EmbeddingBatchSampler, inner: float = 0.01,
                 outer: float = 0.1, anneal: str = "none",
                 anneal_steps: int = 1, pool: str = "bank",
                 temperature: float = 0.2) -> None:
        super().__init__()
        check_fraction(inner, "inner", closed_right=False)
        check_fraction(outer, "outer")
        if outer <= inner:
            raise ValueError(f"`outer` ({outer}) must exceed `inner` "
                             f"({inner})")
        annealed_outer(outer, 0.0, anneal)  # validates `anneal`
        if anneal_steps < 1:
            raise ValueError(f"`anneal_steps` must be >= 1, got "
                             f"{anneal_steps}")
        if pool not in POOLS:
            raise ValueError(f"`pool` must be one of {POOLS}, got {pool!r}")
        check_temperature(temperature)
        self.sampler = sampler
        self.inner = inner
        self.outer = outer
        self.anneal = anneal
        self.anneal_steps = anneal_steps
        self.pool = pool
        self.temperature = temperature
        self.num_instances = sampler.num_instances
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def current_outer(self) -> float:
        r"""The outer fraction the next call uses."""
        return annealed_outer(self.outer,
                              int(self.step) / self.anneal_steps,
                              self.anneal)

    def forward(self, z1: Tensor, z2: Tensor, index: Tensor,
                encode: Optional[Encode] = None
                ) -> Tensor:
        r"""Mean ring loss of the anchors :obj:`z1` with positives
        :obj:`z2` (:obj:`[B, d]`, rows are instances :obj:`index`).
        :obj:`encode` is unused (the ring needs no re-encoding)."""
        check_pair(z1, z2, index, self.num_instances)
        a = F.normalize(z1, dim=1)
        pos = (a * F.normalize(z2, dim=1)).sum(1) / self.temperature
        outer = self.current_outer()
        if self.pool == "batch":
            sim = a @ F.normalize(z2, dim=1).t() / self.temperature
            valid = ~torch.eye(sim.size(0), dtype=torch.bool,
                               device=sim.device)
        else:
            bank = self.sampler.embeddings
            if bank is None:  # nothing written yet: empty pools
                bank = a.new_zeros(self.num_instances, a.size(1))
            bank = F.normalize(bank.to(a.device), dim=1)
            if bank.size(1) != a.size(1):
                raise ValueError(
                    f"bank embeddings are {bank.size(1)}-dimensional, the "
                    f"anchors {a.size(1)}: feed the sampler the same "
                    f"embeddings as the ring's anchors")
            sim = a @ bank.t() / self.temperature
            valid = self.sampler.seen.to(a.device).view(1, -1).repeat(
                a.size(0), 1)
            valid[torch.arange(a.size(0), device=a.device),
                  index.to(a.device)] = False
        has_pool = valid.any(1)
        ring = torch.zeros_like(valid)
        if has_pool.any():
            ring[has_pool] = ring_mask(sim[has_pool].detach(),
                                       valid[has_pool], self.inner, outer)
        scores = torch.cat([pos.view(-1, 1),
                            sim.masked_fill(~ring, -math.inf)], dim=1)
        if self.training:
            self.step += 1
        return (torch.logsumexp(scores, dim=1) - pos).mean()

    def extra_repr(self) -> str:
        return (f"inner={self.inner}, outer={self.outer}, "
                f"anneal={self.anneal!r}, pool={self.pool!r}")
