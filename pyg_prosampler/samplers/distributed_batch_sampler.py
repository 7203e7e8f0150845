r"""Sharding an embedding batch sampler over the ranks of a process group."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional

import torch.distributed as dist
from torch import Tensor
from torch.utils.data import Sampler

from pyg_prosampler._validation import check_embeddings, check_index
from pyg_prosampler.distributed import (
    _world_size_and_rank,
    all_gather_rows,
)
from pyg_prosampler.samplers.embedding_batch_sampler import (
    EmbeddingBatchSampler,
)
from pyg_prosampler.samplers.proximity_batch_sampler import (
    ProximityBatchSampler,
)

__all__ = ["DistributedBatchSampler"]


class DistributedBatchSampler(Sampler[List[int]]):
    r"""Runs an :class:`EmbeddingBatchSampler` under
    :obj:`torch.distributed` (e.g. :obj:`torchrun` with DDP): every rank
    holds the same sampler (same seed), so every rank draws the same
    sequence of *global* batches and yields its own shard
    :obj:`batch[rank::world_size]`; the global batch is the hard one.
    :meth:`update` gathers the shards' indices and embeddings from all
    ranks (:obj:`all_gather`), so every rank's embedding table, proximity
    graph and next batches stay identical.  Graph refreshes are sharded:
    each rank computes its share of the refreshed rows and the shares are
    all-gathered, so a refresh costs each rank :obj:`1 / world_size` of
    one process's.  Rank 0's seed is broadcast to all ranks.  A batch
    smaller than the world (the short last batch of a uniform pass) has
    its instances repeated so that no rank gets an empty shard.  For a given
    seed and the same embeddings the global batches do not depend on the
    number of ranks.

    The rank's :meth:`update` must be called by every rank after every
    step (a collective), with the embeddings of its own shard.  Other
    attributes (:obj:`batch_size`, :obj:`totals`, :obj:`state_dict`, ...)
    are those of the wrapped sampler; :obj:`batch_size` is the global one.

    .. code-block:: python

        dist.init_process_group("gloo")
        sampler = DistributedBatchSampler(
            ProximityBatchSampler(len(dataset), 256, seed=0))
        loader = ProximityLoader(dataset, batch_sampler=sampler)
        for batch in loader:          # this rank's 256 / world graphs
            z = model(batch)
            ...
            loader.update(batch.idx, z.detach())

    Args:
        sampler (EmbeddingBatchSampler): The global-batch sampler, built
            identically on every rank.
        num_replicas (int, optional): World size (default: that of the
            initialised process group, else 1).
        rank (int, optional): This rank (default: that of the process
            group, else 0).
    """

    def __init__(self, sampler: EmbeddingBatchSampler,
                 num_replicas: Optional[int] = None,
                 rank: Optional[int] = None) -> None:
        size, me = _world_size_and_rank()
        num_replicas = size if num_replicas is None else num_replicas
        rank = me if rank is None else rank
        if not isinstance(sampler, EmbeddingBatchSampler):
            raise TypeError("`sampler` must be an EmbeddingBatchSampler, "
                            f"got {type(sampler).__name__}")
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(f"need 0 <= rank < num_replicas, got rank "
                             f"{rank}, num_replicas {num_replicas}")
        if sampler.batch_size < num_replicas:
            raise ValueError(
                f"the global batch size ({sampler.batch_size}) must be at "
                f"least the number of ranks ({num_replicas}): every rank "
                f"needs a non-empty shard")
        if num_replicas > 1 and size != num_replicas:
            raise ValueError(
                f"`num_replicas={num_replicas}` needs an initialised process "
                f"group of that size (found world size {size}): call "
                f"`torch.distributed.init_process_group` first, or leave "
                f"`num_replicas` and `rank` unset")
        self.sampler = sampler
        self.num_replicas = num_replicas
        self.rank = rank
        if num_replicas > 1:
            # Every rank must draw the same global batches: rank 0's seed
            # wins (a seed drawn from an unseeded global generator differs).
            seed = [sampler.seed]
            dist.broadcast_object_list(seed, src=0)  # any backend
            sampler.seed = int(seed[0])
            if isinstance(sampler, ProximityBatchSampler):
                sampler.shard_refresh(rank, num_replicas, all_gather_rows)

    def __iter__(self) -> Iterator[List[int]]:
        for batch in self.sampler:
            if len(batch) < self.num_replicas:
                # e.g. the short last batch of a uniform pass: repeat its
                # instances so that no rank gets an empty shard (as
                # DistributedSampler pads)
                batch = (batch * self.num_replicas)[:self.num_replicas]
            yield batch[self.rank::self.num_replicas]

    def __len__(self) -> int:
        return len(self.sampler)

    def update(self, index: Tensor, embeddings: Tensor) -> None:
        r"""Gathers every rank's :obj:`(index, embeddings)` and writes them
        all into the wrapped sampler's table (a collective call)."""
        check_index(index, self.sampler.num_instances)
        check_embeddings(embeddings)
        if self.num_replicas > 1:
            index = all_gather_rows(index.to(embeddings.device))
            embeddings = all_gather_rows(embeddings)
        self.sampler.update(index.cpu(), embeddings)

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)

    def state_dict(self) -> Dict[str, Any]:
        return self.sampler.state_dict()

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.sampler.load_state_dict(state)

    def __getattr__(self, name: str) -> Any:
        if name == "sampler":  # not set yet (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.sampler, name)
