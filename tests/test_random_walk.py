import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Data

from pyg_prosampler import build_proximity_graph, random_walk_with_restart


def regular_graph(num=3000, k=10, seed=0):
    torch.manual_seed(seed)
    return build_proximity_graph(torch.randn(num, 16), k, 100,
                                 generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5, 0.7])
def test_rows_distinct_in_range_start_first(alpha):
    graph = regular_graph()
    start = torch.randperm(3000)[:50]
    out, filled = random_walk_with_restart(
        graph, start, 128, alpha, generator=torch.Generator().manual_seed(0),
        return_num_filled=True)
    assert out.shape == (50, 128) and out.dtype == torch.long
    assert torch.equal(out[:, 0], start)
    assert bool((out >= 0).all() and (out < 3000).all())
    srt = out.sort(dim=1).values
    assert not bool((srt[:, 1:] == srt[:, :-1]).any())
    assert int(filled.sum()) == 0  # a connected 10-regular graph fills


def test_walk_only_follows_edges_without_fill():
    r"""Every node of a batch (but the start) is an out-neighbour of some
    earlier node of the batch, since visits are in first-visit order."""
    graph = regular_graph(num=500, k=5)
    adj = torch.zeros(500, 500, dtype=torch.bool)
    adj[graph.edge_index[0], graph.edge_index[1]] = True
    out = random_walk_with_restart(graph, torch.arange(20), 40, 0.3)
    for row in out:
        for t in range(1, 40):
            assert bool(adj[row[:t], row[t]].any())


def test_restart_prob_keeps_walks_local():
    r"""Higher restart probability: batch members are fewer hops from the
    start (mean hop distance decreases)."""
    graph = regular_graph(num=4000, k=5)
    import torch_geometric.utils as U
    start = torch.arange(0, 4000, 100)
    hops = []
    for alpha in (0.0, 0.3, 0.8):
        out = random_walk_with_restart(
            graph, start, 64, alpha,
            generator=torch.Generator().manual_seed(1))
        dist = []
        for s, row in zip(start.tolist(), out):
            subset, _, _, _ = U.k_hop_subgraph(s, 2, graph.edge_index,
                                               flow="target_to_source",
                                               num_nodes=4000)
            dist.append(float(torch.isin(row, subset).float().mean()))
        hops.append(sum(dist) / len(dist))
    assert hops[0] < hops[1] < hops[2]


def test_small_components_return_promptly_and_fill():
    r"""200 disjoint 5-cycles: every reachable set (5) is smaller than the
    batch (32); the call must return fast, keep the reachable nodes first
    and fill the rest with distinct other nodes."""
    comps, size = 200, 5
    base = torch.arange(comps * size).view(comps, size)
    row = base.reshape(-1)
    col = base.roll(-1, dims=1).reshape(-1)
    graph = Data(edge_index=torch.stack([row, col]), num_nodes=comps * size)
    start = base[:, 0]
    t = time.perf_counter()
    out, filled = random_walk_with_restart(
        graph, start, 32, 0.2, generator=torch.Generator().manual_seed(0),
        return_num_filled=True)
    assert time.perf_counter() - t < 5.0
    assert torch.equal(filled, torch.full((comps,), 32 - size))
    for c in range(comps):
        assert set(out[c, :size].tolist()) == set(base[c].tolist())
        assert len(set(out[c].tolist())) == 32


