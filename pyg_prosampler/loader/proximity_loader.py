r"""A PyG data loader whose batches are drawn by an embedding batch
sampler and carry the dataset indices of their graphs."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

import torch
import torch.utils.data
from torch import Tensor
from torch_geometric.data import Batch, Dataset
from torch_geometric.data.data import BaseData
from torch_geometric.loader.dataloader import Collater

from pyg_prosampler.samplers import (
    EmbeddingBatchSampler,
    ProximityBatchSampler,
)
from pyg_prosampler.samplers.proximity_batch_sampler import RestartProb


class _Indexed(torch.utils.data.Dataset):
    r"""Wraps a dataset so that item :obj:`i` is :obj:`(i, dataset[i])`."""

    def __init__(self, dataset: Union[Dataset, Sequence[BaseData]]) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Tuple[int, BaseData]:
        return index, self.dataset[index]


class _IndexCollater:
    r"""Collates :obj:`(index, data)` pairs into a :class:`Batch` with an
    :obj:`idx` vector."""

    def __init__(self, dataset: Union[Dataset, Sequence[BaseData]],
                 follow_batch: Optional[List[str]],
                 exclude_keys: Optional[List[str]]) -> None:
        self.collater = Collater(dataset, follow_batch, exclude_keys)

    def __call__(self, items: List[Tuple[int, BaseData]]) -> Batch:
        batch = self.collater([data for _, data in items])
        batch.idx = torch.tensor([i for i, _ in items], dtype=torch.long)
        return batch


class ProximityLoader(torch.utils.data.DataLoader):
    r"""A :class:`torch_geometric.loader.DataLoader` whose mini-batches are
    sampled by ProSampler (:class:`ProximityBatchSampler`), or by any given
    :class:`EmbeddingBatchSampler`.  Every batch carries :obj:`batch.idx`,
    the dataset indices of its graphs, so that the training step can send
    their embeddings back with :meth:`update`.

    .. code-block:: python

        from pyg_prosampler import ProximityLoader

        loader = ProximityLoader(dataset, batch_size=128, num_neighbors=100,
                                 num_candidates=1000, restart_prob=0.1)
        for epoch in range(20):
            for batch in loader:
                z = model(batch)
                loss = contrastive_loss(z, ...)
                loader.update(batch.idx, z.detach())

    Args:
        dataset (Dataset): Dataset of :class:`~torch_geometric.data.Data`.
        batch_size (int, optional): Graphs per batch. (default: :obj:`128`)
        num_neighbors (int, optional): Proximity graph out-degree.
            (default: :obj:`100`)
        num_candidates (int, optional): Candidates per node; :obj:`None` for
            the exact kNN graph. (default: :obj:`1000`)
        restart_prob (float or callable, optional): Restart probability or
            its schedule. (default: :obj:`0.1`)
        refresh_every (int, optional): Batches between graph rebuilds.
            (default: :obj:`100`)
        warmup_epochs (int, optional): Uniform epochs first. (default:
            :obj:`1`)
        seed (int, optional): Sampler seed. (default: :obj:`0`)
        batch_sampler (EmbeddingBatchSampler, optional): Use this sampler
            instead (e.g. :class:`UniformBatchSampler` for a baseline); the
            sampler arguments above are then ignored. (default: :obj:`None`)
        follow_batch (List[str], optional): As in PyG's
            :class:`~torch_geometric.loader.DataLoader`.
        exclude_keys (List[str], optional): As in PyG's
            :class:`~torch_geometric.loader.DataLoader`.
        **kwargs (optional): Further :class:`torch.utils.data.DataLoader`
            arguments (e.g. :obj:`num_workers`).
    """

    def __init__(
        self,
        dataset: Union[Dataset, Sequence[BaseData]],
        batch_size: int = 128,
        *,
        num_neighbors: int = 100,
        num_candidates: Optional[int] = 1000,
        restart_prob: RestartProb = 0.1,
        refresh_every: int = 100,
        warmup_epochs: int = 1,
        seed: int = 0,
        batch_sampler: Optional[EmbeddingBatchSampler] = None,
        follow_batch: Optional[List[str]] = None,
        exclude_keys: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> None:
        for key in ("shuffle", "sampler", "collate_fn", "drop_last"):
            if key in kwargs:
                raise ValueError(
                    f"ProximityLoader chooses its own batches: drop "
                    f"`{key}`, or pass a configured `batch_sampler`")
        if batch_sampler is None:
            batch_sampler = ProximityBatchSampler(
                len(dataset), batch_size, num_neighbors=num_neighbors,
                num_candidates=num_candidates, restart_prob=restart_prob,
                refresh_every=refresh_every, warmup_epochs=warmup_epochs,
                seed=seed)
        elif batch_sampler.num_instances != len(dataset):
            raise ValueError(
                f"`batch_sampler` covers {batch_sampler.num_instances} "
                f"instances but the dataset has {len(dataset)}")
        super().__init__(_Indexed(dataset), batch_sampler=batch_sampler,
                         collate_fn=_IndexCollater(dataset, follow_batch,
                                                   exclude_keys), **kwargs)

    def update(self, index: Tensor, embeddings: Tensor) -> None:
        r"""Forwards to the sampler's :meth:`~EmbeddingBatchSampler.update`."""
        self.batch_sampler.update(index, embeddings)

    def set_epoch(self, epoch: int) -> None:
        r"""Forwards to the sampler's :meth:`set_epoch`."""
        self.batch_sampler.set_epoch(epoch)
