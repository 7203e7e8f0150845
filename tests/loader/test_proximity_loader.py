import pytest
import torch
from torch_geometric.data import Batch, Data

from pyg_prosampler import ProximityLoader, UniformBatchSampler


def toy_dataset(num=300):
    g = torch.Generator().manual_seed(0)
    out = []
    for i in range(num):
        n = 3 + i % 5
        ring = torch.arange(n)
        edge_index = torch.stack([ring, ring.roll(-1)])
        out.append(Data(x=torch.randn(n, 4, generator=g),
                        edge_index=edge_index, y=torch.tensor([i % 3])))
    return out


def test_batches_carry_indices_and_cover_each_epoch():
    data = toy_dataset()
    loader = ProximityLoader(data, batch_size=32, num_neighbors=10,
                             num_candidates=50, refresh_every=3,
                             warmup_epochs=1)
    for _epoch in range(2):
        seen = torch.zeros(len(data), dtype=torch.bool)
        for batch in loader:
            assert isinstance(batch, Batch)
            assert batch.num_graphs == batch.idx.numel()
            # The graphs are the ones the indices name, in order.
            sizes = torch.tensor([data[i].num_nodes for i in batch.idx])
            assert torch.equal(torch.bincount(batch.batch), sizes)
            assert torch.equal(batch.y, torch.cat([data[i].y
                                                   for i in batch.idx]))
            seen[batch.idx] = True
            z = torch.randn(batch.num_graphs, 8)  # stands in for a model
            loader.update(batch.idx, z)
        assert bool(seen.all())
    assert loader.batch_sampler.graph is not None


def test_accepts_any_embedding_batch_sampler():
    data = toy_dataset(50)
    loader = ProximityLoader(data, batch_sampler=UniformBatchSampler(50, 8))
    assert sum(b.num_graphs for b in loader) == 50
    with pytest.raises(ValueError, match="instances"):
        ProximityLoader(data, batch_sampler=UniformBatchSampler(49, 8))
    with pytest.raises(ValueError, match="shuffle"):
        ProximityLoader(data, batch_size=8, num_neighbors=5, shuffle=True)
