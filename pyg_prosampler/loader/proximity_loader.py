r"""A PyG data loader whose batches are drawn by an embedding batch
sampler and carry the dataset indices of their graphs."""
from __future__ import annotations

from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import torch
import torch.utils.data
from torch import Tensor
from torch_geometric.data import Batch, Dataset, InMemoryDataset
from torch_geometric.data.data import BaseData
from torch_geometric.loader.dataloader import Collater

from pyg_prosampler._validation import check_positive_int
from pyg_prosampler.loader.storage_collater import StorageCollater
from pyg_prosampler.samplers import (
    EmbeddingBatchSampler,
    ProximityBatchSampler,
)
from pyg_prosampler.samplers.embedding_batch_sampler import Coverage
from pyg_prosampler.samplers.proximity_batch_sampler import (
    Refresh,
    RestartProb,
)

__all__ = ["ProximityLoader"]


class _Indexed(torch.utils.data.Dataset):
    r"""Wraps a dataset so that item :obj:`i` is :obj:`(i, dataset[i])`, or
    just :obj:`i` when the collater gathers from storage."""

    def __init__(self, dataset: Union[Dataset, Sequence[BaseData]],
                 lazy: bool) -> None:
        self.dataset = dataset
        self.lazy = lazy

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Union[int, Tuple[int, BaseData]]:
        return index if self.lazy else (index, self.dataset[index])


class _IndexCollater:
    r"""Collates :obj:`(index, data)` pairs (or bare indices, gathered from
    storage) into a :class:`Batch` whose :obj:`index_attr` vector holds
    the indices."""

    def __init__(self, dataset: Union[Dataset, Sequence[BaseData]],
                 follow_batch: Optional[List[str]],
                 exclude_keys: Optional[List[str]], index_attr: str,
                 storage: Optional[StorageCollater]) -> None:
        self.collater = Collater(dataset, follow_batch, exclude_keys)
        self.index_attr = index_attr
        self.storage = storage

    def __call__(self, items: List[Any]) -> Batch:
        if self.storage is not None:
            batch = self.storage(items)
            index = items
        else:
            for _, data in items:
                if self.index_attr in data:
                    raise ValueError(_taken(self.index_attr))
            batch = self.collater([data for _, data in items])
            index = [i for i, _ in items]
        batch[self.index_attr] = torch.tensor(index, dtype=torch.long)
        return batch


def _taken(index_attr: str) -> str:
    return (f"the data set's graphs already carry an attribute "
            f"`{index_attr}`, which ProximityLoader would overwrite with the "
            f"dataset indices; pass another name, e.g. "
            f"`index_attr=\"sample_idx\"`")


