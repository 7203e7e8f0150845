import math

import pytest
import torch
from torch.utils.data import RandomSampler
from torch_geometric.data import Data
from torch_geometric.loader import NeighborLoader
from torch_geometric.utils import erdos_renyi_graph

from pyg_prosampler.loader import ProximityNeighborLoader
from pyg_prosampler.samplers import ProximityBatchSampler, UniformBatchSampler


def _graph(num: int = 300, seed: int = 0) -> Data:
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    edge_index = erdos_renyi_graph(num, 0.02)
    return Data(x=torch.randn(num, 8, generator=g), edge_index=edge_index,
                y=torch.arange(num) % 5)


def _same(a: Data, b: Data) -> bool:
    return (torch.equal(a.n_id, b.n_id) and torch.equal(a.e_id, b.e_id)
            and torch.equal(a.edge_index, b.edge_index)
            and torch.equal(a.x, b.x) and a.batch_size == b.batch_size)


def test_uniform_batches_reproduce_a_shuffled_neighbor_loader():
    data = _graph()
    seed, batch_size = 3, 64
    ours = ProximityNeighborLoader(
        data, [5, 5], batch_sampler=UniformBatchSampler(
            data.num_nodes, batch_size, seed=seed))
    assert len(ours) == math.ceil(data.num_nodes / batch_size)
    for epoch in range(2):
        ours.set_epoch(epoch)
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        # shuffled as shuffle=True does, by a RandomSampler (seeded alike)
        plain = NeighborLoader(data, [5, 5], batch_size=batch_size,
                               sampler=RandomSampler(range(data.num_nodes),
                                                     generator=g))
        torch.manual_seed(epoch)  # the neighbour draws
        mine = list(ours)
        torch.manual_seed(epoch)
        theirs = list(plain)
        assert len(mine) == len(theirs) == len(ours)
        assert all(_same(a, b) for a, b in zip(mine, theirs))


def _fed_sampler(data: Data) -> ProximityBatchSampler:
    sampler = ProximityBatchSampler(data.num_nodes, 40, num_candidates=50,
                                    warmup_epochs=0, seed=1)
    sampler.update(torch.arange(data.num_nodes), data.x)
    return sampler


def test_subgraphs_equal_neighbor_loader_for_the_same_seeds():
    data = _graph()
    loader = ProximityNeighborLoader(data, [3, 3],
                                     batch_sampler=_fed_sampler(data))
    torch.manual_seed(7)  # the neighbour draws
    mine = list(loader)
    replay = [list(b) for b in _fed_sampler(data)]  # the same seed lists
    assert len(mine) == len(replay) == math.ceil(data.num_nodes / 40)
    torch.manual_seed(7)
    plain = list(NeighborLoader(data, [3, 3], batch_sampler=replay))
    for seeds, a, b in zip(replay, mine, plain):
        assert torch.equal(a.input_id, torch.tensor(seeds))
        assert torch.equal(a.n_id[:a.batch_size], a.input_id)
        assert _same(a, b)


def test_update_feeds_the_seed_embeddings():
    data = _graph()
    loader = ProximityNeighborLoader(data, [2], batch_size=50,
                                     sampler_kwargs={"seed": 0,
                                                     "num_candidates": 50})
    for batch in loader:
        loader.update(batch.input_id, data.x[batch.n_id[:batch.batch_size]])
    sampler = loader.batch_sampler
    assert bool(sampler.seen.any())
    fed = sampler.seen.nonzero().view(-1)
    # stored as the sampler prepares them (unit rows for ProSampler)
    assert torch.allclose(sampler.embeddings[fed],
                          sampler.prepare(data.x[fed]))


def test_input_nodes_subset_and_refusals():
    data = _graph()
    mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    mask[::3] = True
    loader = ProximityNeighborLoader(data, [2], batch_size=16,
                                     input_nodes=mask,
                                     sampler_kwargs={"seed": 0})
    assert loader.batch_sampler.num_instances == int(mask.sum())
    allowed = set(mask.nonzero().view(-1).tolist())
    for batch in loader:
        assert set(batch.n_id[:batch.batch_size].tolist()) <= allowed
        assert int(batch.input_id.max()) < int(mask.sum())  # positions
        assert torch.equal(batch.n_id[:batch.batch_size],
                           mask.nonzero().view(-1)[batch.input_id])
    with pytest.raises(ValueError, match="shuffle"):
        ProximityNeighborLoader(data, [2], shuffle=True)
    with pytest.raises(ValueError, match="covers 10 instances"):
        ProximityNeighborLoader(data, [2], batch_sampler=UniformBatchSampler(
            10, 4, seed=0))
    with pytest.raises(ValueError, match="not both"):
        ProximityNeighborLoader(data, [2], batch_sampler=UniformBatchSampler(
            data.num_nodes, 4, seed=0), sampler_kwargs={"seed": 0})
