r"""The DataLoader contract every embedding batch sampler keeps: passes of
ceil(N / B) batches, coverage as a cycle across passes, resumable state."""
import math
import warnings

import pytest
import torch

from pyg_prosampler import (
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)
from tests.conftest import gaussian_mixture

N, B = 1000, 64


def make(kind, **kw):
    if kind == "prosampler":
        return ProximityBatchSampler(N, B, num_neighbors=10,
                                     num_candidates=100, refresh_every=5,
                                     **kw)
    if kind == "knn":
        return KNNBatchSampler(N, B, refresh_every=5, **kw)
    return UniformBatchSampler(N, B, **kw)


@pytest.mark.parametrize("kind", ["prosampler", "knn", "uniform"])
@pytest.mark.parametrize("drop_last", [False, True])
def test_every_pass_has_the_dataloader_length(kind, drop_last):
    z, _ = gaussian_mixture(0, num=N)
    s = make(kind, drop_last=drop_last, seed=0)
    expected = N // B if drop_last else math.ceil(N / B)
    for epoch in range(4):
        assert len(s) == expected  # before the pass starts
        batches = []
        for b in s:
            assert len(s) == expected  # and during it
            assert len(b) == len(set(b)) and 0 <= min(b) and max(b) < N
            batches.append(b)
            s.update(torch.tensor(b), z[b])
        assert len(batches) == expected
        if (kind != "uniform" and epoch > 0) or drop_last:  # walk batches
            assert all(len(b) == B for b in batches)


@pytest.mark.parametrize("kind", ["prosampler", "knn"])
def test_coverage_cycle_runs_across_passes(kind):
    r"""Walk batches start at instances the cycle has not covered, so a
    cycle covers all N; it ends with one batch holding every instance left
    (completed to B), after which a new cycle starts.  We track coverage
    from the yielded batches only and check it hits N within a few passes,
    every time."""
    z, _ = gaussian_mixture(1, num=N)
    s = make(kind, warmup_epochs=0, embeddings=z, seed=0)
    covered = torch.zeros(N, dtype=torch.bool)
    cycles, batches_in_cycle, longest = 0, 0, 0
    for _ in range(12):
        for b in s:
            b = torch.tensor(b)
            assert not bool(covered[b[0]]) or bool(covered.all())
            covered[b] = True
            batches_in_cycle += 1
            if bool(covered.all()):
                cycles += 1
                longest = max(longest, batches_in_cycle)
                covered.zero_()
                batches_in_cycle = 0
    assert cycles >= 2
    # A cycle is at least N / B batches; overlapping walks in this
    # clustered mixture make it about 4 passes long (as long as the paper's
    # coverage epoch, 58-61 batches here), and at most 6 passes.
    assert math.ceil(N / B) <= longest <= 6 * math.ceil(N / B)


def test_epoch_coverage_is_the_papers_epoch():
    z, _ = gaussian_mixture(2, num=N)
    s = make("prosampler", warmup_epochs=0, embeddings=z, coverage="epoch",
             seed=0)
    lengths = []
    for _ in range(3):
        seen = torch.zeros(N, dtype=torch.bool)
        batches = list(s)
        for b in batches:
            seen[b] = True
        assert bool(seen.all())
        lengths.append(len(batches))
        assert len(s) == len(batches)  # the last coverage epoch's count
    assert min(lengths) > math.ceil(N / B)


def test_state_dict_resumes_mid_pass_and_mid_cycle():
    z, _ = gaussian_mixture(3, num=N)

    def fresh():
        return make("prosampler", warmup_epochs=1, seed=5)

    def run(s, steps, start=0):
        out, step = [], start
        while len(out) < steps:
            for b in s:
                out.append(b)
                s.update(torch.tensor(b), z[b] + 0.01 * step)
                step += 1
                if len(out) == steps:
                    return out
        return out

    total = 5 * math.ceil(N / B)
    full = run(fresh(), total)
    stop = 2 * math.ceil(N / B) + 7  # mid pass 3, mid coverage cycle
    head_sampler = fresh()
    head = run(head_sampler, stop)
    assert head_sampler._num_covered not in (0, N)  # inside a cycle
    resumed = fresh()
    resumed.load_state_dict(head_sampler.state_dict())
    tail = run(resumed, total - stop, start=stop)
    assert head + tail == full


