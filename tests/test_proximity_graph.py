import pytest
import torch
import torch.nn.functional as F

from pyg_prosampler import build_proximity_graph


def brute_force(z, k):
    zn = F.normalize(z, dim=1)
    s = zn @ zn.t()
    s.fill_diagonal_(-float("inf"))
    return s.topk(k, dim=1)


@pytest.mark.parametrize("engine", ["matmul", "torch_cluster"])
@pytest.mark.parametrize("num,k", [(300, 7), (2500, 40)])
def test_exact_graph_equals_brute_force(engine, num, k):
    torch.manual_seed(0)
    z = torch.randn(num, 24)
    graph = build_proximity_graph(z, k, None, engine=engine)
    ref = brute_force(z, k)
    col = graph.edge_index[1].view(num, k)
    weight = graph.edge_weight.view(num, k)
    assert torch.equal(graph.edge_index[0],
                       torch.arange(num).repeat_interleave(k))
    # Same similarity at every rank; same neighbour unless two tie exactly.
    assert torch.allclose(weight, ref.values, atol=1e-5)
    same = col == ref.indices
    tie = (ref.values[:, None, :] - weight[:, :, None]).abs().lt(1e-6).sum(-1)
    assert bool((same | (tie > 1)).all())
    assert graph.num_nodes == num


def test_exact_is_default_when_candidates_cover_all():
    torch.manual_seed(1)
    z = torch.randn(200, 8)
    a = build_proximity_graph(z, 5, num_candidates=1000)
    b = build_proximity_graph(z, 5, num_candidates=None)
    assert torch.equal(a.edge_index, b.edge_index)


@pytest.mark.parametrize("num,k,m", [(5000, 10, 100), (1001, 20, 999),
                                     (777, 5, 5)])
def test_candidate_graph_has_k_distinct_non_self_neighbours(num, k, m):
    torch.manual_seed(2)
    z = torch.randn(num, 16)
    g = torch.Generator().manual_seed(0)
    graph = build_proximity_graph(z, k, m, generator=g)
    col = graph.edge_index[1].view(num, k)
    assert graph.edge_index.shape == (2, num * k)
    assert not bool((col == torch.arange(num)[:, None]).any())
    srt = col.sort(dim=1).values
    assert not bool((srt[:, 1:] == srt[:, :-1]).any())
    # Weights are the cosine similarities, sorted descending per node.
    zn = F.normalize(z, dim=1)
    w = graph.edge_weight.view(num, k)
    assert torch.allclose(w, (zn[:, None, :] * zn[col]).sum(-1), atol=1e-5)
    assert bool((w[:, 1:] <= w[:, :-1]).all())


def test_candidate_set_is_uniform_over_other_nodes():
    r"""With K = M the neighbour set *is* the candidate set, which must be a
    uniform M-subset of the other N - 1 nodes.  For a fixed anchor i, the
    number of graphs (out of R independent ones) in which j is a candidate
    is c_j ~ Binomial(R, p), p = M / (N - 1), with sum_j c_j = R M.  The
    statistic X = sum_j (c_j - R p)^2 / (R p (1 - p)) then has mean
    ~ N - 2 and standard deviation ~ sqrt(2 (N - 2)); we assert it stays
    below mean + 6 sd for every probed anchor (a false alarm has
    probability < 1e-6 each under the normal approximation of chi^2), and
    that an anchor is never its own candidate."""
    num, m, reps = 200, 10, 400
    z = torch.randn(num, 4)
    anchors = torch.tensor([0, 57, 199])
    counts = torch.zeros(len(anchors), num)
    for r in range(reps):
        g = torch.Generator().manual_seed(r)
        graph = build_proximity_graph(z, m, m, generator=g)
        col = graph.edge_index[1].view(num, m)[anchors]
        counts.scatter_add_(1, col, torch.ones_like(col, dtype=torch.float))
    assert float(counts[torch.arange(3), anchors].max()) == 0.0
    p = m / (num - 1)
    others = torch.ones(3, num, dtype=torch.bool)
    others[torch.arange(3), anchors] = False
    dev = (counts - reps * p).pow(2) / (reps * p * (1 - p))
    stat = (dev * others).sum(dim=1)
    df = num - 2
    assert float(stat.max()) < df + 6 * (2 * df) ** 0.5


def test_candidate_graph_is_deterministic_given_generator():
    z = torch.randn(3000, 8)
    a = build_proximity_graph(z, 5, 50, generator=torch.Generator()
                              .manual_seed(3))
    b = build_proximity_graph(z, 5, 50, generator=torch.Generator()
                              .manual_seed(3))
    assert torch.equal(a.edge_index, b.edge_index)


def test_more_candidates_give_closer_neighbours():
    torch.manual_seed(4)
    z = torch.randn(3000, 16)
    means = [float(build_proximity_graph(z, 10, m).edge_weight.mean())
             for m in (10, 100, 1000, None)]
    assert means == sorted(means)


@pytest.mark.parametrize("z,k,m,match", [
    (torch.full((10, 3), float("nan")), 2, None, "NaN or inf"),
    (torch.tensor([[1.0, float("inf")]] * 5), 2, None, "NaN or inf"),
    (torch.randn(10), 2, None, "2-dimensional"),
    (torch.ones(10, 3, dtype=torch.long), 2, None, "floating point"),
    (torch.randn(10, 3), 10, None, "smaller than the number"),
    (torch.randn(10, 3), 0, None, "positive integer"),
    (torch.randn(50, 3), 5, 3, "at least `num_neighbors`"),
])
def test_bad_input_raises_value_error(z, k, m, match):
    with pytest.raises(ValueError, match=match):
        build_proximity_graph(z, k, m)


