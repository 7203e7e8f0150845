r"""Uniform shuffling with the samplers' interface."""
from __future__ import annotations

from typing import Optional

from pyg_prosampler.samplers.embedding_batch_sampler import (
    EmbeddingBatchSampler,
)

__all__ = ["UniformBatchSampler"]


class UniformBatchSampler(EmbeddingBatchSampler):
    r"""Uniformly shuffled batches (the usual :obj:`shuffle=True`), with the
    same interface as :class:`ProximityBatchSampler` (:meth:`update`,
    :meth:`set_epoch`, :meth:`state_dict`) so that training loops can swap
    samplers.  :meth:`update` only fills the embedding table, which
    diagnostics may read; it never changes the batches.

    .. code-block:: python

        from torch_geometric.loader import DataLoader
        from pyg_prosampler import UniformBatchSampler

        sampler = UniformBatchSampler(len(dataset), batch_size=128, seed=0)
        loader = DataLoader(dataset, batch_sampler=sampler)

    Args:
        num_instances (int): Number of instances :obj:`N`.
        batch_size (int): Batch size, at most :obj:`N`.
        drop_last (bool, optional): Drop the last, smaller batch.
            (default: :obj:`False`)
        seed (int, optional): Seed; pass :obj:`e` shuffles with
            :obj:`(seed, e)`; :obj:`None` draws one from torch's global
            generator. (default: :obj:`None`)
    """

    def __init__(
        self,
        num_instances: int,
        batch_size: int,
        *,
        drop_last: bool = False,
        seed: Optional[int] = None,
    ) -> None:
        super().__init__(num_instances, batch_size, warmup_epochs=0,
                         drop_last=drop_last, seed=seed)

    def uses_coverage(self) -> bool:
        return False
