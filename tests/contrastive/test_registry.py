import pytest
import torch

from pyg_prosampler.contrastive.losses import dcl, hcl, nt_xent
from pyg_prosampler.contrastive.negatives import (
    EMC2Loss,
    InBatchNegatives,
    Negatives,
    RingNegatives,
    SogCLRLoss,
)
from pyg_prosampler.contrastive.registry import (
    LOSSES,
    NEGATIVES,
    SAMPLERS,
    make_negatives,
    make_sampler,
)
from pyg_prosampler.samplers import (
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)


def views(b=6, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, d, generator=g), torch.randn(b, d, generator=g),
            torch.randperm(20, generator=g)[:b])


def test_names_map_to_what_they_build():
    assert LOSSES == {"infonce": nt_xent, "dcl": dcl, "hcl": hcl}
    sampler = UniformBatchSampler(20, 6, seed=0)
    built = {name: make_negatives(name, sampler) for name in NEGATIVES}
    assert [type(m) for m in built.values()] == [
        InBatchNegatives, RingNegatives, SogCLRLoss, EMC2Loss]
    z1, z2, index = views()
    for negatives in built.values():  # one interface
        assert isinstance(negatives, Negatives)
        assert torch.isfinite(negatives(z1, z2, index, None))
    for name, loss in LOSSES.items():
        inbatch = make_negatives("inbatch", sampler, loss=name,
                                 temperature=0.5)
        assert torch.equal(inbatch(z1, z2, index), loss(z1, z2, 0.5))


def test_knobs_reach_the_negatives_and_ring_anneals_over_the_run():
    sampler = UniformBatchSampler(20, 6, seed=0)
    ring = make_negatives("ring", sampler, total_steps=40, inner=0.0,
                          outer=0.5, anneal="linear", pool="batch")
    assert (ring.anneal_steps, ring.outer, ring.pool) == (40, 0.5, "batch")
    assert make_negatives("ring", sampler, total_steps=40,
                          anneal_steps=7).anneal_steps == 7
    emc2 = make_negatives("emc2", sampler, seed=5, gamma=0.5, burn_in=0.25)
    assert (emc2.seed, emc2.gamma, emc2.burn_in) == (5, 0.5, 0.25)
    assert emc2.num_instances == 20


def test_bad_names_and_knobs_are_refused():
    sampler = UniformBatchSampler(20, 6, seed=0)
    with pytest.raises(ValueError, match="must be one of"):
        make_negatives("moco", sampler)
    with pytest.raises(ValueError, match="`loss` must be one of"):
        make_negatives("inbatch", sampler, loss="triplet")
    with pytest.raises(ValueError, match="own loss"):
        make_negatives("sogclr", sampler, loss="dcl")
    with pytest.raises(ValueError, match="burn_in"):
        make_negatives("sogclr", sampler, burn_in=0.5)
    with pytest.raises(ValueError, match="none"):
        make_negatives("inbatch", sampler, gamma=0.5)
    with pytest.raises(TypeError, match="make_negatives"):
        InBatchNegatives("dcl")


def test_make_sampler_builds_each_with_its_knobs():
    assert set(SAMPLERS) == {"uniform", "knn", "prosampler"}
    for name, cls in SAMPLERS.items():
        sampler = make_sampler(name, 30, 8, seed=1, warmup_epochs=0,
                               coverage="epoch", num_neighbors=100,
                               num_candidates=None, restart_prob=0.3,
                               refresh="full", refresh_every=5)
        assert type(sampler) is cls
    knn = make_sampler("knn", 30, 8, seed=1, refresh_every=5)
    assert isinstance(knn, KNNBatchSampler) and knn.refresh_every == 5
    walk = make_sampler("prosampler", 30, 8, seed=1, num_neighbors=100,
                        num_candidates=None, restart_prob=0.3)
    assert isinstance(walk, ProximityBatchSampler)
    assert walk.num_neighbors == 29  # capped at N - 1
    assert walk.num_candidates is None and walk.restart_prob == 0.3
    same = make_sampler("prosampler", 30, 8, seed=1, num_neighbors=100,
                        num_candidates=None, restart_prob=0.3)
    assert [list(b) for b in walk] == [list(b) for b in same]
    with pytest.raises(ValueError, match="must be one of"):
        make_sampler("random", 30, 8)
