import math

import pytest
import torch

from pyg_prosampler.contrastive.negatives import EMC2Loss, mh_sweep


def test_mh_chains_converge_to_softmax_target():
    r"""Independence Metropolis-Hastings with a uniform proposal over K
    states and target pi: if q(j) >= beta pi(j) for all j then
    TV(P^t(x, .), pi) <= (1 - beta)^t (Mengersen & Tweedie 1996), here
    beta = 1 / (K max pi).  R independent chains started in the least likely
    state give an empirical law whose TV to P^t is at most
    1/2 sum_j sqrt(p_j / R) <= 1/2 sqrt(K / R) in expectation, plus
    sqrt(log(1/delta) / (2R)) with probability 1 - delta (McDiarmid: one
    chain moves the TV by at most 1/R)."""
    k, r, t = 10, 20000, 15
    scores = 0.3 * torch.arange(k, dtype=torch.float64)
    pi = torch.softmax(scores, 0)
    beta = 1 / (k * float(pi.max()))
    bound = ((1 - beta) ** t + 0.5 * math.sqrt(k / r)
             + math.sqrt(math.log(1e6) / (2 * r)))
    assert bound < 0.05
    g = torch.Generator().manual_seed(0)
    state = torch.zeros(r, dtype=torch.long)
    cached = scores[state]
    proposals = torch.randint(k, (r, t), generator=g)
    log_u = torch.rand(r, t, generator=g, dtype=torch.float64).log()
    states, final_cached = mh_sweep(state, cached, proposals,
                                    scores[proposals], log_u)
    assert torch.equal(final_cached, scores[states[:, -1]])

    def tv(col):
        emp = torch.bincount(col, minlength=k).double() / r
        return 0.5 * float((emp - pi).abs().sum())

    # one step from the least likely state accepts every proposal: the
    # law is uniform, still far from pi (the check can fail)
    sampling = bound - (1 - beta) ** t
    tv_uniform = 0.5 * float((1 / k - pi).abs().sum())
    assert abs(tv(states[:, 0]) - tv_uniform) < sampling < tv_uniform
    assert tv(states[:, -1]) < bound


def test_unset_chain_accepts_first_proposal():
    states, cached = mh_sweep(
        torch.tensor([-1]), torch.tensor([-math.inf]), torch.tensor([[3]]),
        torch.tensor([[-50.0]]), torch.tensor([[-0.1]]))
    assert states.tolist() == [[3]] and cached.tolist() == [-50.0]


def batch(seed, n=30, b=6, d=8):
    g = torch.Generator().manual_seed(seed)
    index = torch.randperm(n, generator=g)[:b]
    z1 = torch.randn(b, d, generator=g, requires_grad=True)
    z2 = torch.randn(b, d, generator=g, requires_grad=True)
    return z1, z2, index


def test_chains_deterministic_never_self_and_reencode_outside_only():
    n = 30
    table = torch.randn(n, 8)
    calls = []

    def encode(idx):
        calls.append(idx.clone())
        return table[idx]

    a, b = EMC2Loss(n, seed=3), EMC2Loss(n, seed=3)
    for step in range(20):
        z1, z2, index = batch(step, n)
        before = len(calls)
        la = a(z1, z2, index, encode)
        lb = b(z1, z2, index, encode=lambda i: table[i])
        assert la.item() == pytest.approx(lb.item())
        la.backward()
        assert torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()
        if len(calls) > before:
            assert not torch.isin(calls[-1], index).any()
    assert torch.equal(a.state, b.state)
    set_ = a.state >= 0
    assert (a.state[set_] != torch.arange(n)[set_]).all()
    assert a.stats["reencoded"] == sum(c.numel() for c in calls) > 0


def test_whole_data_set_batch_needs_no_reencoding():
    n = 8
    loss_fn = EMC2Loss(n)

    def encode(idx):
        raise AssertionError("nothing outside the batch to re-encode")

    for step in range(5):
        z1, z2, _ = batch(step, n, b=n)
        loss_fn(z1, z2, torch.randperm(n), encode).backward()


def test_without_encode_and_extreme_similarity_finite():
    loss_fn = EMC2Loss(10, temperature=0.01)
    for _ in range(4):
        z = torch.ones(5, 3, requires_grad=True)
        loss = loss_fn(z, z.detach() * 2, torch.randperm(10)[:5])
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_state_round_trip_resumes_identically_and_checks_size():
    loss_fn = EMC2Loss(30, seed=1)
    for step in range(3):
        loss_fn(*batch(step))
    saved = loss_fn.state_dict()
    fresh = EMC2Loss(30, seed=99)
    fresh.load_state_dict(saved)
    z1, z2, index = batch(7)
    assert loss_fn(z1, z2, index).item() == pytest.approx(
        fresh(z1, z2, index).item())
    assert torch.equal(loss_fn.state, fresh.state)
    with pytest.raises(ValueError, match="built for 31"):
        EMC2Loss(31).load_state_dict(saved)
