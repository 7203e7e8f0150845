import pytest
import torch
from torch_geometric.nn import GCNConv
from torch_geometric.utils import to_undirected

from pyg_prosampler.contrastive.models.mvgrl import _GCNStack


@pytest.mark.parametrize("normalize", [True, False])
def test_sparse_matrix_stack_equals_message_passing(normalize):
    r"""The CSR propagation gives what PyG's edge-list GCNConv gives: GCN
    normalisation with self loops for the adjacency view, the weights as
    given (directed, e.g. top-k PPR) for the diffusion view."""
    torch.manual_seed(0)
    n = 60
    if normalize:
        edge_index, weight = to_undirected(torch.randint(n, (2, 150))), None
    else:
        edge_index = torch.randint(n, (2, 400))
        edge_index = edge_index[:, edge_index[0] != edge_index[1]]
        edge_index = torch.unique(edge_index, dim=1)
        weight = torch.rand(edge_index.size(1))
    x = torch.randn(n, 5)
    batch = torch.arange(n) // 20
    stack = _GCNStack(5, 8, 2, normalize)
    nodes, pooled = stack(x, edge_index, weight, batch, 3)
    h, ref_pooled = x, []
    for conv, act in zip(stack.convs, stack.acts):
        ref = GCNConv(conv.in_channels, 8, normalize=normalize,
                      add_self_loops=normalize)
        ref.load_state_dict(conv.state_dict())
        h = act(ref(h, edge_index, weight))
        ref_pooled.append(torch.zeros(3, 8).index_add_(0, batch, h))
    assert torch.allclose(nodes, h, atol=1e-5)
    assert torch.allclose(pooled, torch.cat(ref_pooled, 1), atol=1e-4)
