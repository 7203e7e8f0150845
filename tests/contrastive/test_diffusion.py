import pytest
import torch
from torch_geometric.utils import erdos_renyi_graph, to_dense_adj

from pyg_prosampler.contrastive.diffusion import (
    ppr_dense,
    ppr_diffusion,
    retained_mass,
)


def dense_reference(edge_index, n, alpha, iters=400):
    r"""MVGRL's formula by dense power iteration: S = alpha sum_k
    ((1 - alpha) T)^k, T = D^-1/2 (A + I) D^-1/2, run to convergence and
    checked against the closed-form inverse."""
    a = to_dense_adj(edge_index, max_num_nodes=n)[0].double()
    a = a + torch.eye(n, dtype=torch.double)
    d = a.sum(1).rsqrt()
    t = d[:, None] * a * d[None, :]
    s = torch.zeros(n, n, dtype=torch.double)
    term = alpha * torch.eye(n, dtype=torch.double)
    for _ in range(iters):
        s = s + term
        term = (1 - alpha) * t @ term
    inv = alpha * torch.linalg.inv(torch.eye(n, dtype=torch.double)
                                   - (1 - alpha) * t)
    assert torch.allclose(s, inv, atol=1e-9)
    return s


@pytest.mark.parametrize("n,p,seed", [(12, 0.3, 0), (30, 0.1, 1),
                                      (25, 0.05, 2)])
def test_ppr_matches_dense_reference(n, p, seed):
    torch.manual_seed(seed)
    ei = erdos_renyi_graph(n, p)
    ref = dense_reference(ei, n, 0.2)
    assert torch.allclose(ppr_dense(ei, n, 0.2).double(), ref, atol=1e-4)
    # Top-k sparsification keeps each row's k largest entries.
    k = 5
    edge_index, weight = ppr_diffusion(ei, n, 0.2, topk=k)
    assert edge_index.shape == (2, n * k)
    dense = torch.zeros(n, n, dtype=torch.double)
    dense[edge_index[1], edge_index[0]] = weight.double()
    top = ref.topk(k, dim=1).values
    assert torch.allclose(dense.sort(dim=1, descending=True).values[:, :k],
                          top, atol=1e-4)
    assert 0 < retained_mass(ei, n, 0.2, k) <= 1


def test_full_topk_keeps_everything():
    ei = erdos_renyi_graph(10, 0.4)
    assert abs(retained_mass(ei, 10, 0.2, 10) - 1.0) < 1e-6


def test_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        ppr_diffusion(torch.zeros(2, 0, dtype=torch.long), 3, alpha=1.0)
