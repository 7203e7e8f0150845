import pytest
import torch

from pyg_prosampler import (
    AnnealedRestartProb,
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
    batch_hardness,
)
from tests.conftest import gaussian_mixture

N, B = 2000, 64


def prosampler(z, seed, num_candidates=200, restart_prob=0.3, **kw):
    return ProximityBatchSampler(N, B, num_neighbors=20,
                                 num_candidates=num_candidates,
                                 restart_prob=restart_prob, warmup_epochs=0,
                                 embeddings=z, seed=seed, **kw)


def same_class(make, reps=6):
    r"""Same-class pair fraction of one epoch, for `reps` independent
    mixtures (replicate r uses mixture r and sampler seed r)."""
    out = []
    for r in range(reps):
        z, y = gaussian_mixture(r)
        out.append(batch_hardness(list(make(z, r)), z, y)["same_class"])
    return torch.tensor(out)


def assert_greater(hi, lo):
    r"""Paired one-sided t-test over replicates (the same mixture under both
    samplers): t = mean(d) / (sd(d) / sqrt(R)) with d = hi - lo.  With
    R = 6 (5 degrees of freedom) the one-sided 0.1 % critical value is
    5.89, so a false ordering passes with probability < 1e-3 and a true one
    at the effect sizes here (t > 10) fails with negligible probability."""
    d = hi - lo
    t = d.mean() / (d.std() / d.numel() ** 0.5)
    assert float(t) > 5.89, (hi, lo, float(t))


def test_hardness_orders_uniform_prosampler_knn():
    uni = same_class(lambda z, r: UniformBatchSampler(N, B, seed=r))
    pro = same_class(lambda z, r: prosampler(z, r))
    knn = same_class(lambda z, r: KNNBatchSampler(
        N, B, warmup_epochs=0, embeddings=z, seed=r))
    assert_greater(pro, uni)
    assert_greater(knn, pro)


def test_uniform_matches_its_exact_expectation():
    r"""Without replacement the expected same-class fraction of a uniform
    batch is sum_c n_c (n_c - 1) / (N (N - 1)) exactly.  One epoch averages
    N/B = 31 disjoint batches; the per-batch fraction has sd below
    sqrt(sum_c q_c^2 / (B(B-1)/2)) ~ 0.04 (pairs treated as independent,
    an overestimate of precision we compensate with a 6 sd margin over the
    epoch mean: 6 * 0.04 / sqrt(31) = 0.043)."""
    z, y = gaussian_mixture(0)
    counts = torch.bincount(y).double()
    expected = float((counts * (counts - 1)).sum() / (N * (N - 1)))
    got = batch_hardness(list(UniformBatchSampler(N, B, seed=0)), z,
                         y)["same_class"]
    assert abs(got - expected) < 0.043


def test_hardness_grows_with_num_candidates():
    res = [same_class(lambda z, r, m=m: prosampler(z, r, num_candidates=m))
           for m in (20, 100, 400)]
    assert_greater(res[1], res[0])
    assert_greater(res[2], res[1])


def test_hardness_grows_with_restart_prob():
    res = [same_class(lambda z, r, a=a: prosampler(z, r, restart_prob=a))
           for a in (0.0, 0.3, 0.7)]
    assert_greater(res[1], res[0])
    assert_greater(res[2], res[1])


@pytest.mark.parametrize("kind", ["prosampler", "knn", "uniform"])
def test_every_coverage_epoch_covers_every_instance(kind):
    z, _ = gaussian_mixture(0, num=1000)
    if kind == "prosampler":
        s = ProximityBatchSampler(1000, 64, num_neighbors=10,
                                  num_candidates=100, warmup_epochs=1,
                                  refresh_every=5, coverage="epoch", seed=0)
    elif kind == "knn":
        s = KNNBatchSampler(1000, 64, warmup_epochs=1, refresh_every=5,
                            coverage="epoch")
    else:
        s = UniformBatchSampler(1000, 64)
    for epoch in range(3):
        seen = torch.zeros(1000, dtype=torch.bool)
        batches = list(s)
        for b in batches:
            assert len(b) == len(set(b)) and min(b) >= 0 and max(b) < 1000
            seen[b] = True
            s.update(torch.tensor(b), z[b])
        assert bool(seen.all()), (kind, epoch)
        assert len(batches) == len(s)
        if epoch > 0 and kind != "uniform":
            assert all(len(b) == 64 for b in batches)
            assert s.stats["num_builds"] >= len(batches) // 5