class ProximityLoader(torch.utils.data.DataLoader):
    r"""A :class:`torch_geometric.loader.DataLoader` whose mini-batches are
    sampled by ProSampler (:class:`ProximityBatchSampler`), or by any given
    :class:`EmbeddingBatchSampler`.  Every batch carries the dataset
    indices of its graphs (:obj:`batch.idx`, or the :obj:`index_attr` you
    name), so that the training step can send their embeddings back with
    :meth:`update`.

    It is a drop-in for :obj:`DataLoader(dataset, batch_size, shuffle=True)`:
    a pass yields :obj:`len(loader) = ceil(N / B)` batches (:obj:`floor`
    with :obj:`drop_last`), so a loop that counts epochs trains the same
    number of steps; only which graphs share a batch changes.  Walk batches
    overlap, so a pass may repeat graphs and skip others (they come in a
    later pass); to embed the data set for evaluation, iterate
    :meth:`sequential`, which yields every graph once, in order.

    For an :class:`~torch_geometric.data.InMemoryDataset` of plain
    :class:`Data` without a transform (e.g. a TU data set with node
    labels), batches are gathered straight from its storage
    (:class:`StorageCollater`), equal to per-graph collation and several
    times faster; other data sets are collated graph by graph.

    .. code-block:: python

        from pyg_prosampler import ProximityLoader

        loader = ProximityLoader(dataset, batch_size=128)
        for epoch in range(20):
            for batch in loader:
                z = model(batch)
                loss = contrastive_loss(z, ...)
                loader.update(batch.idx, z.detach())

    Args:
        dataset (Dataset): Dataset of :class:`~torch_geometric.data.Data`.
        batch_size (int, optional): Graphs per batch. (default: :obj:`128`)
        num_neighbors (int, optional): Proximity graph out-degree;
            :obj:`None` for :obj:`min(100, N - 1, num_candidates)`.
            (default: :obj:`None`)
        num_candidates (int, optional): Candidates per node; :obj:`None` for
            the exact kNN graph. (default: :obj:`1000`)
        restart_prob (float or callable, optional): Restart probability or
            its schedule. (default: :obj:`0.1`)
        refresh_every (int, optional): Batches between graph refreshes.
            (default: :obj:`100`)
        refresh (str, optional): :obj:`"rolling"` or :obj:`"full"`, see
            :class:`ProximityBatchSampler`. (default: :obj:`"rolling"`)
        warmup_epochs (int, optional): Uniform passes first. (default:
            :obj:`1`)
        drop_last (bool, optional): :obj:`floor(N / B)` batches a pass.
            (default: :obj:`False`)
        coverage (str, optional): :obj:`"cycle"` or the paper's
            :obj:`"epoch"`, see :class:`EmbeddingBatchSampler`. (default:
            :obj:`"cycle"`)
        seed (int, optional): Sampler seed; :obj:`None` draws one from
            torch's global generator. (default: :obj:`None`)
        batch_sampler (EmbeddingBatchSampler, optional): Use this sampler
            instead (e.g. :class:`UniformBatchSampler` for a baseline); the
            sampler arguments above are then ignored. (default: :obj:`None`)
        index_attr (str, optional): Name of the batch attribute that holds
            the dataset indices; a data set whose graphs already carry it
            is refused. (default: :obj:`"idx"`)
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
        num_neighbors: Optional[int] = None,
        num_candidates: Optional[int] = 1000,
        restart_prob: RestartProb = 0.1,
        refresh_every: int = 100,
        refresh: Refresh = "rolling",
        warmup_epochs: int = 1,
        drop_last: bool = False,
        coverage: Coverage = "cycle",
        seed: Optional[int] = None,
        batch_sampler: Optional[EmbeddingBatchSampler] = None,
        index_attr: str = "idx",
        follow_batch: Optional[List[str]] = None,
        exclude_keys: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> None:
        _check_loader_args(dataset, index_attr, kwargs)
        num = len(dataset)
        if batch_sampler is None:
            batch_sampler = ProximityBatchSampler(
                num, batch_size, num_neighbors=num_neighbors,
                num_candidates=num_candidates, restart_prob=restart_prob,
                refresh_every=refresh_every, refresh=refresh,
                warmup_epochs=warmup_epochs, drop_last=drop_last,
                coverage=coverage, seed=seed)
        elif not isinstance(batch_sampler, EmbeddingBatchSampler) and not \
                hasattr(batch_sampler, "update"):
            raise ValueError(
                "`batch_sampler` must be an EmbeddingBatchSampler (or a "
                "DistributedBatchSampler around one), got "
                f"{type(batch_sampler).__name__}")
        elif batch_sampler.num_instances != num:
            raise ValueError(
                f"`batch_sampler` covers {batch_sampler.num_instances} "
                f"instances but the dataset has {num}")
        if _carries(dataset, index_attr):  # after the seed is drawn
            raise ValueError(_taken(index_attr))
        storage = None
        if not follow_batch and not exclude_keys and \
                StorageCollater.supports(dataset):
            storage = StorageCollater(dataset)
        self._source = dataset
        self.index_attr = index_attr
        self.follow_batch = follow_batch
        self.exclude_keys = exclude_keys
        super().__init__(_Indexed(dataset, storage is not None),
                         batch_sampler=batch_sampler,
                         collate_fn=_IndexCollater(
                             dataset, follow_batch, exclude_keys, index_attr,
                             storage), **kwargs)

    def update(self, index: Tensor, embeddings: Tensor) -> None:
        r"""Forwards to the sampler's :meth:`~EmbeddingBatchSampler.update`."""
        self.batch_sampler.update(index, embeddings)

    def set_epoch(self, epoch: int) -> None:
        r"""Forwards to the sampler's :meth:`set_epoch`."""
        self.batch_sampler.set_epoch(epoch)

    def sequential(self, batch_size: Optional[int] = None) -> Iterator[Batch]:
        r"""Yields every graph exactly once, in dataset order, in batches of
        :obj:`batch_size` (default: the sampler's) that carry the index
        attribute too: the pass to embed a data set for evaluation.  It
        leaves the sampler untouched.

        .. code-block:: python

            z = torch.cat([model.embed(b) for b in loader.sequential()])
        """
        size = self.batch_sampler.batch_size if batch_size is None \
            else batch_size
        check_positive_int(size, "batch_size")
        num = len(self._source)
        for lo in range(0, num, size):
            index = list(range(lo, min(lo + size, num)))
            if isinstance(self.dataset, _Indexed) and self.dataset.lazy:
                yield self.collate_fn(index)
            else:
                yield self.collate_fn([(i, self._source[i]) for i in index])


def _check_loader_args(dataset: Union[Dataset, Sequence[BaseData]],
                       index_attr: str, kwargs: Dict[str, Any]) -> None:
    r"""Refuses the arguments of :class:`ProximityLoader` that neither its
    sampler nor its data set's graphs decide."""
    for key in ("shuffle", "sampler", "collate_fn"):
        if key in kwargs:
            raise ValueError(
                f"ProximityLoader chooses its own batches: drop `{key}`, or "
                f"pass a configured `batch_sampler`")
    if not isinstance(index_attr, str) or not index_attr.isidentifier():
        raise ValueError(f"`index_attr` must be an attribute name, got "
                         f"{index_attr!r}")
    if len(dataset) == 0:
        raise ValueError("the data set is empty; ProximityLoader needs at "
                         "least one graph")


def _carries(dataset: Union[Dataset, Sequence[BaseData]], name: str) -> bool:
    r"""Whether the graphs of :obj:`dataset` hold attribute :obj:`name` (the
    storage of an in-memory data set, else its first graph)."""
    data = getattr(dataset, "_data", None)
    if isinstance(dataset, InMemoryDataset) and isinstance(data, BaseData):
        return name in data
    first = dataset[0]
    return isinstance(first, BaseData) and name in first
