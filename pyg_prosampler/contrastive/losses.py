r"""In-batch contrastive losses between two views: NT-Xent (GraphCL's),
DCL (debiased) and HCL (hard-negative reweighted), GRACE's symmetric loss,
and MVGRL's local-global estimator.

NT-Xent, DCL and HCL take :obj:`z1, z2` of shape :obj:`[B, d]`, row
:obj:`i` of both being two views of instance :obj:`i`; anchors are the rows
of :obj:`z1`, the positive of anchor :obj:`i` is :obj:`z2[i]` and its
:obj:`N = B - 1` negatives are :obj:`z2[j], j != i` (GraphCL's
one-directional form).  Similarities are cosine.  Their names
(:obj:`"infonce"`, :obj:`"dcl"`, :obj:`"hcl"`) are in
:mod:`pyg_prosampler.contrastive.registry`, which also puts them behind
the negative samplers' interface.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from pyg_prosampler._validation import check_temperature

__all__ = ["nt_xent", "dcl", "hcl", "grace_loss", "local_global_jsd"]


def _similarities(z1: Tensor, z2: Tensor,
                  temperature: float) -> tuple[Tensor, Tensor]:
    if z1.shape != z2.shape or z1.dim() != 2 or z1.size(0) < 2:
        raise ValueError(
            f"z1 and z2 must both be [B, d] with B >= 2, got "
            f"{tuple(z1.shape)} and {tuple(z2.shape)}")
    temperature = check_temperature(temperature)
    for name, z in (("z1", z1), ("z2", z2)):
        if not torch.is_floating_point(z):
            raise ValueError(f"`{name}` must be a float tensor, got "
                             f"{z.dtype}")
    sim = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).t() / temperature
    pos = sim.diagonal()
    eye = torch.eye(sim.size(0), dtype=torch.bool, device=sim.device)
    neg = sim.masked_select(~eye).view(sim.size(0), -1)  # [B, B - 1]
    return pos, neg


def nt_xent(z1: Tensor, z2: Tensor, temperature: float = 0.2) -> Tensor:
    r"""GraphCL's NT-Xent: :math:`-\log \frac{e^{s_{ii}/t}}
    {\sum_{j \ne i} e^{s_{ij}/t}}`, the positive excluded from the
    denominator, averaged over anchors; computed with :obj:`logsumexp`."""
    pos, neg = _similarities(z1, z2, temperature)
    return (torch.logsumexp(neg, dim=1) - pos).mean()


def _reweighted_loss(pos: Tensor, neg_sum_log: Tensor, n: int,
                     temperature: float, tau_plus: float) -> Tensor:
    r"""Shared tail of DCL and HCL, in log space:
    :math:`N_g = \max((\Sigma - \tau^+ N e^{s^+}) / (1 - \tau^+),
    N e^{-1/t})`, loss :math:`= \log(e^{s^+} + N_g) - s^+`."""
    floor = math.log(n) - 1.0 / temperature
    # log(Sigma - tau N e^{s+}) = log Sigma + log(1 - e^r) with
    # r = log(tau N) + s+ - log Sigma, valid where r < 0 (else the floor
    # applies).  Never exponentiates a score, so it stays finite (values
    # and gradients) at any temperature; r is clamped below 0 so that the
    # branch torch.where drops has finite gradients too.
    if tau_plus > 0:
        r = math.log(tau_plus * n) + pos - neg_sum_log
        safe = r.clamp(max=-1e-7)
        log_diff = torch.where(r < 0, neg_sum_log + torch.log(-torch.expm1(
            safe)), torch.full_like(r, -math.inf))
    else:
        log_diff = neg_sum_log
    log_ng = torch.maximum(log_diff - math.log(1 - tau_plus),
                           torch.full_like(neg_sum_log, floor))
    return (torch.logaddexp(pos, log_ng) - pos).mean()


def dcl(z1: Tensor, z2: Tensor, temperature: float = 0.2,
        tau_plus: float = 0.1) -> Tensor:
    r"""Debiased contrastive loss (Chuang et al.) as used with ProSampler:
    :math:`N_g = \max((-\tau^+ N p + \sum_j n_j) / (1 - \tau^+),
    N e^{-1/t})`, :math:`\mathcal{L} = -\log \frac{p}{p + N_g}` with
    :math:`p = e^{s^+/t}`, :math:`n_j = e^{s_j/t}`."""
    _check_tau(tau_plus)
    pos, neg = _similarities(z1, z2, temperature)
    return _reweighted_loss(pos, torch.logsumexp(neg, dim=1), neg.size(1),
                            temperature, tau_plus)


def hcl(z1: Tensor, z2: Tensor, temperature: float = 0.2,
        tau_plus: float = 0.1, beta: float = 1.0) -> Tensor:
    r"""Hard-negative contrastive loss (Robinson et al.): as :func:`dcl`
    with :math:`\sum_j n_j` replaced by
    :math:`\sum_j w_j n_j / \mathrm{mean}(w)`, :math:`w_j = n_j^\beta`.
    Gradients flow through the weights, as in the reference code."""
    _check_tau(tau_plus)
    pos, neg = _similarities(z1, z2, temperature)
    # log(sum w n / mean w) = logsumexp((1+b) s) - logsumexp(b s) + log N
    reweighted = (torch.logsumexp((1 + beta) * neg, dim=1)
                  - torch.logsumexp(beta * neg, dim=1)
                  + math.log(neg.size(1)))
    return _reweighted_loss(pos, reweighted, neg.size(1), temperature,
                            tau_plus)


def _check_tau(tau_plus: float) -> None:
    if not 0 <= tau_plus < 1:
        raise ValueError(f"`tau_plus` must lie in [0, 1), got {tau_plus}")


def grace_loss(h1: Tensor, h2: Tensor, temperature: float = 0.5) -> Tensor:
    r"""GRACE's symmetric InfoNCE with intra- and inter-view negatives: for
    anchor :math:`u_i = h_1[i]`, :math:`\ell(u_i) = -\log
    \frac{e^{\theta(u_i, v_i)/t}}{\sum_j e^{\theta(u_i, v_j)/t} +
    \sum_{j \ne i} e^{\theta(u_i, u_j)/t}}` (:math:`v = h_2`, the positive
    in the denominator, :math:`2B - 2` negatives), and the same with the
    views swapped; the mean of both over the :obj:`B` rows.  :math:`\theta`
    is the cosine similarity; computed with :obj:`logsumexp`.  The batch
    (all nodes in full-graph training) is the set of negatives."""
    if h1.shape != h2.shape or h1.dim() != 2 or h1.size(0) < 2:
        raise ValueError(
            f"h1 and h2 must both be [B, d] with B >= 2, got "
            f"{tuple(h1.shape)} and {tuple(h2.shape)}")
    temperature = check_temperature(temperature)
    a, b = F.normalize(h1, dim=1), F.normalize(h2, dim=1)
    eye = torch.eye(a.size(0), dtype=torch.bool, device=a.device)

    def semi(u: Tensor, v: Tensor) -> Tensor:
        between = u @ v.t() / temperature
        refl = (u @ u.t() / temperature).masked_fill(eye, -math.inf)
        logits = torch.cat([between, refl], dim=1)
        return torch.logsumexp(logits, dim=1) - between.diagonal()

    return 0.5 * (semi(a, b) + semi(b, a)).mean()


def local_global_jsd(nodes: Tensor, graphs: Tensor, batch: Tensor) -> Tensor:
    r"""MVGRL / InfoGraph local-global Jensen-Shannon MI loss: every node is
    scored against every graph of the batch, :math:`s = \langle h_n,
    g_j \rangle`; its own graph is the positive, the other graphs of the
    batch the negatives (so the batch sampler chooses the negatives).
    Returns :math:`E_{neg}[\mathrm{sp}(-s) + s] - E_{pos}[-\mathrm{sp}(-s)]`
    (the bound's constant :math:`\log 2` terms dropped), :math:`\mathrm{sp}`
    the softplus; positives are averaged over nodes, negatives over the
    :obj:`n (B - 1)` node/other-graph pairs.

    Args:
        nodes (torch.Tensor): Node embeddings :obj:`[n, d]`.
        graphs (torch.Tensor): Graph embeddings :obj:`[B, d]`, :obj:`B >= 2`.
        batch (torch.Tensor): Graph of every node :obj:`[n]`.
    """
    num_graphs = graphs.size(0)
    if num_graphs < 2:
        raise ValueError("local_global_jsd needs at least 2 graphs")
    if nodes.dim() != 2 or graphs.dim() != 2 \
            or nodes.size(1) != graphs.size(1):
        raise ValueError(f"`nodes` [n, d] and `graphs` [B, d] must share d, "
                         f"got {tuple(nodes.shape)} and "
                         f"{tuple(graphs.shape)}")
    if batch.shape != (nodes.size(0),):
        raise ValueError(f"`batch` must hold the graph of each of the "
                         f"{nodes.size(0)} nodes, got shape "
                         f"{tuple(batch.shape)}")
    scores = nodes @ graphs.t()  # [n, B]
    pos = F.one_hot(batch, num_graphs).bool()
    e_pos = -F.softplus(-scores[pos]).mean()
    neg = scores[~pos]
    e_neg = (F.softplus(-neg) + neg).mean()
    return e_neg - e_pos