def test_rolling_refresh_recomputes_fed_rows_only():
    z, _ = gaussian_mixture(5)
    s = prosampler(z, 0, num_candidates=100, refresh_every=2)
    s.build(s.embeddings)  # first build: every row
    s._changed.zero_()  # as the sampler does when it builds
    before = s.neighbors.clone()
    fed = torch.randperm(N)[:128]
    s.update(fed, torch.randn(128, 16))
    changed = s._changed.nonzero().view(-1)
    s._changed.zero_()
    s.build(s.embeddings, changed)
    kept = torch.ones(N, dtype=torch.bool)
    kept[fed] = False
    # Rows come due after ceil(N / (2 B)) = 16 refreshes, staggered: 1/16
    # of them (i % 16 == 15) at this one.
    kept[torch.arange(N) % 16 == 15] = False
    assert torch.equal(s.neighbors[kept], before[kept])
    assert s.stats["rows_refreshed"] == (~kept).sum()
    nbr = s.neighbors[fed]
    assert not torch.equal(nbr, before[fed])
    assert bool((nbr != fed.view(-1, 1)).all())
    assert all(len(set(row)) == 20 for row in nbr.tolist())
    zn = torch.nn.functional.normalize(s.embeddings, dim=1)
    cos = (zn[fed].unsqueeze(1) * zn[nbr]).sum(-1)
    assert torch.allclose(s.weights[fed], cos, atol=1e-5)
    # each fed row's lists are its top 20 among M = 100 candidates: on
    # average closer than a random other node
    assert float(cos.mean()) > float((zn[fed] @ zn.t()).mean()) + 0.1


