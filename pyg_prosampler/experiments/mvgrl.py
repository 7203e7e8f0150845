r"""MVGRL pre-training with any batch sampler, and its evaluation (the
LinearSVC protocol on the sum of both views' graph embeddings)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader

from pyg_prosampler.contrastive.losses import local_global_jsd
from pyg_prosampler.contrastive.models import MVGRL
from pyg_prosampler.contrastive.negatives import Encode, Negatives
from pyg_prosampler.contrastive.registry import make_negatives
from pyg_prosampler.datasets import graph_labels
from pyg_prosampler.experiments.evaluate import svm_accuracy
from pyg_prosampler.experiments.hooks import EpochLog, OnEpoch
from pyg_prosampler.experiments.reencode import reencoder
from pyg_prosampler.experiments.rng import seeded_global_rng
from pyg_prosampler.experiments.training import Step, fit
from pyg_prosampler.samplers import EmbeddingBatchSampler

__all__ = ["MVGRL_LOSSES", "train_mvgrl", "evaluate_mvgrl"]

MVGRL_LOSSES = ("jsd", "infonce")
r"""MVGRL's objectives: the local-global JSD estimator (in-batch
negatives), or a view-pair loss with any negative sampler."""


def train_mvgrl(
    dataset: Any,
    sampler: EmbeddingBatchSampler,
    *,
    loss: str = "jsd",
    negatives: str = "inbatch",
    negatives_params: Optional[Dict[str, Any]] = None,
    hidden: int = 512,
    num_layers: int = 4,
    epochs: int = 20,
    lr: float = 0.001,
    temperature: float = 0.2,
    seed: int = 0,
    device: str | torch.device = "cpu",
    labels: Optional[Tensor] = None,
    progress: bool = True,
    checkpoint: Optional[str] = None,
    on_epoch: Optional[OnEpoch] = None,
) -> Tuple[MVGRL, List[EpochLog]]:
    r"""Pre-trains :class:`MVGRL` on a :class:`DiffusionViewDataset` with
    batches from :obj:`sampler` (see
    :func:`~pyg_prosampler.experiments.training.fit`).  The model and
    loader are seeded by :obj:`seed` alone; the caller's global random
    generators are left as they were.

    :obj:`loss="jsd"`: the local-global JSD estimator both ways (nodes of
    the adjacency view against graphs of the diffusion view, and the
    reverse), the other graphs of the batch being the negatives;
    :obj:`loss="infonce"`: the two views' graph embeddings contrasted with
    the chosen :obj:`negatives` (in-batch is NT-Xent; EMC² re-encodes the
    diffusion view of its out-of-batch states).  The sum of both views'
    graph embeddings (the evaluated representation) is fed to the sampler,
    so a bank Ring compares the adjacency view's graph vector with those
    sums.  The other arguments are those of
    :func:`~pyg_prosampler.experiments.graphcl.train_graphcl`.

    Args:
        loss (str, optional): :obj:`"jsd"` or :obj:`"infonce"`.
        hidden (int, optional): GCN width. (default: :obj:`512`)
        num_layers (int, optional): GCN layers. (default: :obj:`4`)
        lr (float, optional): Adam learning rate. (default: 0.001)
    """
    if loss not in MVGRL_LOSSES:
        raise ValueError(f"`loss` must be one of {MVGRL_LOSSES}, got "
                         f"{loss!r}")
    if loss == "jsd" and negatives != "inbatch":
        raise ValueError("the JSD loss takes in-batch negatives only: use "
                         "loss='infonce' with other negatives")
    with seeded_global_rng(seed, device):
        model = MVGRL(dataset.num_features, hidden, num_layers).to(device)
        total_steps = epochs * -(-len(dataset) // sampler.batch_size)
        loss_fn = make_negatives(negatives, sampler, temperature=temperature,
                                 total_steps=total_steps, seed=seed,
                                 **(negatives_params or {})).to(device)
        encode = reencoder(dataset, model, lambda b: model(b)[3], device)
        logs = fit(model, dataset, sampler,
                   _mvgrl_step(model, loss, loss_fn, encode), epochs=epochs,
                   lr=lr, device=device, labels=labels, progress=progress,
                   desc="MVGRL", checkpoint=checkpoint,
                   state={"loss": loss_fn}, on_epoch=on_epoch,
                   config={"method": "mvgrl", "seed": seed, "loss": loss,
                           "negatives": negatives,
                           "negatives_params": dict(negatives_params or {}),
                           "temperature": temperature})
    return model, logs


def _mvgrl_step(model: MVGRL, loss: str, loss_fn: Negatives,
                encode: Encode) -> Step:
    r"""MVGRL's step; returns the loss and the sum of both views' graph
    embeddings, to feed."""
    def step(batch: Batch) -> Tuple[Tensor, Tensor]:
        h1, h2, g1, g2 = model(batch)
        if loss == "jsd":
            value = (local_global_jsd(h1, g2, batch.batch)
                     + local_global_jsd(h2, g1, batch.batch))
        else:
            value = loss_fn(g1, g2, batch.idx, encode)
        return value, g1 + g2

    return step


def evaluate_mvgrl(model: MVGRL, dataset: Any, seed: int = 0,
                   device: str | torch.device = "cpu",
                   batch_size: int = 128,
                   progress: bool = False) -> Dict[str, float]:
    r"""LinearSVC protocol accuracy of
    :meth:`~pyg_prosampler.contrastive.models.MVGRL.embed` (a bar over the
    outer folds with :obj:`progress`)."""
    model.eval()
    z = torch.cat([model.embed(b.to(device)).cpu() for b in
                   DataLoader(dataset, batch_size=batch_size)])
    return svm_accuracy(z, graph_labels(dataset), seed=seed, linear=True,
                        progress=progress)
