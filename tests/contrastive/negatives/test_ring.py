import math

import pytest
import torch
import torch.nn.functional as F

from pyg_prosampler.contrastive.negatives import (
    RingNegatives,
    annealed_outer,
    ring_mask,
)
from pyg_prosampler.samplers import UniformBatchSampler


def brute_force_ring(sim, valid, inner, outer):
    out = torch.zeros_like(valid)
    for i in range(sim.size(0)):
        cand = valid[i].nonzero().view(-1)
        n = cand.numel()
        order = cand[sim[i, cand].argsort(descending=True)]
        k_in = math.floor(inner * n)
        k_out = min(max(math.ceil(outer * n), k_in + 1), n)
        out[i, order[k_in:k_out]] = True
    return out


@pytest.mark.parametrize("inner,outer", [(0.01, 0.1), (0.0, 1.0),
                                         (0.1, 0.5), (0.2, 0.21),
                                         (0.0, 0.9)])
def test_ring_mask_matches_brute_force(inner, outer):
    g = torch.Generator().manual_seed(0)
    sim = torch.randn(16, 300, generator=g)
    valid = torch.rand(16, 300, generator=g) < 0.7
    got = ring_mask(sim, valid, inner, outer)
    assert torch.equal(got, brute_force_ring(sim, valid, inner, outer))
    assert (got.sum(1) >= 1).all()
    assert not (got & ~valid).any()


def test_ring_mask_rejects_bad_band():
    sim, valid = torch.zeros(2, 5), torch.ones(2, 5, dtype=torch.bool)
    with pytest.raises(ValueError, match="must exceed"):
        ring_mask(sim, valid, 0.5, 0.2)
    with pytest.raises(ValueError, match="inner"):
        ring_mask(sim, valid, 1.0, 1.0)


@pytest.mark.parametrize("anneal", ["linear", "exp", "step"])
def test_annealed_outer_goes_from_one_to_outer(anneal):
    values = [annealed_outer(0.1, p / 20, anneal) for p in range(21)]
    assert values[0] == pytest.approx(1.0)
    assert values[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert annealed_outer(0.1, 0.3, "none") == 0.1


def ring_setup(n=60, b=8, d=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    sampler = UniformBatchSampler(n, b)
    sampler.update(torch.arange(n), torch.randn(n, d, generator=g))
    z1 = torch.randn(b, d, generator=g, requires_grad=True)
    z2 = torch.randn(b, d, generator=g)
    index = torch.randperm(n, generator=g)[:b]
    return sampler, z1, z2, index


def test_bank_ring_loss_matches_loop():
    sampler, z1, z2, index = ring_setup()
    t, inner, outer = 0.2, 0.05, 0.3
    loss = RingNegatives(sampler, inner, outer, temperature=t)(z1, z2, index)
    bank = F.normalize(sampler.embeddings, dim=1)
    expected = 0.0
    for i in range(z1.size(0)):
        a = F.normalize(z1[i].detach(), dim=0)
        pos = float(a @ F.normalize(z2[i], dim=0)) / t
        others = [j for j in range(bank.size(0)) if j != int(index[i])]
        s = sorted((float(a @ bank[j]) / t for j in others), reverse=True)
        n = len(others)
        k_in = math.floor(inner * n)
        k_out = max(math.ceil(outer * n), k_in + 1)
        terms = [pos] + s[k_in:k_out]
        m = max(terms)
        expected += m + math.log(sum(math.exp(x - m) for x in terms)) - pos
    assert loss.item() == pytest.approx(expected / z1.size(0), rel=1e-5)


def test_ring_skips_unwritten_entries_and_anneals():
    n, b = 40, 4
    sampler = UniformBatchSampler(n, b)
    ring = RingNegatives(sampler, 0.0, 0.1, anneal="linear",
                         anneal_steps=4)
    z = torch.randn(b, 8, requires_grad=True)
    index = torch.arange(b)
    # nothing written yet: empty pools add 0
    assert ring(z, z.detach() + 0.1, index).item() == pytest.approx(0.0)
    sampler.update(torch.arange(10), torch.randn(10, 8))
    assert ring.current_outer() == pytest.approx(1 - 0.9 / 4)
    loss = ring(z, z.detach(), index)
    loss.backward()
    assert torch.isfinite(z.grad).all()
    ring(z, z.detach(), index), ring(z, z.detach(), index)
    assert ring.current_outer() == pytest.approx(0.1)
    state = ring.state_dict()
    fresh = RingNegatives(sampler, 0.0, 0.1, anneal="linear",
                          anneal_steps=4)
    fresh.load_state_dict(state)
    assert fresh.current_outer() == pytest.approx(0.1)


def test_batch_pool_ring_uses_only_batch():
    sampler, z1, z2, index = ring_setup(b=16)
    ring = RingNegatives(sampler, 0.0, 1.0, pool="batch")
    # with the full band the batch-pool ring is InfoNCE with the positive
    # in the denominator
    sim = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).t() / 0.2
    expected = (torch.logsumexp(sim, 1) - sim.diagonal()).mean()
    assert ring(z1, z2, index).item() == pytest.approx(expected.item(),
                                                       rel=1e-6)


def test_ring_gradients_finite_at_extreme_similarity():
    sampler, z1, z2, index = ring_setup()
    ring = RingNegatives(sampler, 0.0, 0.5, temperature=0.01)
    z = torch.ones(8, 12, requires_grad=True)
    sampler.update(torch.arange(60), torch.ones(60, 12))
    loss = ring(z, z.detach() * 3, index)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_ring_validates_input():
    sampler, z1, z2, index = ring_setup()
    with pytest.raises(ValueError, match="pool"):
        RingNegatives(sampler, pool="queue")
    with pytest.raises(ValueError, match="anneal"):
        RingNegatives(sampler, anneal="cosine")
    ring = RingNegatives(sampler)
    with pytest.raises(ValueError, match="index"):
        ring(z1, z2, index + 1000)
    with pytest.raises(ValueError, match="dimensional"):
        ring(z1[:, :5], z2[:, :5], index)
