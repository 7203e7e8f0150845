import math

import networkx as nx
import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import erdos_renyi_graph

from pyg_prosampler.contrastive.augment import Graphs, random_augment


def batch_of_graphs(num=12, seed=0):
    torch.manual_seed(seed)
    data = []
    for i in range(num):
        n = 5 + 3 * i
        ei = erdos_renyi_graph(n, 0.3)
        data.append(Data(x=torch.randn(n, 3), edge_index=ei))
    b = Batch.from_data_list(data)
    return b, Graphs(b.x, b.edge_index, b.batch, b.num_graphs)


def per_graph(t, num):
    return torch.bincount(t, minlength=num)


def check_valid(out: Graphs):
    n = out.batch.numel()
    assert out.x.size(0) == n
    assert bool((out.edge_index >= 0).all() and (out.edge_index < n).all())
    assert torch.equal(out.batch[out.edge_index[0]],
                       out.batch[out.edge_index[1]])
    assert bool((per_graph(out.batch, out.num_graphs) >= 1).all())


def test_drop_nodes_removes_ten_percent():
    b, g = batch_of_graphs()
    out = random_augment(g, choice=torch.zeros(g.num_graphs, dtype=torch.long),
                         generator=torch.Generator().manual_seed(0))
    check_valid(out)
    before = per_graph(g.batch, g.num_graphs)
    after = per_graph(out.batch, g.num_graphs)
    assert torch.equal(after, before - (before * 0.1).floor().long())


def test_perturb_edges_keeps_edge_count_no_self_loops():
    b, g = batch_of_graphs()
    out = random_augment(g, choice=torch.ones(g.num_graphs, dtype=torch.long),
                         generator=torch.Generator().manual_seed(0))
    check_valid(out)
    assert torch.equal(out.x, g.x)
    assert torch.equal(per_graph(out.batch[out.edge_index[0]], g.num_graphs),
                       per_graph(g.batch[g.edge_index[0]], g.num_graphs))
    old = set(map(tuple, g.edge_index.t().tolist()))
    new = set(map(tuple, out.edge_index.t().tolist()))
    added = new - old
    assert all(u != v for u, v in added)
    assert len(old - new) > 0


def test_subgraph_is_connected_and_sized():
    b, g = batch_of_graphs()
    out = random_augment(g, choice=torch.full((g.num_graphs,), 2),
                         generator=torch.Generator().manual_seed(0))
    check_valid(out)
    sizes = per_graph(g.batch, g.num_graphs)
    new_sizes = per_graph(out.batch, g.num_graphs)
    for i in range(g.num_graphs):
        nodes = (out.batch == i).nonzero().view(-1)
        mask = (out.batch[out.edge_index[0]] == i)
        graph = nx.Graph()
        graph.add_nodes_from(nodes.tolist())
        graph.add_edges_from(out.edge_index[:, mask].t().tolist())
        assert nx.is_connected(graph)
        # Either the target size, or the seed's whole (smaller) component.
        target = math.ceil(0.2 * int(sizes[i]))
        assert int(new_sizes[i]) <= target
        if int(new_sizes[i]) < target:
            orig = nx.Graph()
            orig.add_edges_from(g.edge_index[:, g.batch[g.edge_index[0]] == i]
                                .t().tolist())
            orig.add_nodes_from((g.batch == i).nonzero().view(-1).tolist())
            comps = sorted(len(c) for c in nx.connected_components(orig))
            assert int(new_sizes[i]) in comps


def test_mask_attributes_sets_graph_mean():
    b, g = batch_of_graphs()
    out = random_augment(g, choice=torch.full((g.num_graphs,), 3),
                         generator=torch.Generator().manual_seed(0))
    check_valid(out)
    assert torch.equal(out.edge_index, g.edge_index)
    changed = (out.x != g.x).any(dim=1)
    sizes = per_graph(g.batch, g.num_graphs)
    assert torch.equal(per_graph(g.batch[changed], g.num_graphs),
                       (sizes * 0.1).floor().long())
    means = torch.stack([g.x[g.batch == i].mean(0)
                         for i in range(g.num_graphs)])
    assert torch.allclose(out.x[changed], means[g.batch[changed]])


@pytest.mark.parametrize("seed", range(3))
def test_random_choice_is_valid_and_seeded(seed):
    b, g = batch_of_graphs(seed=seed)
    a = random_augment(g, generator=torch.Generator().manual_seed(seed))
    c = random_augment(g, generator=torch.Generator().manual_seed(seed))
    check_valid(a)
    assert torch.equal(a.edge_index, c.edge_index) and torch.equal(a.x, c.x)


@pytest.mark.parametrize("edge_index,batch,match", [
    (torch.tensor([[0, 1], [1, 9]]), torch.zeros(4, dtype=torch.long),
     "edge_index"),
    (torch.tensor([[0, 1], [1, 2]]), torch.zeros(3, dtype=torch.long),
     "batch"),
    (torch.tensor([[0, 1], [1, 2]]), torch.tensor([0, 0, 1, 5]), "batch"),
])
def test_inconsistent_batches_are_refused(edge_index, batch, match):
    g = Graphs(torch.randn(4, 3), edge_index, batch, 2)
    with pytest.raises(ValueError, match=match):
        random_augment(g)
    with pytest.raises(ValueError, match="drop_ratio"):
        random_augment(Graphs(torch.randn(4, 3), torch.tensor([[0], [1]]),
                              torch.zeros(4, dtype=torch.long), 1),
                       drop_ratio=1.5)
