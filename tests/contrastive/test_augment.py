import math

import networkx as nx
import pytest
import torch
import torch_geometric.transforms as T
from torch_geometric.data import Batch, Data, HeteroData
from torch_geometric.utils import erdos_renyi_graph

from pyg_prosampler.contrastive.augment import (
    DropNodes,
    Graphs,
    MaskAttributes,
    PerturbEdges,
    RandomAugment,
    Subgraph,
    random_augment,
)


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


# ---------------------------------------------------------------- transforms
SINGLE = [(DropNodes, 0, "drop_ratio"), (PerturbEdges, 1, "perturb_ratio"),
          (Subgraph, 2, "subgraph_ratio"), (MaskAttributes, 3, "mask_ratio")]


def same_graphs(view, out):
    return (torch.equal(view.x, out.x)
            and torch.equal(view.edge_index, out.edge_index)
            and torch.equal(view.batch, out.batch))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("cls,index,name", SINGLE)
@pytest.mark.parametrize("ratio", [0.1, 0.45])
def test_single_transforms_equal_the_function(seed, cls, index, name, ratio):
    r"""Same graphs as `random_augment` with that augmentation chosen for
    every graph, from the same generator state, which both leave alike."""
    b, g = batch_of_graphs(seed=seed)
    gen_a = torch.Generator().manual_seed(seed)
    gen_b = torch.Generator().manual_seed(seed)
    view = cls(ratio, generator=gen_a)(b)
    out = random_augment(g, choice=torch.full((g.num_graphs,), index),
                         generator=gen_b, **{name: ratio})
    assert isinstance(view, Batch) and same_graphs(view, out)
    assert torch.equal(gen_a.get_state(), gen_b.get_state())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("ratios", [{}, {"drop_ratio": 0.3,
                                         "perturb_ratio": 0.5,
                                         "subgraph_ratio": 0.6,
                                         "mask_ratio": 0.4}])
def test_random_augment_transform_equals_the_function(seed, ratios):
    b, g = batch_of_graphs(seed=seed)
    gen_a = torch.Generator().manual_seed(seed)
    gen_b = torch.Generator().manual_seed(seed)
    augment = RandomAugment(**ratios, generator=gen_a)
    for _ in range(3):  # consecutive views too
        view = augment(b)
        out = random_augment(g, generator=gen_b, **ratios)
        assert same_graphs(view, out)
    assert torch.equal(gen_a.get_state(), gen_b.get_state())


def test_global_generator_by_default():
    b, g = batch_of_graphs()
    torch.manual_seed(7)
    view = RandomAugment()(b)
    torch.manual_seed(7)
    assert same_graphs(view, random_augment(g))


def tracked_batch(seed=0):
    r"""A batch whose node, edge and graph attributes say where they come
    from (counts chosen so that no two levels have the same size)."""
    b, _ = batch_of_graphs(seed=seed)
    assert len({b.num_nodes, b.num_edges, b.num_graphs}) == 3
    b.node_id = torch.arange(b.num_nodes)
    b.edge_attr = torch.arange(b.num_edges).float().view(-1, 1).repeat(1, 2)
    b.y = torch.arange(b.num_graphs) * 10
    return b


@pytest.mark.parametrize("transform", [
    DropNodes(0.3), Subgraph(0.5), MaskAttributes(0.3), PerturbEdges(0.3),
    RandomAugment(0.3, 0.3, 0.5, 0.3)])
def test_views_carry_the_other_attributes(transform):
    transform.generator = torch.Generator().manual_seed(0)
    b = tracked_batch()
    before = {key: value.clone() for key, value in b.items()}
    view = transform(b)
    for key, value in b.items():  # the input is left as it was
        assert torch.equal(value, before[key])
    assert b.to_data_list()[0].num_nodes == 5
    # Node attributes follow the kept nodes, graph attributes stay.
    kept = view.node_id
    assert torch.equal(view.batch, b.batch[kept])
    assert torch.equal(view.y, b.y) and view.num_graphs == b.num_graphs
    counts = torch.bincount(view.batch, minlength=view.num_graphs)
    assert torch.equal(view.ptr, torch.cat([torch.zeros(1, dtype=torch.long),
                                            counts.cumsum(0)]))
    if isinstance(transform, MaskAttributes):
        assert torch.equal(view.edge_index, b.edge_index)
    elif not isinstance(transform, RandomAugment):  # which masks some
        assert torch.equal(view.x, b.x[kept])
    # Edge attributes follow the kept edges, or go where edges are added.
    if isinstance(transform, (PerturbEdges, RandomAugment)):
        assert "edge_attr" not in view
    else:
        origin = view.edge_attr[:, 0].long()
        assert torch.equal(kept[view.edge_index], b.edge_index[:, origin])
    with pytest.raises(RuntimeError, match="from_data_list"):
        view.to_data_list()


def test_a_single_graph_is_a_batch_of_one():
    b, _ = batch_of_graphs()
    data = b.get_example(5)
    data.node_id = torch.arange(data.num_nodes)
    for cls, _, _ in SINGLE:
        view = cls(0.4, generator=torch.Generator().manual_seed(1))(data)
        ref = cls(0.4, generator=torch.Generator().manual_seed(1))(
            Batch.from_data_list([data]))
        assert type(view) is Data and "batch" not in view
        assert torch.equal(view.x, ref.x)
        assert torch.equal(view.edge_index, ref.edge_index)
        assert torch.equal(view.node_id, ref.node_id)
        assert view.num_nodes >= 1


def test_transforms_compose_and_describe_themselves():
    b, _ = batch_of_graphs()
    gen = torch.Generator().manual_seed(0)
    both = T.Compose([DropNodes(0.2, generator=gen),
                      MaskAttributes(0.2, generator=gen)])
    view = both(b)
    assert view.num_nodes < b.num_nodes
    assert repr(DropNodes(0.2)) == "DropNodes(ratio=0.2)"
    assert repr(RandomAugment()) == (
        "RandomAugment(drop_ratio=0.1, perturb_ratio=0.1, "
        "subgraph_ratio=0.2, mask_ratio=0.1)")
    assert all(issubclass(cls, T.BaseTransform) for cls, _, _ in SINGLE)


def test_bad_transform_arguments_and_inputs_are_refused():
    for cls, _, _ in SINGLE:
        with pytest.raises(ValueError, match="ratio"):
            cls(1.5)
        with pytest.raises(ValueError, match="ratio"):
            cls(True)
    with pytest.raises(ValueError, match=r"ratio` must lie in \[0, 1\)"):
        DropNodes(1.0)  # every node dropped: empty graphs
    with pytest.raises(ValueError, match="drop_ratio"):
        RandomAugment(drop_ratio=1.0)
    with pytest.raises(ValueError, match="mask_ratio"):
        RandomAugment(mask_ratio=-0.1)
    with pytest.raises(ValueError, match="generator"):
        RandomAugment(generator=0)
    with pytest.raises(TypeError, match="HeteroData"):
        RandomAugment()(HeteroData())
    with pytest.raises(ValueError, match="`x`"):
        DropNodes()(Data(edge_index=torch.tensor([[0], [1]]), num_nodes=2))
    bad = Data(x=torch.randn(3, 2), edge_index=torch.tensor([[0], [5]]))
    with pytest.raises(ValueError, match="edge_index"):
        Subgraph()(bad)
