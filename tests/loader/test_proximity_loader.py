import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

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


def test_batches_carry_indices_and_cover_the_data_set():
    data = toy_dataset()
    loader = ProximityLoader(data, batch_size=32, num_neighbors=10,
                             num_candidates=50, refresh_every=3,
                             warmup_epochs=1)
    seen = torch.zeros(len(data), dtype=torch.bool)
    for epoch in range(4):  # a uniform pass, then a coverage cycle
        if epoch < 2:
            seen.zero_()
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
        if epoch in (0, 3):
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


def test_len_is_the_dataloader_length_every_pass():
    data = toy_dataset(300)
    loader = ProximityLoader(data, batch_size=32, num_neighbors=10,
                             num_candidates=50, refresh_every=3, seed=0)
    plain = DataLoader(data, batch_size=32, shuffle=True)
    for _ in range(4):
        assert len(loader) == len(plain) == 10
        steps = 0
        for batch in loader:
            loader.update(batch.idx, torch.randn(batch.num_graphs, 8))
            steps += 1
        assert steps == len(plain)


def test_sequential_yields_every_graph_once_in_order():
    data = toy_dataset(100)
    loader = ProximityLoader(data, batch_size=32, num_neighbors=10, seed=0)
    state = loader.batch_sampler.state_dict()
    batches = list(loader.sequential())
    assert [b.num_graphs for b in batches] == [32, 32, 32, 4]
    assert torch.equal(torch.cat([b.idx for b in batches]),
                       torch.arange(100))
    assert torch.equal(torch.cat([b.y for b in batches]),
                       torch.cat([d.y for d in data]))
    assert loader.batch_sampler.state_dict()["epoch"] == state["epoch"]
    assert len(list(loader.sequential(batch_size=50))) == 2


def test_index_attribute_is_named_and_never_overwritten():
    data = toy_dataset(60)
    loader = ProximityLoader(data, batch_size=8, index_attr="sample_idx",
                             seed=0)
    batch = next(iter(loader))
    assert batch.sample_idx.numel() == 8 and "idx" not in batch
    for d in data:
        d.idx = torch.tensor([7])
    with pytest.raises(ValueError, match="already carry"):
        ProximityLoader(data, batch_size=8)
    with pytest.raises(ValueError, match="attribute name"):
        ProximityLoader(toy_dataset(60), batch_size=8, index_attr="a b")


def test_small_data_sets_and_empty_ones():
    loader = ProximityLoader(toy_dataset(40), batch_size=8, seed=0)
    assert loader.batch_sampler.num_neighbors == 39
    with pytest.raises(ValueError, match="empty"):
        ProximityLoader([], batch_size=8)


def test_seed_follows_torch_manual_seed():
    data = toy_dataset(60)
    torch.manual_seed(3)
    a = [b.idx.tolist() for b in ProximityLoader(data, batch_size=8)]
    torch.manual_seed(3)
    b = [b.idx.tolist() for b in ProximityLoader(data, batch_size=8)]
    assert a == b
