import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import erdos_renyi_graph

from pyg_prosampler.contrastive.models.gin_encoder import GINEncoder


def graphs(num, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(num):
        n = 4 + i
        torch.manual_seed(seed * 100 + i)
        out.append(Data(x=torch.randn(n, 5, generator=g),
                        edge_index=erdos_renyi_graph(n, 0.5)))
    return out


def encode(encoder, data_list, num_graphs=None):
    b = Batch.from_data_list(data_list)
    return encoder(b.x, b.edge_index, b.batch, num_graphs)


def test_shapes_and_sum_readout_of_every_layer():
    torch.manual_seed(0)
    enc = GINEncoder(5, hidden=8, num_layers=3).eval()
    data = graphs(4)
    pooled, nodes = encode(enc, data)
    assert enc.out_channels == 24
    assert pooled.shape == (4, 24)
    assert nodes.shape == (sum(d.num_nodes for d in data), 24)
    batch = Batch.from_data_list(data).batch
    expected = torch.zeros(4, 24).index_add_(0, batch, nodes)
    torch.testing.assert_close(pooled, expected)


def test_graph_embedding_ignores_node_order_and_batch_mates():
    r"""In eval mode (BatchNorm on running statistics) a graph's embedding
    depends on the graph only: not on its node numbering, nor on the other
    graphs of its batch."""
    torch.manual_seed(0)
    enc = GINEncoder(5, hidden=8, num_layers=3).eval()
    data = graphs(3)
    together, _ = encode(enc, data)
    alone, _ = encode(enc, [data[1]])
    torch.testing.assert_close(together[1:2], alone)
    d = data[1]
    perm = torch.randperm(d.num_nodes, generator=torch.Generator()
                          .manual_seed(1))
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(d.num_nodes)
    permuted = Data(x=d.x[perm], edge_index=inverse[d.edge_index])
    again, _ = encode(enc, [permuted])
    torch.testing.assert_close(again, alone)


def test_trailing_empty_graphs_get_zero_rows():
    torch.manual_seed(0)
    enc = GINEncoder(5, hidden=8, num_layers=2).eval()
    pooled, _ = encode(enc, graphs(2), num_graphs=3)
    assert pooled.shape == (3, 16)
    assert torch.equal(pooled[2], torch.zeros(16))
    assert pooled[:2].abs().sum() > 0


@pytest.mark.parametrize("kw", [dict(in_channels=0), dict(hidden=-1),
                                dict(num_layers=2.5), dict(in_channels=True)])
def test_model_sizes_are_checked(kw):
    from pyg_prosampler.contrastive.models import MVGRL, GraphCL

    args = dict(in_channels=4, hidden=8, num_layers=2)
    args.update(kw)
    for model in (GINEncoder, GraphCL, MVGRL):
        with pytest.raises(ValueError, match=next(iter(kw))):
            model(**args)
