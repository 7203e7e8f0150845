r"""Node-level contrastive learning with ProSampler: batches of *nodes* of
one graph (a GRACE-style objective on a stochastic block model).

    python examples/node_level_sbm.py --sampler prosampler

Each step encodes two augmented views of the whole graph with a GCN
(edges dropped, features masked), then contrasts the nodes of the batch
only; the sampler decides which nodes share a batch, i.e. which nodes are
each other's negatives.  Node embeddings are fed back with `update`.
Evaluated by a logistic-regression probe of the blocks.
"""
import argparse

import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from torch_geometric.nn import GCNConv
from torch_geometric.utils import dropout_edge, stochastic_blockmodel_graph

from pyg_prosampler import ProximityBatchSampler, UniformBatchSampler
from pyg_prosampler.contrastive.losses import nt_xent

parser = argparse.ArgumentParser()
parser.add_argument("--sampler", default="prosampler",
                    choices=["uniform", "prosampler"])
parser.add_argument("--blocks", type=int, default=20)
parser.add_argument("--block-size", type=int, default=100)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
n = args.blocks * args.block_size
edge_index = stochastic_blockmodel_graph(
    [args.block_size] * args.blocks,
    torch.full((args.blocks, args.blocks), 0.001).fill_diagonal_(0.05))
y = torch.arange(args.blocks).repeat_interleave(args.block_size)
x = F.one_hot(y, args.blocks).float() + torch.randn(n, args.blocks)


class GCN(torch.nn.Module):
    def __init__(self, dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.conv1, self.conv2 = GCNConv(dim, hidden), GCNConv(hidden, hidden)
        self.head = torch.nn.Linear(hidden, hidden)

    def forward(self, x, edge_index):
        h = self.conv2(F.relu(self.conv1(x, edge_index)), edge_index)
        return h, self.head(F.relu(h))


def view(x, edge_index):
    mask = torch.rand(x.size(1)) < 0.2
    return x.masked_fill(mask, 0.0), dropout_edge(edge_index, p=0.3)[0]


model = GCN(x.size(1))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
sampler = (ProximityBatchSampler(n, args.batch_size,
                                 num_neighbors=min(50, n - 1),
                                 num_candidates=500, seed=args.seed)
           if args.sampler == "prosampler"
           else UniformBatchSampler(n, args.batch_size, seed=args.seed))
for epoch in range(args.epochs):
    same = []
    for batch in sampler:
        idx = torch.tensor(batch)
        _, z1 = model(*view(x, edge_index))
        _, z2 = model(*view(x, edge_index))
        loss = nt_xent(z1[idx], z2[idx], temperature=0.5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sampler.update(idx, z1[idx].detach())
        same.append((y[idx].view(-1, 1) == y[idx].view(1, -1)).float().mean())
    print(f"epoch {epoch}: loss {loss.item():.3f}, same-block pairs per "
          f"batch {torch.stack(same).mean():.3f}")

with torch.no_grad():
    h, _ = model(x, edge_index)
acc = cross_val_score(LogisticRegression(max_iter=2000), h.numpy(),
                      y.numpy(), cv=5).mean()
print(f"{args.sampler}: block probe accuracy {100 * acc:.1f} % "
      f"(chance {100 / args.blocks:.1f} %)")
