r"""The names a contrastive run is configured by, and what they build: the
in-batch losses, the negative samplers and the batch samplers.  The Python
API (:func:`~pyg_prosampler.experiments.graphcl.train_graphcl`, ...) and the
command line (its :obj:`choices=`) both read them from here.

.. code-block:: python

    sampler = make_sampler("prosampler", len(dataset), 128, seed=0)
    loss_fn = make_negatives("inbatch", sampler, loss="dcl")
    loss = loss_fn(z1, z2, batch.idx)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from torch import Tensor

from pyg_prosampler.contrastive.losses import dcl, hcl, nt_xent
from pyg_prosampler.contrastive.negatives import (
    EMC2Loss,
    InBatchNegatives,
    Negatives,
    RingNegatives,
    SogCLRLoss,
)
from pyg_prosampler.samplers import (
    EmbeddingBatchSampler,
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)
from pyg_prosampler.samplers.embedding_batch_sampler import Coverage
from pyg_prosampler.samplers.proximity_batch_sampler import (
    Refresh,
    RestartProb,
)

__all__ = ["LOSSES", "NegativesEntry", "NEGATIVES", "SAMPLERS",
           "make_negatives", "make_sampler"]

LOSSES: Dict[str, Callable[[Tensor, Tensor, float], Tensor]] = {
    "infonce": nt_xent, "dcl": dcl, "hcl": hcl}
r"""The in-batch losses :obj:`loss(z1, z2, temperature)` by name."""


@dataclass(frozen=True)
class NegativesEntry:
    r"""How a negative sampler named in :obj:`NEGATIVES` is built.

    Args:
        build (callable): :obj:`build(sampler, loss_fn, temperature,
            total_steps, seed, **knobs)` returning the :class:`Negatives`.
        knobs (tuple of str): Its own keyword knobs, the ones a run's
            record holds (as :obj:`negatives_params`).
        takes_loss (bool): Whether it wraps an in-batch loss of
            :obj:`LOSSES` (else it defines its own loss).
    """
    build: Callable[..., Negatives]
    knobs: Tuple[str, ...]
    takes_loss: bool = False


def _inbatch(sampler: EmbeddingBatchSampler, loss_fn: Callable[..., Tensor],
             temperature: float, total_steps: int, seed: int
             ) -> Negatives:
    return InBatchNegatives(loss_fn, temperature)


def _ring(sampler: EmbeddingBatchSampler, loss_fn: Callable[..., Tensor],
          temperature: float, total_steps: int, seed: int,
          **knobs: Any) -> Negatives:
    knobs.setdefault("anneal_steps", total_steps)  # annealed over the run
    return RingNegatives(sampler, temperature=temperature, **knobs)


def _sogclr(sampler: EmbeddingBatchSampler, loss_fn: Callable[..., Tensor],
            temperature: float, total_steps: int, seed: int,
            **knobs: Any) -> Negatives:
    return SogCLRLoss(sampler.num_instances, temperature=temperature,
                      **knobs)


def _emc2(sampler: EmbeddingBatchSampler, loss_fn: Callable[..., Tensor],
          temperature: float, total_steps: int, seed: int,
          **knobs: Any) -> Negatives:
    return EMC2Loss(sampler.num_instances, temperature=temperature,
                    seed=seed, **knobs)


NEGATIVES: Dict[str, NegativesEntry] = {
    "inbatch": NegativesEntry(_inbatch, (), takes_loss=True),
    "ring": NegativesEntry(_ring, ("inner", "outer", "anneal", "pool",
                                   "anneal_steps")),
    "sogclr": NegativesEntry(_sogclr, ("gamma",)),
    "emc2": NegativesEntry(_emc2, ("gamma", "burn_in")),
}
r"""The negative samplers by name."""

SAMPLERS: Dict[str, type] = {"uniform": UniformBatchSampler,
                             "knn": KNNBatchSampler,
                             "prosampler": ProximityBatchSampler}
r"""The batch samplers by name."""


def make_negatives(name: str, sampler: EmbeddingBatchSampler, *,
                   loss: str = "infonce", temperature: float = 0.2,
                   total_steps: int = 1, seed: int = 0,
                   **params: Any) -> Negatives:
    r"""The negative sampler named :obj:`name` (a key of
    :obj:`NEGATIVES`) for a run of :obj:`total_steps` steps over
    :obj:`sampler`'s data set.

    Args:
        name (str): :obj:`"inbatch"`, :obj:`"ring"`, :obj:`"sogclr"` or
            :obj:`"emc2"`.
        sampler (EmbeddingBatchSampler): The run's batch sampler (Ring's
            bank; the data set size of SogCLR and EMC²).
        loss (str, optional): The in-batch loss (a key of :obj:`LOSSES`);
            Ring, SogCLR and EMC² define their own and take
            :obj:`"infonce"` only. (default: :obj:`"infonce"`)
        temperature (float, optional): (default: :obj:`0.2`)
        total_steps (int, optional): Steps of the run, which Ring's
            annealing spans unless :obj:`anneal_steps` is given.
        seed (int, optional): Seed of EMC²'s generator. (default: :obj:`0`)
        **params: The chosen sampler's knobs (:obj:`NEGATIVES[name].knobs`).
    """
    entry = NEGATIVES.get(name)
    if entry is None:
        raise ValueError(f"`negatives` must be one of {tuple(NEGATIVES)}, "
                         f"got {name!r}")
    if loss not in LOSSES:
        raise ValueError(f"`loss` must be one of {tuple(LOSSES)}, got "
                         f"{loss!r}")
    if not entry.takes_loss and loss != "infonce":
        raise ValueError(f"{name} negatives define their own loss: use "
                         f"loss='infonce' (got {loss!r})")
    unknown = sorted(set(params) - set(entry.knobs))
    if unknown:
        raise ValueError(f"{name} negatives take the knobs "
                         f"{entry.knobs or 'none'}, got {unknown}: pass "
                         f"only those in `negatives_params`")
    return entry.build(sampler, LOSSES[loss], temperature, total_steps,
                       seed, **params)


def make_sampler(
    name: str,
    num_instances: int,
    batch_size: int,
    *,
    seed: Optional[int] = None,
    warmup_epochs: int = 1,
    refresh_every: int = 100,
    coverage: Coverage = "cycle",
    embeddings: Optional[Tensor] = None,
    num_neighbors: Optional[int] = None,
    num_candidates: Optional[int] = 1000,
    restart_prob: RestartProb = 0.1,
    refresh: Refresh = "rolling",
) -> EmbeddingBatchSampler:
    r"""The batch sampler named :obj:`name` (a key of :obj:`SAMPLERS`),
    from one set of knobs for all of them: :obj:`"uniform"` takes the
    seed only; :obj:`"knn"` also the warm-up, refresh period, coverage and
    initial embeddings; :obj:`"prosampler"` every knob, its out-degree
    capped at :obj:`num_instances - 1`.  The knobs mean what they mean in
    :class:`~pyg_prosampler.samplers.ProximityBatchSampler`, with its
    defaults.

    Args:
        name (str): :obj:`"uniform"`, :obj:`"knn"` or :obj:`"prosampler"`.
        num_instances (int): Data set size :obj:`N`.
        batch_size (int): Batch size :obj:`B`.
        seed (int, optional): The sampler's seed (else drawn from torch's
            global generator).
    """
    if name not in SAMPLERS:
        raise ValueError(f"`sampler` must be one of {tuple(SAMPLERS)}, got "
                         f"{name!r}")
    if name == "uniform":
        return UniformBatchSampler(num_instances, batch_size, seed=seed)
    walk = dict(warmup_epochs=warmup_epochs, refresh_every=refresh_every,
                embeddings=embeddings, coverage=coverage, seed=seed)
    if name == "knn":
        return KNNBatchSampler(num_instances, batch_size, **walk)
    if num_neighbors is not None:
        num_neighbors = min(num_neighbors, num_instances - 1)
    return ProximityBatchSampler(
        num_instances, batch_size, num_neighbors=num_neighbors,
        num_candidates=num_candidates, restart_prob=restart_prob,
        refresh=refresh, **walk)