def test_unknown_engine():
    with pytest.raises(ValueError, match="engine"):
        build_proximity_graph(torch.randn(10, 2), 2, None, engine="faster")


def check_against_brute_force(graph, z, k, rows=None):
    num = z.size(0)
    ref = brute_force(z, k)
    col = graph.edge_index[1].view(num, k)
    weight = graph.edge_weight.view(num, k)
    rows = torch.arange(num) if rows is None else rows
    assert torch.allclose(weight[rows], ref.values[rows], atol=1e-5)
    same = col[rows] == ref.indices[rows]
    tie = (ref.values[rows, None, :]
           - weight[rows, :, None]).abs().lt(1e-6).sum(-1)
    assert bool((same | (tie > 1)).all())


def test_faiss_scanning_every_cell_is_exact():
    pytest.importorskip("faiss")
    torch.manual_seed(0)
    z = torch.randn(2000, 16)
    graph = build_proximity_graph(z, 12, None, engine="faiss",
                                  engine_options={"nlist": 10,
                                                  "nprobe": 10})
    check_against_brute_force(graph, z, 12)


def test_faiss_completes_short_rows_exactly():
    r"""With one cell scanned of 7, a cell of ~43 points cannot give 60
    neighbours: those rows must be completed by the exact fallback, the
    others be k distinct non-self neighbours."""
    pytest.importorskip("faiss")
    from pyg_prosampler._knn import knn_faiss

    torch.manual_seed(1)
    z = F.normalize(torch.randn(300, 8), dim=1)
    weight, col = knn_faiss(z, 60, nlist=7, nprobe=1)
    assert (col >= 0).all()
    assert (col != torch.arange(300).view(-1, 1)).all()
    srt = col.sort(1).values
    assert (srt[:, 1:] != srt[:, :-1]).all()
    graph = build_proximity_graph(z, 60, None, engine="faiss",
                                  engine_options={"nlist": 7, "nprobe": 1})
    # every cell here holds < 61 points, so every row took the fallback
    check_against_brute_force(graph, z, 60)


def test_auto_engine_switches_to_faiss_for_large_n(monkeypatch):
    pytest.importorskip("faiss")
    import pyg_prosampler.proximity_graph as pg

    called = {}

    def fake(zn, k, **kw):
        called["faiss"] = zn.size(0)
        return pg.knn_matmul(zn, k)

    monkeypatch.setattr(pg, "FAISS_FROM", 100)
    monkeypatch.setattr(pg, "knn_faiss", fake)
    pg.build_proximity_graph(torch.randn(150, 4), 5, None)
    assert called == {"faiss": 150}
    called.clear()
    pg.build_proximity_graph(torch.randn(80, 4), 5, None)
    assert called == {}


def test_distinct_rows_are_uniform_subsets():
    r"""Rows of distinct values, each value and each pair as frequent as
    under uniform subsets: a value appears rows * size / num = 4000 times
    (sd below sqrt(4000) = 63), a pair rows * size (size - 1) / (num
    (num - 1)) = 734.7 times (sd below 27.1); 5.5 sd bounds over 50 values
    and 1225 pairs fail by chance with probability below 1e-4."""
    from pyg_prosampler._candidates import distinct_rows

    g = torch.Generator().manual_seed(0)
    out = distinct_rows(50, 20_000, 10, generator=g)
    assert out.shape == (20_000, 10)
    assert bool((out.sort(dim=1).values.diff(dim=1) > 0).all())
    counts = torch.bincount(out.view(-1), minlength=50).float()
    assert float((counts - 4000).abs().max()) < 5.5 * 63
    onehot = torch.zeros(20_000, 50)
    onehot.scatter_(1, out, 1.0)
    pairs = onehot.t() @ onehot
    upper = pairs[torch.triu_indices(50, 50, 1).unbind()]
    assert float((upper - 20_000 * 90 / 2450).abs().max()) < 5.5 * 27.1


def test_candidates_of_a_few_rows_exclude_self_and_repeats():
    r"""A rolling refresh recomputes a few rows with independent pools; at
    N = 300 and M = 120 a row's own index lies in its pool 40 % of the
    time, and must still never be its own neighbour."""
    from pyg_prosampler._candidates import knn_candidates

    g = torch.Generator().manual_seed(0)
    zn = torch.nn.functional.normalize(torch.randn(300, 8, generator=g),
                                       dim=1)
    rows = torch.randperm(300, generator=g)[:100]
    w, c = knn_candidates(zn, 10, 120, rows=rows, generator=g)
    assert c.shape == (100, 10)
    assert bool((c != rows.view(-1, 1)).all())
    assert all(len(set(r)) == 10 for r in c.tolist())
    assert torch.allclose(w, (zn[rows].unsqueeze(1) * zn[c]).sum(-1),
                          atol=1e-6)
    assert bool((w[:, :-1] >= w[:, 1:]).all())  # most similar first


def test_inputs_that_overflow_float32_and_numpy_integers():
    np = pytest.importorskip("numpy")
    z = torch.randn(50, 4, dtype=torch.float64)
    z[3, 1] = 1e300  # finite in float64, inf in float32
    with pytest.raises(ValueError, match="after the cast to float32"):
        build_proximity_graph(z, 5, None)
    graph = build_proximity_graph(z[:3].float().repeat(10, 1) + torch.randn(
        30, 4), np.int64(5), np.int32(10))
    assert graph.edge_index.shape == (2, 150)
