r"""Mini-batches gathered straight from an in-memory data set's storage."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data, Dataset, InMemoryDataset

__all__ = ["StorageCollater"]


class StorageCollater:
    r"""Builds the :class:`~torch_geometric.data.Batch` of a list of graph
    indices by slicing the concatenated storage of an
    :class:`~torch_geometric.data.InMemoryDataset` once per attribute,
    instead of :obj:`dataset[i]` per graph followed by collation.  The
    result equals :obj:`Batch.from_data_list([dataset[i] for i in index])`
    (attributes, :obj:`batch`, :obj:`ptr` and the slice and increment
    tables that :meth:`~Batch.get_example` uses).

    It applies only where that equality can hold: a plain :class:`Data`
    storage of tensors with node features :obj:`x`, no transform, no
    :obj:`follow_batch` or :obj:`exclude_keys`.  :meth:`supports` says
    whether a data set qualifies; :class:`ProximityLoader` falls back to
    per-graph collation otherwise.

    .. code-block:: python

        collate = StorageCollater(dataset)       # dataset: e.g. TUDataset
        batch = collate([3, 17, 42])             # == Batch.from_data_list(
                                                 #    [dataset[3], ...])

    Args:
        dataset (InMemoryDataset): The data set, possibly an index view of
            one (:obj:`dataset[perm]`).
    """

    def __init__(self, dataset: InMemoryDataset) -> None:
        if not self.supports(dataset):
            raise ValueError(
                "StorageCollater needs an InMemoryDataset of plain Data "
                "graphs with node features `x`, tensor attributes only and "
                "no transform; collate per graph for other data sets")
        self.dataset = dataset
        self.data: Data = dataset._data
        self.slices: Dict[str, Tensor] = dataset.slices
        indices = dataset._indices
        self.indices: Optional[Tensor] = (
            None if indices is None else torch.as_tensor(
                indices if not isinstance(indices, range) else list(indices),
                dtype=torch.long))
        self.keys = list(self.data.keys())
        # Per-graph node counts, from the node feature slices.
        x_slices = self.slices["x"]
        self.num_nodes = x_slices[1:] - x_slices[:-1]

    @staticmethod
    def supports(dataset: Union[Dataset, Sequence]) -> bool:
        r"""Whether :obj:`dataset` can be gathered from its storage."""
        if not isinstance(dataset, InMemoryDataset):
            return False
        data, slices = getattr(dataset, "_data", None), dataset.slices
        if (type(data) is not Data or not isinstance(slices, dict)
                or dataset.transform is not None or len(dataset) < 2):
            return False
        keys = list(data.keys())
        if "x" not in keys or "num_nodes" in keys or "ptr" in keys:
            return False
        if any("batch" in key for key in keys):  # PyG offsets those by
            return False                         # each graph's max + 1
        for key in keys:
            value = data[key]
            if type(value) is not Tensor or value.dim() == 0 \
                    or key not in slices or value.is_sparse:
                return False
            cat_dim = data.__cat_dim__(key, value)
            if cat_dim not in (0, -1, value.dim() - 1) or cat_dim is None:
                return False
        return True

    def __call__(self, index: List[int]) -> Batch:
        idx = torch.as_tensor(index, dtype=torch.long)
        if self.indices is not None:
            idx = self.indices[idx]
        nodes = self.num_nodes[idx]
        node_offset = torch.cumsum(nodes, 0) - nodes  # each graph's first
        batch = Batch(_base_cls=Data)
        slice_dict: Dict[str, Tensor] = {}
        inc_dict: Dict[str, Tensor] = {}
        for key in self.keys:
            value = self.data[key]
            cat_dim = self.data.__cat_dim__(key, value)
            cat_dim = cat_dim % value.dim()
            slices = self.slices[key]
            start, size = slices[idx], slices[idx + 1] - slices[idx]
            where = _segments(start, size)
            out = value.index_select(cat_dim, where)
            inc = int(self.data.__inc__(key, value) != 0)
            if inc:
                owner = torch.repeat_interleave(
                    torch.arange(idx.numel()), size)
                shape = [1] * out.dim()
                shape[cat_dim] = -1
                out = out + node_offset[owner].view(shape).to(out.dtype)
                inc_dict[key] = node_offset
            else:
                inc_dict[key] = torch.zeros(idx.numel(), dtype=torch.long)
            batch[key] = out
            slice_dict[key] = torch.cat([size.new_zeros(1),
                                         torch.cumsum(size, 0)])
        batch.batch = torch.repeat_interleave(torch.arange(idx.numel()),
                                              nodes)
        batch.ptr = torch.cat([nodes.new_zeros(1), torch.cumsum(nodes, 0)])
        batch._num_graphs = idx.numel()
        batch._slice_dict = slice_dict
        batch._inc_dict = inc_dict
        return batch


def _segments(start: Tensor, size: Tensor) -> Tensor:
    r"""The concatenation of :obj:`arange(start[i], start[i] + size[i])`."""
    total = int(size.sum())
    offset = torch.cumsum(size, 0) - size  # where each segment begins
    shift = torch.repeat_interleave(start - offset, size)
    return torch.arange(total) + shift