def test_pass_without_update_warns_once():
    z, _ = gaussian_mixture(4, num=N)
    s = make("prosampler", seed=0)
    for b in s:  # a training pass
        s.update(torch.tensor(b), z[b])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(s)  # an evaluation pass: warned when the next one starts
    with pytest.warns(UserWarning, match="had no `update`"):
        list(s)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(s)  # once only
    # A fixed embedding set given up front is sampled without updates.
    fixed = make("prosampler", warmup_epochs=0, embeddings=z, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(fixed)
    # Uniform batches need no embeddings: no warning either.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(make("uniform"))


def test_seed_defaults_to_torch_global_generator():
    torch.manual_seed(11)
    a = list(make("uniform"))
    torch.manual_seed(11)
    b = list(make("uniform"))
    torch.manual_seed(12)
    c = list(make("uniform"))
    assert a == b and a != c


@pytest.mark.parametrize("kw,match", [
    (dict(coverage="pass"), "coverage"),
    (dict(drop_last=1), "True or False"),
    (dict(seed=-1), "non-negative"),
    (dict(max_rounds=0), "positive"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        make("prosampler", **kw)


def test_numpy_integers_are_integers():
    np = pytest.importorskip("numpy")
    s = ProximityBatchSampler(np.int64(200), np.int32(16),
                              num_neighbors=np.int64(5), seed=np.int64(3))
    assert len(s) == math.ceil(200 / 16) and s.seed == 3


def test_empty_and_tiny_data_sets_get_clear_messages():
    with pytest.raises(ValueError, match="empty"):
        ProximityBatchSampler(0, 1)
    with pytest.raises(ValueError, match="at least 2 instances"):
        ProximityBatchSampler(1, 1)
    # The default out-degree fits small sets: min(100, N - 1, M).
    s = ProximityBatchSampler(50, 8, seed=0)
    assert s.num_neighbors == 49
    assert ProximityBatchSampler(50, 8, num_candidates=20).num_neighbors == 20
    assert ProximityBatchSampler(5000, 8).num_neighbors == 100


def test_load_state_dict_checks_everything_before_changing_anything():
    z, _ = gaussian_mixture(5, num=N)
    s = make("prosampler", warmup_epochs=0, embeddings=z, seed=0)
    for b in s:
        s.update(torch.tensor(b), z[b])
    good = s.state_dict()
    target = make("prosampler", seed=1)
    before = target.state_dict()

    def unchanged():
        after = target.state_dict()
        return all(
            torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b
            for a, b in ((before[k], after[k]) for k in
                         ("epoch", "seen", "covered", "generator")))

    knn = make("knn", warmup_epochs=0, embeddings=z, seed=0)
    list(knn)
    tampered_graph = {**good, "extra": {**good["extra"],
                                        "neighbors": good["extra"][
                                            "neighbors"] + N}}
    bad_generator = {**good, "generator": torch.zeros(3, dtype=torch.uint8)}
    cases = [
        (knn.state_dict(), "saved by a KNNBatchSampler"),
        ({k: v for k, v in good.items() if k != "queue"}, "missing"),
        (tampered_graph, "neighbour matrix"),
        (bad_generator, "generator"),
        ({**good, "seen": torch.ones(N - 1, dtype=torch.bool)}, "seen"),
        ("not a state", "not a dict"),
        ({**good, "extra": {"num_refreshes": 0}}, "lacks"),
        ({**good, "extra": {"graph": (good["extra"]["neighbors"], None)}},
         "out-edges"),
    ]
    for state, match in cases:
        with pytest.raises(ValueError, match=match):
            target.load_state_dict(state)
        assert unchanged()
    target.load_state_dict(good)  # the real one loads
    assert target.state_dict()["epoch"] == good["epoch"]


def test_resume_keeps_the_seed_and_never_aliases_the_state():
    z, _ = gaussian_mixture(6, num=N)
    torch.manual_seed(1)
    a = make("prosampler", warmup_epochs=0, embeddings=z)  # seed drawn
    it = iter(a)
    for _ in range(5):
        next(it)  # mid pass now
    state = a.state_dict()
    assert state["in_epoch"]
    saved = state["extra"]["neighbors"].clone()
    torch.manual_seed(2)
    b = make("prosampler", warmup_epochs=0)  # another drawn seed
    b.load_state_dict(state)
    assert b.seed == a.seed
    rest_a = list(it) + list(a)
    rest_b = list(b) + list(b)
    assert rest_a == rest_b
    for s in (a, b):  # refreshes since: the saved state is untouched
        for x in list(s):
            s.update(torch.tensor(x), z[x] + 1.0)
    assert torch.equal(state["extra"]["neighbors"], saved)
    with pytest.raises(ValueError, match="coverage"):
        make("prosampler", coverage="epoch").load_state_dict(state)
