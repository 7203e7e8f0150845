r"""GraphCL pre-training with any batch sampler and negative sampler, and
its evaluation (the SVC protocol on the encoder's graph embeddings)."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader

from pyg_prosampler.contrastive.augment import RandomAugment
from pyg_prosampler.contrastive.models import GraphCL
from pyg_prosampler.contrastive.negatives import Negatives
from pyg_prosampler.contrastive.registry import make_negatives
from pyg_prosampler.datasets import graph_labels
from pyg_prosampler.experiments.evaluate import svm_accuracy
from pyg_prosampler.experiments.hooks import EpochLog, OnEpoch
from pyg_prosampler.experiments.reencode import reencoder
from pyg_prosampler.experiments.rng import seeded_global_rng
from pyg_prosampler.experiments.training import Step, fit
from pyg_prosampler.samplers import EmbeddingBatchSampler

__all__ = ["FEEDS", "HIDDEN", "NUM_LAYERS", "train_graphcl", "embed_graphs",
           "evaluate_graphcl"]

FEEDS = ("projection", "encoder")
r"""The embeddings a GraphCL run may feed to its sampler."""
HIDDEN, NUM_LAYERS = 32, 3
r"""GraphCL's GIN size: hidden width and layers."""


def train_graphcl(
    dataset: Any,
    sampler: EmbeddingBatchSampler,
    *,
    loss: str = "infonce",
    negatives: str = "inbatch",
    negatives_params: Optional[Dict[str, Any]] = None,
    hidden: int = HIDDEN,
    num_layers: int = NUM_LAYERS,
    epochs: int = 20,
    lr: float = 0.01,
    temperature: float = 0.2,
    seed: int = 0,
    feed: str = "projection",
    device: str | torch.device = "cpu",
    labels: Optional[Tensor] = None,
    progress: bool = True,
    checkpoint: Optional[str] = None,
    on_epoch: Optional[OnEpoch] = None,
) -> Tuple[GraphCL, List[EpochLog]]:
    r"""Pre-trains :class:`GraphCL` on :obj:`dataset` with batches from
    :obj:`sampler`, GraphCL's random augmentation against the original
    graph and the chosen loss, for :obj:`epochs * ceil(N / B)` steps
    (see :func:`~pyg_prosampler.experiments.training.fit`).  The model,
    augmentations and loader are seeded by :obj:`seed` alone; the
    caller's global random generators are left as they were.

    After each step the *projection* of the original graphs is fed to the
    sampler, as the reference code does: it is the space in which the
    loss measures how hard a negative is.  :obj:`feed="encoder"` feeds the
    encoder's graph embeddings (the evaluated representation) instead.

    Args:
        dataset: PyG data set of graphs.
        sampler (EmbeddingBatchSampler): Batch sampler over the data set.
        loss (str, optional): The in-batch loss, :obj:`"infonce"`
            (NT-Xent), :obj:`"dcl"` or :obj:`"hcl"`.
        negatives (str, optional): :obj:`"inbatch"`, :obj:`"ring"`,
            :obj:`"sogclr"` or :obj:`"emc2"` (see
            :func:`~pyg_prosampler.contrastive.registry.make_negatives`;
            EMC² re-encodes an augmented view of its out-of-batch states).
        negatives_params (dict, optional): Knobs of the negative sampler.
        hidden (int, optional): GIN hidden width. (default: :obj:`32`)
        num_layers (int, optional): GIN layers. (default: :obj:`3`)
        epochs (int, optional): Budget in uniform epochs. (default: 20)
        lr (float, optional): Adam learning rate. (default: 0.01)
        temperature (float, optional): Loss temperature. (default: 0.2)
        seed (int, optional): Seed of the model, augmentations and loader.
        feed (str, optional): :obj:`"projection"` or :obj:`"encoder"`.
        device (str, optional): Training device. (default: :obj:`"cpu"`)
        labels (torch.Tensor, optional): Graph labels, only to log the
            same-class pair fraction of the batches.
        progress (bool, optional): Show a progress bar. (default: True)
        checkpoint (str, optional): File to save the run to after every
            epoch and resume it from.
        on_epoch (callable, optional): :obj:`on_epoch(model, logs)` after
            every epoch.

    Returns:
        The trained model and the per-epoch logs.
    """
    if feed not in FEEDS:
        raise ValueError(f"`feed` must be one of {FEEDS}, got {feed!r}")
    with seeded_global_rng(seed, device):
        augment_generator = torch.Generator().manual_seed(seed)
        model = GraphCL(dataset.num_features, hidden, num_layers).to(device)
        total_steps = epochs * -(-len(dataset) // sampler.batch_size)
        loss_fn = make_negatives(
            negatives, sampler, loss=loss, temperature=temperature,
            total_steps=total_steps, seed=seed,
            **(negatives_params or {})).to(device)
        step = _graphcl_step(dataset, model, loss_fn, augment_generator,
                             feed, device)
        logs = fit(model, dataset, sampler, step, epochs=epochs, lr=lr,
                   device=device, labels=labels, progress=progress,
                   desc="GraphCL", checkpoint=checkpoint,
                   state={"loss": loss_fn, "augment": augment_generator},
                   on_epoch=on_epoch,
                   config={"method": "graphcl", "seed": seed, "loss": loss,
                           "negatives": negatives,
                           "negatives_params": dict(negatives_params or {}),
                           "temperature": temperature, "feed": feed})
    return model, logs


def _graphcl_step(dataset: Any, model: GraphCL, loss_fn: Negatives,
                  augment_generator: torch.Generator, feed: str,
                  device: str | torch.device) -> Step:
    r"""GraphCL's step: the loss between the original graphs' projection
    and an augmented view's; returns it with the embeddings to feed."""
    augment = RandomAugment(generator=augment_generator)

    def augmented(batch: Batch) -> Tensor:
        view = augment(batch)
        return model(view.x, view.edge_index, view.batch,
                     view.num_graphs)[1]

    encode: Callable[[Tensor], Tensor] = reencoder(dataset, model,
                                                   augmented, device)

    def step(batch: Batch) -> Tuple[Tensor, Tensor]:
        g, z = model(batch.x, batch.edge_index, batch.batch,
                     batch.num_graphs)
        value = loss_fn(z, augmented(batch), batch.idx, encode)
        return value, z if feed == "projection" else g

    return step


@torch.no_grad()
def embed_graphs(model: GraphCL, dataset: Any,
                 device: str | torch.device = "cpu",
                 batch_size: int = 256) -> Tensor:
    r"""Encoder embeddings (not the projection) of the un-augmented graphs,
    in data set order."""
    model.eval()
    out = []
    for batch in DataLoader(dataset, batch_size=batch_size):
        batch = batch.to(device)
        g, _ = model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
        out.append(g.cpu())
    return torch.cat(out)


def evaluate_graphcl(model: GraphCL, dataset: Any, seed: int = 0,
                     device: str | torch.device = "cpu",
                     progress: bool = False) -> Dict[str, float]:
    r"""SVC protocol accuracy of the model's encoder embeddings (a bar over
    the outer folds with :obj:`progress`; see
    :func:`~pyg_prosampler.experiments.evaluate.svm_accuracy`)."""
    z = embed_graphs(model, dataset, device)
    return svm_accuracy(z, graph_labels(dataset), seed=seed,
                        progress=progress)
