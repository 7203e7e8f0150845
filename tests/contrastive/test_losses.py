import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pyg_prosampler.contrastive.losses import dcl, hcl, nt_xent


def loop_terms(z1, z2, t):
    r"""Cosine similarities / t, written element by element."""
    b = z1.size(0)
    pos, negs = [], []
    for i in range(b):
        a = z1[i] / z1[i].norm()
        pos.append(float(a @ (z2[i] / z2[i].norm())) / t)
        negs.append([float(a @ (z2[j] / z2[j].norm())) / t
                     for j in range(b) if j != i])
    return pos, negs


def loop_nt_xent(z1, z2, t):
    pos, negs = loop_terms(z1, z2, t)
    return sum(-math.log(math.exp(p) / sum(math.exp(s) for s in n))
               for p, n in zip(pos, negs)) / len(pos)


def loop_dcl(z1, z2, t, tau, beta=None):
    r"""REFERENCE section 3, with N = B - 1 negatives per anchor."""
    pos, negs = loop_terms(z1, z2, t)
    total = 0.0
    for p, n in zip(pos, negs):
        big_n = len(n)
        ep = math.exp(p)
        en = [math.exp(s) for s in n]
        if beta is None:
            neg_term = sum(en)
        else:
            imp = [e ** beta for e in en]
            neg_term = sum(w * e for w, e in zip(imp, en)) / (
                sum(imp) / len(imp))
        ng = max((-tau * big_n * ep + neg_term) / (1 - tau),
                 big_n * math.exp(-1 / t))
        total += -math.log(ep / (ep + ng))
    return total / len(pos)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_losses_match_loop_formulas(seed):
    g = torch.Generator().manual_seed(seed)
    z1 = torch.randn(7, 5, generator=g, dtype=torch.float64)
    z2 = z1 + 0.5 * torch.randn(7, 5, generator=g, dtype=torch.float64)
    for t in (0.2, 0.5):
        assert float(nt_xent(z1, z2, t)) == pytest.approx(
            loop_nt_xent(z1, z2, t), rel=1e-9)
        assert float(dcl(z1, z2, t, 0.1)) == pytest.approx(
            loop_dcl(z1, z2, t, 0.1), rel=1e-9)
        for beta in (0.5, 1.0):
            assert float(hcl(z1, z2, t, 0.1, beta)) == pytest.approx(
                loop_dcl(z1, z2, t, 0.1, beta), rel=1e-9)


def test_dcl_floor_branch_matches_loop():
    r"""Identical views: the debiased sum goes negative and the floor
    N e^{-1/t} applies."""
    z = torch.randn(6, 4, dtype=torch.float64)
    z = torch.cat([z[:1].repeat(5, 1), z[1:2]])  # near-duplicates
    assert float(dcl(z, z, 0.2, 0.5)) == pytest.approx(
        loop_dcl(z, z, 0.2, 0.5), rel=1e-9)


@pytest.mark.parametrize("loss", [nt_xent, dcl, hcl])
@pytest.mark.parametrize("case", ["identical", "opposite", "collapsed"])
def test_finite_gradients_at_extreme_similarities(loss, case):
    base = torch.randn(16, 8)
    if case == "identical":
        z1, z2 = base.clone(), base.clone()
    elif case == "opposite":
        z1, z2 = base.clone(), -base.clone()
    else:  # every embedding the same direction: all similarities 1
        z1 = torch.ones(16, 8)
        z2 = torch.ones(16, 8)
    z1.requires_grad_(True)
    z2.requires_grad_(True)
    value = loss(z1, z2, 0.05)
    value.backward()
    assert torch.isfinite(value)
    assert bool(torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad)
                .all())


def test_bad_shapes():
    with pytest.raises(ValueError, match="B >= 2"):
        nt_xent(torch.randn(1, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match="tau_plus"):
        dcl(torch.randn(4, 3), torch.randn(4, 3), tau_plus=1.0)


def test_local_global_jsd_matches_loop():
    from pyg_prosampler.contrastive.losses import local_global_jsd

    g = torch.Generator().manual_seed(0)
    nodes = torch.randn(9, 4, generator=g, dtype=torch.float64)
    graphs = torch.randn(3, 4, generator=g, dtype=torch.float64)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])

    def sp(x):
        return math.log1p(math.exp(x))

    pos, neg = [], []
    for n in range(9):
        for j in range(3):
            s = float(nodes[n] @ graphs[j])
            if batch[n] == j:
                pos.append(math.log(2) - sp(-s))
            else:
                neg.append(sp(-s) + s - math.log(2))
    expected = sum(neg) / len(neg) - sum(pos) / len(pos)
    # The implementation drops the constant 2 log 2.
    got = float(local_global_jsd(nodes, graphs, batch))
    assert got - 2 * math.log(2) == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="share d"):
        local_global_jsd(nodes, graphs[:, :3], batch)
    with pytest.raises(ValueError, match="graph of each"):
        local_global_jsd(nodes, graphs, batch[:5])


@pytest.mark.parametrize("temperature", [1e-3, 0.01, 0.2, 10.0])
@pytest.mark.parametrize("agree", [True, False])
def test_losses_and_gradients_are_finite_at_extreme_temperatures(
        temperature, agree):
    r"""At t = 0.01 the scores reach 100 and e^100 overflows float32; the
    losses work in log space, so values and gradients stay finite, also
    when the two views agree exactly (the DCL / HCL floor binds)."""
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(32, 8, generator=g, requires_grad=True)
    z2 = (z1.detach().clone() if agree
          else torch.randn(32, 8, generator=g)).requires_grad_()
    for loss in (nt_xent, dcl, hcl):
        value = loss(z1, z2, temperature)
        value.backward()
        assert bool(torch.isfinite(value)), loss.__name__
        assert bool(torch.isfinite(z1.grad).all()), loss.__name__
        assert bool(torch.isfinite(z2.grad).all()), loss.__name__
        z1.grad = z2.grad = None


@settings(max_examples=40, deadline=None)
@given(log_t=st.floats(-4, 2), agree=st.booleans(), scale=st.floats(-3, 3),
       loss=st.sampled_from([nt_xent, dcl, hcl]))
def test_generated_temperatures_and_scales_stay_finite(log_t, agree, scale,
                                                       loss):
    g = torch.Generator().manual_seed(0)
    z1 = (torch.randn(16, 4, generator=g) * 10 ** scale).requires_grad_()
    z2 = (z1.detach().clone() if agree
          else torch.randn(16, 4, generator=g)).requires_grad_()
    value = loss(z1, z2, 10 ** log_t)
    value.backward()
    assert bool(torch.isfinite(value))
    assert bool(torch.isfinite(z1.grad).all() & torch.isfinite(z2.grad).all())


@pytest.mark.parametrize("t", [0.0, -1.0, float("nan"), float("inf"), True,
                               "0.2"])
def test_bad_temperatures_are_refused(t):
    z = torch.randn(4, 3)
    for loss in (nt_xent, dcl, hcl):
        with pytest.raises(ValueError, match="temperature"):
            loss(z, z, t)
