import pytest
import torch
from torch_geometric.data import Batch, Data, InMemoryDataset

from pyg_prosampler.loader import StorageCollater
from tests.loader.test_proximity_loader import toy_dataset


class ToyInMemory(InMemoryDataset):
    def __init__(self, graphs, transform=None):
        super().__init__(None, transform=transform)
        self.data, self.slices = self.collate(graphs)


def assert_same_batch(a: Batch, b: Batch) -> None:
    assert list(a.keys()) == list(b.keys()) or set(a.keys()) == set(b.keys())
    for key in b.keys():
        assert torch.equal(a[key], b[key]), key
        assert a[key].dtype == b[key].dtype, key
    assert a.num_graphs == b.num_graphs
    for key in b._slice_dict:
        assert torch.equal(a._slice_dict[key], b._slice_dict[key]), key
        assert torch.equal(a._inc_dict[key], b._inc_dict[key]), key
    for i in range(b.num_graphs):  # get_example undoes the increments
        x, y = a.get_example(i), b.get_example(i)
        for key in y.keys():
            assert torch.equal(x[key], y[key])


def test_equals_per_graph_collation():
    graphs = toy_dataset(200)
    for g in graphs:  # an edge attribute too
        g.edge_attr = torch.arange(g.num_edges, dtype=torch.float).view(-1, 1)
    ds = ToyInMemory(graphs)
    collate = StorageCollater(ds)
    g = torch.Generator().manual_seed(0)
    for size in (1, 7, 64, 200):
        index = torch.randperm(200, generator=g)[:size].tolist()
        if size == 64:
            index[1] = index[0]  # repeats are allowed
        expected = Batch.from_data_list([ds[i] for i in index])
        assert_same_batch(collate(index), expected)


def test_index_views_map_through_their_indices():
    ds = ToyInMemory(toy_dataset(100))
    view = ds[torch.randperm(100)[:40]]
    collate = StorageCollater(view)
    index = [3, 0, 39, 17]
    expected = Batch.from_data_list([view[i] for i in index])
    assert_same_batch(collate(index), expected)


def test_tu_data_set(tu_mirror, tmp_path):
    from pyg_prosampler import load_tu

    ds = load_tu("MUTAG", str(tmp_path), tu_mirror)
    assert StorageCollater.supports(ds)
    index = torch.randperm(len(ds))[:128].tolist()
    assert_same_batch(StorageCollater(ds)(index),
                      Batch.from_data_list([ds[i] for i in index]))


def test_refuses_what_it_cannot_reproduce():
    graphs = toy_dataset(20)
    assert not StorageCollater.supports(graphs)  # a list
    with_transform = ToyInMemory(graphs, transform=lambda d: d)
    assert not StorageCollater.supports(with_transform)
    no_x = ToyInMemory([Data(edge_index=g.edge_index, num_nodes=g.num_nodes)
                        for g in graphs])
    assert not StorageCollater.supports(no_x)
    with pytest.raises(ValueError, match="per graph"):
        StorageCollater(with_transform)
    # PyG offsets "*batch*" attributes by each graph's max + 1
    sub = [g.clone() for g in graphs]
    for g in sub:
        g.sub_batch = torch.arange(g.num_nodes) % 2
    assert not StorageCollater.supports(ToyInMemory(sub))