def test_rolling_refresh_reaches_unfed_rows_within_a_pass():
    z, _ = gaussian_mixture(6)
    s = prosampler(z, 0, num_candidates=100, refresh_every=2)
    s.build(s.embeddings)
    max_age = -(-N // (2 * B))
    for _ in range(max_age):
        s.build(s.embeddings, torch.empty(0, dtype=torch.long))
    # every row recomputed once since the first build, in round robin
    assert int(s._age.min()) >= 1
    assert s.totals["rows_refreshed"] == N


def drift_same_class(refresh, r):
    r"""Same-class fraction of the third pass while the fed embeddings move
    from noise to the labelled mixture (as a model learns)."""
    z, y = gaussian_mixture(r)
    noise = torch.randn(N, 16, generator=torch.Generator().manual_seed(r))
    s = ProximityBatchSampler(N, B, num_neighbors=20, num_candidates=200,
                              restart_prob=0.3, refresh_every=4,
                              refresh=refresh, warmup_epochs=0,
                              embeddings=noise, seed=r)
    for _ in range(2):
        for b in s:
            s.update(torch.tensor(b), z[b])
    batches = []
    for b in s:
        batches.append(b)
        s.update(torch.tensor(b), z[b])
    return batch_hardness(batches, z, y)["same_class"]


def test_rolling_refresh_is_as_hard_as_full_rebuilds():
    reps = range(6)
    uni = same_class(lambda z, r: UniformBatchSampler(N, B, seed=r))
    rolling = torch.tensor([drift_same_class("rolling", r) for r in reps])
    full = torch.tensor([drift_same_class("full", r) for r in reps])
    assert_greater(rolling, uni)
    assert_greater(full, uni)
    # Rolling keeps at least 80 % of full rebuilds' gain over uniform.
    gain = float((rolling - uni).mean() / (full - uni).mean())
    assert gain > 0.8, gain


def run_epochs(seed, epochs=3, stop_after=None):
    z, _ = gaussian_mixture(7, num=600)
    s = ProximityBatchSampler(600, 32, num_neighbors=10, num_candidates=50,
                              restart_prob=AnnealedRestartProb(0.3, 0.1),
                              refresh_every=4, warmup_epochs=1,
                              coverage="epoch", seed=seed)
    out, step = [], 0
    for _ in range(epochs):
        for b in s:
            out.append(b)
            s.update(torch.tensor(b), z[b] + 0.01 * step)
            step += 1
            if stop_after is not None and step == stop_after:
                return out, s, z
    return out, s, z


def test_deterministic_under_seed():
    a, _, _ = run_epochs(0)
    b, _, _ = run_epochs(0)
    c, _, _ = run_epochs(1)
    assert a == b and a != c


def test_resume_from_state_dict_yields_same_remaining_batches():
    full, _, _ = run_epochs(0)
    stop = len(full) // 2 + 3  # in the middle of a coverage epoch
    head, s, z = run_epochs(0, stop_after=stop)
    state = s.state_dict()
    t = ProximityBatchSampler(600, 32, num_neighbors=10, num_candidates=50,
                              restart_prob=AnnealedRestartProb(0.3, 0.1),
                              refresh_every=4, warmup_epochs=1,
                              coverage="epoch", seed=0)
    t.load_state_dict(state)
    tail, step = [], stop
    while len(head) + len(tail) < len(full):
        for b in t:
            tail.append(b)
            t.update(torch.tensor(b), z[b] + 0.01 * step)
            step += 1
    assert head + tail == full


def test_restart_schedule_anneals():
    sched = AnnealedRestartProb(0.2, 0.02, 0.05)
    assert [round(sched(e), 4) for e in (0, 1, 5, 10)] == [0.2, 0.18, 0.1,
                                                          0.05]
    s = ProximityBatchSampler(100, 10, num_neighbors=5, restart_prob=sched)
    s.set_epoch(3)
    assert abs(s.current_restart_prob() - 0.14) < 1e-9


def test_warns_and_stays_uniform_without_embeddings():
    s = ProximityBatchSampler(100, 10, num_neighbors=5, warmup_epochs=0)
    with pytest.warns(UserWarning, match="no embedding"):
        batches = list(s)
    assert len(batches) == 10 and s.graph is None


@pytest.mark.parametrize("kwargs,match", [
    (dict(batch_size=0), "positive integer"),
    (dict(batch_size=101), "larger than the number"),
    (dict(num_neighbors=100), "smaller than the number"),
    (dict(restart_prob=1.0), r"\[0, 1\)"),
    (dict(num_candidates=3), "at least `num_neighbors`"),
    (dict(engine="gpu"), "engine"),
])
def test_bad_constructor_arguments(kwargs, match):
    args = dict(num_instances=100, batch_size=10, num_neighbors=5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ProximityBatchSampler(**args)


def test_bad_update_and_state():
    s = ProximityBatchSampler(100, 10, num_neighbors=5)
    with pytest.raises(ValueError, match="one embedding row per index"):
        s.update(torch.arange(5), torch.randn(4, 8))
    with pytest.raises(ValueError, match="NaN or inf"):
        s.update(torch.arange(2), torch.tensor([[0.0, float("nan")]] * 2))
    with pytest.raises(ValueError, match="outside"):
        s.update(torch.tensor([100]), torch.randn(1, 8))
    s.update(torch.arange(5), torch.randn(5, 8))
    with pytest.raises(ValueError, match="dimension"):
        s.update(torch.arange(5), torch.randn(5, 9))
    with pytest.raises(ValueError, match="num_instances"):
        ProximityBatchSampler(99, 10, num_neighbors=5).load_state_dict(
            s.state_dict())


def test_epoch_coverage_and_full_rebuilds_draw_the_earlier_batches():
    r"""`coverage="epoch", refresh="full"` is how every record committed
    before passes kept the DataLoader's length was drawn: the digests are
    of the batches the code of commit 4006c11 drew for this run (its
    defaults then), so those records reproduce from their commands."""
    import hashlib

    z, _ = gaussian_mixture(7, num=600)
    cases = [
        (ProximityBatchSampler(600, 32, num_neighbors=10, num_candidates=50,
                               restart_prob=0.3, refresh_every=4,
                               warmup_epochs=1, seed=3, coverage="epoch",
                               refresh="full"),
         270, "92c545da78e4a5215ebb08e4fa08c981"
              "bfb4f75c639a7c0cf72c8fc98c163e32"),
        (KNNBatchSampler(600, 32, refresh_every=4, warmup_epochs=1, seed=3,
                         coverage="epoch"),
         176, "2d2881d0417ef7f328bac78c6aad0ed3"
              "36de9a0a3561f1556f5b9fae5aad0a0d"),
    ]
    for s, steps, expected in cases:
        digest, step = hashlib.sha256(), 0
        for _ in range(4):
            for b in s:
                digest.update(torch.tensor(b).numpy().tobytes())
                s.update(torch.tensor(b), z[b] + 0.01 * step)
                step += 1
        assert (step, digest.hexdigest()) == (steps, expected)
