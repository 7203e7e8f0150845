r"""PyG's :class:`NeighborLoader` with its seed nodes drawn by an embedding
batch sampler (ProSampler over nodes)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.loader import NeighborLoader
from torch_geometric.typing import InputNodes

from pyg_prosampler.samplers import (
    EmbeddingBatchSampler,
    ProximityBatchSampler,
)

__all__ = ["ProximityNeighborLoader"]


class ProximityNeighborLoader(NeighborLoader):
    r"""A :class:`~torch_geometric.loader.NeighborLoader` whose batches of
    seed nodes are drawn by ProSampler (:class:`ProximityBatchSampler`, a
    random walk with restart on a proximity graph of the seed nodes'
    embeddings), or by any given :class:`EmbeddingBatchSampler`.  The
    :obj:`k`-hop subgraphs around the seeds are sampled by
    :class:`NeighborLoader` itself, with all of its arguments
    (:obj:`num_neighbors`, :obj:`input_nodes`, :obj:`num_workers`, ...), so a
    batch is exactly what :class:`NeighborLoader` gives for those seeds: its
    first :obj:`batch.batch_size` nodes are the seeds, and
    :obj:`batch.input_id` their positions in :obj:`input_nodes`, which is
    what :meth:`update` takes back with the seeds' embeddings.

    A pass yields :obj:`ceil(len(input_nodes) / batch_size)` batches, as a
    shuffled :class:`NeighborLoader` does.  With a
    :class:`UniformBatchSampler` it reproduces a shuffled
    :class:`NeighborLoader` whose generator is seeded alike.

    .. code-block:: python

        from pyg_prosampler import ProximityNeighborLoader

        loader = ProximityNeighborLoader(data, num_neighbors=[10, 10],
                                         batch_size=256)
        for epoch in range(20):
            for batch in loader:
                h = model(batch.x, batch.edge_index)[:batch.batch_size]
                loss = contrastive_loss(h, ...)
                loader.update(batch.input_id, h.detach())

    Args:
        data (Data): The graph.
        num_neighbors (List[int]): Neighbors sampled per hop, as in
            :class:`NeighborLoader`.
        batch_size (int, optional): Seed nodes per batch. (default:
            :obj:`128`)
        input_nodes (torch.Tensor, optional): The seed nodes to draw from
            (indices or a mask); :obj:`None` for all nodes. (default:
            :obj:`None`)
        batch_sampler (EmbeddingBatchSampler, optional): The sampler of seed
            batches, over :obj:`len(input_nodes)` instances; :obj:`None`
            for a :class:`ProximityBatchSampler` built from
            :obj:`sampler_kwargs`. (default: :obj:`None`)
        sampler_kwargs (dict, optional): Arguments of that
            :class:`ProximityBatchSampler` (:obj:`num_candidates`,
            :obj:`restart_prob`, :obj:`seed`, ...). (default: :obj:`None`)
        **kwargs (optional): Further :class:`NeighborLoader` arguments.
    """

    def __init__(
        self,
        data: Data,
        num_neighbors: List[int],
        batch_size: int = 128,
        *,
        input_nodes: InputNodes = None,
        batch_sampler: Optional[EmbeddingBatchSampler] = None,
        sampler_kwargs: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        for key in ("shuffle", "sampler", "drop_last", "input_id"):
            if key in kwargs:
                raise ValueError(
                    f"ProximityNeighborLoader chooses its own batches: drop "
                    f"`{key}`, or pass a configured `batch_sampler`")
        if not isinstance(data, Data):
            raise ValueError(f"`data` must be a homogeneous "
                             f"torch_geometric.data.Data graph, got "
                             f"{type(data).__name__}")
        num = _num_inputs(data, input_nodes)
        if batch_sampler is None:
            batch_sampler = ProximityBatchSampler(num, batch_size,
                                                  **(sampler_kwargs or {}))
        elif sampler_kwargs:
            raise ValueError("pass either `batch_sampler` or "
                             "`sampler_kwargs`, not both")
        elif not hasattr(batch_sampler, "update"):
            raise ValueError(
                f"`batch_sampler` must be an EmbeddingBatchSampler, got "
                f"{type(batch_sampler).__name__}")
        if batch_sampler.num_instances != num:
            raise ValueError(
                f"`batch_sampler` covers {batch_sampler.num_instances} "
                f"instances but there are {num} input nodes")
        # input_id: positions in input_nodes (PyG's default for a mask or
        # an index tensor is the node ids), which index the sampler's table
        super().__init__(data, num_neighbors, input_nodes=input_nodes,
                         batch_sampler=batch_sampler,
                         input_id=torch.arange(num), **kwargs)

    def update(self, input_id: Tensor, embeddings: Tensor) -> None:
        r"""Sends the seeds' embeddings (:obj:`[batch_size, d]`) back to the
        sampler; :obj:`input_id` is :obj:`batch.input_id`."""
        self.batch_sampler.update(input_id, embeddings)

    def set_epoch(self, epoch: int) -> None:
        r"""Forwards to the sampler's :meth:`set_epoch`."""
        self.batch_sampler.set_epoch(epoch)


def _num_inputs(data: Data, input_nodes: Union[Tensor, None, Any]) -> int:
    r"""How many seed nodes :obj:`input_nodes` names."""
    if input_nodes is None:
        return data.num_nodes
    if isinstance(input_nodes, Tensor):
        if input_nodes.dtype == torch.bool:
            return int(input_nodes.sum())
        return input_nodes.numel()
    raise ValueError(f"`input_nodes` must be None, an index tensor or a "
                     f"boolean mask, got {type(input_nodes).__name__}")