def test_deterministic_given_generator():
    graph = regular_graph()
    start = torch.arange(30)
    a = random_walk_with_restart(graph, start, 64, 0.2,
                                 generator=torch.Generator().manual_seed(5))
    b = random_walk_with_restart(graph, start, 64, 0.2,
                                 generator=torch.Generator().manual_seed(5))
    c = random_walk_with_restart(graph, start, 64, 0.2,
                                 generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("kwargs,match", [
    (dict(batch_size=0), "positive integer"),
    (dict(batch_size=5000), "larger than the number"),
    (dict(restart_prob=1.0), r"\[0, 1\)"),
    (dict(restart_prob=-0.1), r"\[0, 1\)"),
    (dict(start=torch.tensor([3000])), "outside"),
    (dict(start=torch.tensor([0.5])), "integer tensor"),
])
def test_bad_input(kwargs, match):
    graph = regular_graph()
    args = dict(start=torch.tensor([0, 1]), batch_size=16, restart_prob=0.1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        random_walk_with_restart(graph, **args)


def test_walks_leave_the_global_generator_alone():
    r"""The walk runs under a seed drawn from :obj:`generator`: the global
    CPU generator neither changes its draws nor is changed by them."""
    graph = regular_graph()
    start = torch.arange(20)
    torch.manual_seed(3)
    state = torch.get_rng_state()
    a = random_walk_with_restart(graph, start, 32, 0.2,
                                 generator=torch.Generator().manual_seed(5))
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(4)
    b = random_walk_with_restart(graph, start, 32, 0.2,
                                 generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


@pytest.mark.parametrize("alpha,expected", [
    (0.0, [[0, 77, 194, 143, 79, 64, 25, 162, 193, 121],
           [7, 91, 4, 78, 16, 173, 64, 121, 146, 104]]),
    (0.3, [[0, 132, 69, 77, 194, 110, 188, 160, 81, 120],
           [7, 26, 34, 188, 91, 74, 25, 160, 186, 96]]),
])
def test_walks_are_pinned(alpha, expected):
    r"""The walks the committed ProSampler records were drawn with (as of
    commit 267cbdb): a change to the walk or its seeding that alters them
    changes every seeded record, so it must be deliberate."""
    torch.manual_seed(0)
    graph = build_proximity_graph(torch.randn(200, 8), 5, 20,
                                  generator=torch.Generator().manual_seed(0))
    out = random_walk_with_restart(graph, torch.tensor([0, 7]), 10, alpha,
                                   generator=torch.Generator().manual_seed(1))
    assert out.tolist() == expected


@pytest.mark.parametrize("bad,match", [
    (torch.tensor([[0, 1], [1, 5]]), "outside"),
    (torch.tensor([[0, -1], [1, 2]]), "outside"),
    (torch.tensor([[0.0, 1.0], [1.0, 2.0]]), "integer"),
    (torch.tensor([0, 1, 2]), "shape"),
])
def test_bad_edge_index_is_refused_before_the_kernel(bad, match):
    graph = Data(edge_index=bad, num_nodes=5)
    with pytest.raises(ValueError, match=match):
        random_walk_with_restart(graph, torch.tensor([0]), batch_size=2)


def test_int32_edge_index_walks():
    ring = torch.arange(6)
    edge_index = torch.stack([ring, (ring + 1) % 6]).int()
    out = random_walk_with_restart(Data(edge_index=edge_index, num_nodes=6),
                                   torch.tensor([0, 3]), batch_size=4,
                                   generator=torch.Generator().manual_seed(0))
    assert out.shape == (2, 4) and out.dtype == torch.long


@settings(max_examples=40, deadline=None)
@given(num_nodes=st.integers(1, 12),
       edges=st.lists(st.tuples(st.integers(-3, 15), st.integers(-3, 15)),
                      max_size=30),
       dtype=st.sampled_from([torch.long, torch.int32, torch.float32]),
       batch=st.integers(0, 14), restart=st.floats(-0.5, 1.5),
       start=st.integers(-2, 14))
def test_generated_graphs_walk_or_are_refused(num_nodes, edges, dtype, batch,
                                              restart, start):
    r"""Any user-built graph: the walk returns distinct in-range nodes, or
    refuses with a ValueError; nothing reaches torch_cluster unchecked (an
    out-of-range edge used to crash the process)."""
    edge_index = torch.tensor(edges, dtype=torch.long).t().reshape(2, -1)
    graph = Data(edge_index=edge_index.to(dtype), num_nodes=num_nodes)
    try:
        out = random_walk_with_restart(
            graph, torch.tensor([start]), batch_size=batch,
            restart_prob=restart, generator=torch.Generator().manual_seed(0))
    except ValueError as e:
        assert str(e)
        return
    assert out.shape == (1, batch)
    row = out[0].tolist()
    assert row[0] == start and len(set(row)) == batch
    assert all(0 <= v < num_nodes for v in row)
