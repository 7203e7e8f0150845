r"""Generated inputs at the samplers' public boundary: whatever arguments
and embeddings come in, a sampler either works (and keeps its contract) or
refuses with a ValueError / TypeError, and a refused update changes
nothing."""
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyg_prosampler import (
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Integers as users pass them, and values that are not integers at all.
integers = st.one_of(
    st.integers(-3, 60),
    st.integers(-3, 60).map(np.int64),
    st.integers(-3, 60).map(np.int32),
    st.sampled_from([None, True, 2.5, "8", float("nan"), float("inf")]),
)


@FAST
@given(kind=st.sampled_from(["prosampler", "knn", "uniform"]),
       num=integers, batch=integers, k=integers, m=integers,
       restart=st.one_of(st.floats(-1, 2), st.sampled_from([float("nan"),
                                                           np.float64(0.3)])),
       drop_last=st.sampled_from([False, True, 0, None]),
       coverage=st.sampled_from(["cycle", "epoch", "pass", None]))
def test_constructors_work_or_refuse(kind, num, batch, k, m, restart,
                                     drop_last, coverage):
    try:
        if kind == "prosampler":
            s = ProximityBatchSampler(num, batch, num_neighbors=k,
                                      num_candidates=m, restart_prob=restart,
                                      drop_last=drop_last, coverage=coverage,
                                      warmup_epochs=0, seed=0)
        elif kind == "knn":
            s = KNNBatchSampler(num, batch, drop_last=drop_last,
                                coverage=coverage, warmup_epochs=0, seed=0)
        else:
            s = UniformBatchSampler(num, batch, drop_last=drop_last, seed=0)
    except (ValueError, TypeError) as e:
        assert str(e)  # says what is wrong
        return
    n, b = int(num), int(batch)
    expected = n // b if drop_last else math.ceil(n / b)
    z = torch.randn(n, 4, generator=torch.Generator().manual_seed(0))
    for _ in range(2):
        assert len(s) == expected
        batches = list(s)
        assert len(batches) == expected
        for x in batches:
            assert len(set(x)) == len(x) and 0 <= min(x) and max(x) < n
            s.update(torch.tensor(x), z[x])


bad_values = st.sampled_from([float("nan"), float("inf"), -float("inf"),
                              1e300, -1e300])


@FAST
@given(rows=st.integers(1, 6), where=st.integers(0, 23), value=bad_values,
       dtype=st.sampled_from([torch.float64, torch.float32, torch.float16]))
def test_refused_updates_change_nothing(rows, where, value, dtype):
    s = ProximityBatchSampler(40, 8, num_neighbors=5, seed=0)
    z = torch.randn(40, 6)
    s.update(torch.arange(40), z)
    before = s.state_dict()
    bad = torch.randn(rows, 6, dtype=torch.float64)
    bad.view(-1)[where % bad.numel()] = value
    bad = bad.to(dtype)  # 1e300 is finite in float64 only
    with pytest.raises(ValueError, match="NaN or inf"):
        s.update(torch.arange(rows), bad)
    after = s.state_dict()
    assert torch.equal(before["embeddings"], after["embeddings"])
    assert torch.equal(before["seen"], after["seen"])
    assert torch.equal(before["changed"], after["changed"])


@FAST
@given(index=st.lists(st.integers(-5, 50), min_size=1, max_size=6),
       dtype=st.sampled_from([torch.long, torch.int32, torch.float32,
                              torch.bool]))
def test_update_indices_are_checked(index, dtype):
    s = UniformBatchSampler(40, 8, seed=0)
    idx = torch.tensor(index).to(dtype)
    try:
        s.update(idx, torch.randn(len(index), 3))
    except ValueError as e:
        assert "index" in str(e)
        assert s.embeddings is None  # nothing written
        return
    assert dtype in (torch.long, torch.int32)
    assert all(0 <= i < 40 for i in index)
