import copy
import math

import pytest
import torch

from pyg_prosampler.contrastive.negatives import SogCLRLoss


def cos(a, b):
    return float(a @ b) / (float(a.norm()) * float(b.norm()))


def test_u_update_loss_and_gradient_match_loop():
    g = torch.Generator().manual_seed(0)
    n, b, d, t, gamma = 20, 6, 5, 0.2, 0.9
    loss_fn = SogCLRLoss(n, temperature=t, gamma=gamma)
    u = [0.0] * n
    for _ in range(3):
        index = torch.randperm(n, generator=g)[:b]
        z1 = torch.randn(b, d, generator=g, requires_grad=True)
        z2 = torch.randn(b, d, generator=g, requires_grad=True)
        loss = loss_fn(z1, z2, index)
        loss.backward()
        # loop-written reference in float64
        value = 0.0
        for i in range(b):
            s = [cos(z1[i].detach(), z2[j].detach()) / t for j in range(b)]
            g_i = sum(math.exp(s[j]) for j in range(b) if j != i) / (b - 1)
            k = int(index[i])
            u[k] = (1 - gamma) * u[k] + gamma * g_i
            value += -s[i] + math.log(u[k])
        assert loss.item() == pytest.approx(value / b, rel=1e-5)
        for i in range(b):
            assert math.exp(loss_fn.log_u[int(index[i])]) == pytest.approx(
                u[int(index[i])], rel=1e-5)
        # gradient: -grad s_ii + 1/(B-1) sum_j e^{s_ij} / u_i grad s_ij
        a = z1.detach().clone().requires_grad_()
        p = z2.detach().clone().requires_grad_()
        sim = (torch.nn.functional.normalize(a, dim=1)
               @ torch.nn.functional.normalize(p, dim=1).t() / t)
        ref = 0.0
        for i in range(b):
            ui = u[int(index[i])]
            ref = ref - sim[i, i]
            for j in range(b):
                if j != i:
                    w = math.exp(float(sim[i, j].detach())) / ui / (b - 1)
                    ref = ref + w * sim[i, j]
        (ref / b).backward()
        assert torch.allclose(z1.grad, a.grad, atol=1e-5)
        assert torch.allclose(z2.grad, p.grad, atol=1e-5)


def test_eval_mode_leaves_u_untouched_and_gradients_finite():
    loss_fn = SogCLRLoss(10, temperature=0.01).eval()
    z = torch.ones(4, 3, requires_grad=True)
    loss = loss_fn(z, z.detach() * 2, torch.arange(4))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    assert torch.isinf(loss_fn.log_u).all()


def test_state_round_trip_and_size_check():
    loss_fn = SogCLRLoss(10)
    loss_fn(torch.randn(4, 3), torch.randn(4, 3), torch.arange(4))
    fresh = SogCLRLoss(10)
    fresh.load_state_dict(loss_fn.state_dict())
    assert torch.equal(fresh.log_u, loss_fn.log_u)
    with pytest.raises(ValueError, match="built for 12"):
        SogCLRLoss(12).load_state_dict(loss_fn.state_dict())
    with pytest.raises(ValueError, match="gamma"):
        SogCLRLoss(10, gamma=0.0)


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(same, a, b))
    return a == b


def test_non_finite_batch_is_refused_and_state_kept():
    from pyg_prosampler.contrastive.negatives import EMC2Loss

    g = torch.Generator().manual_seed(0)
    for loss in (SogCLRLoss(20), EMC2Loss(20)):
        z = torch.randn(4, 8, generator=g)
        loss(z, z + 0.1, torch.arange(4))  # some state
        before = copy.deepcopy(loss.state_dict())
        bad = z.clone()
        bad[1, 3] = float("nan")
        with pytest.raises(ValueError, match="NaN or inf"):
            loss(bad, z, torch.arange(4))
        with pytest.raises(ValueError, match="NaN or inf"):
            loss(z, torch.full_like(z, float("inf")), torch.arange(4))
        assert same(before, loss.state_dict())
        value = loss(z, z + 0.1, torch.arange(4))  # and trains on
        assert bool(torch.isfinite(value))
