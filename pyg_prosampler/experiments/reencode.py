r"""Encoding instances outside the batch, for the negative samplers that
draw them (EMC²)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch
from torch import Tensor
from torch_geometric.data import Batch

__all__ = ["reencoder"]


@contextmanager
def _batchnorm_running_stats(model: torch.nn.Module) -> Iterator[None]:
    r"""Batch norm layers of :obj:`model` use (and leave untouched) their
    running statistics for the duration."""
    norms = [m for m in model.modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
             and m.training]
    for m in norms:
        m.eval()
    try:
        yield
    finally:
        for m in norms:
            m.train()


def reencoder(dataset: Any, model: torch.nn.Module,
              encode: Callable[[Batch], Tensor],
              device: str | torch.device) -> Callable[[Tensor], Tensor]:
    r"""A function mapping instance indices to :obj:`encode(batch)` of
    their graphs, the :obj:`encode` argument of the negative samplers
    (:class:`~pyg_prosampler.contrastive.negatives.Negatives`).
    :obj:`model`'s batch norms use their running statistics for these
    few graphs (a handful of graphs, possibly a single node after
    augmentation, has no usable batch statistics).

    Args:
        dataset: The data set the indices point into.
        model (torch.nn.Module): The model :obj:`encode` runs.
        encode (callable): :obj:`encode(batch) -> [m, d]`.
        device (str or torch.device): Where the graphs go.
    """
    def run(index: Tensor) -> Tensor:
        graphs = [dataset[int(i)] for i in index.tolist()]
        with _batchnorm_running_stats(model):
            return encode(Batch.from_data_list(graphs).to(device))
    return run
