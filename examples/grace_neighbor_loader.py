r"""Mini-batch GRACE on Cora with ProSampler choosing the seed nodes.

    python examples/grace_neighbor_loader.py \
        --planetoid-mirror ../shared/data/Planetoid

A `ProximityNeighborLoader` is PyG's `NeighborLoader` whose seed nodes are
drawn by ProSampler: each batch is the sampled 2-hop subgraph of B seeds
that are close in embedding space, so the seeds are each other's hard
negatives.  Each step encodes two views of that subgraph (edges dropped,
feature columns masked), contrasts the seeds with GRACE's loss and sends
the seeds' projections back with `loader.update`.  Evaluated by a logistic
regression on the full-graph embeddings, public split.
"""
import argparse

import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression

from pyg_prosampler import ProximityNeighborLoader, load_planetoid
from pyg_prosampler.contrastive.losses import grace_loss
from pyg_prosampler.contrastive.models import GRACE

parser = argparse.ArgumentParser()
parser.add_argument("--planetoid-mirror", default=None,
                    help="offline mirror (else $PYG_PROSAMPLER_PLANETOID_"
                         "MIRROR, else download)")
parser.add_argument("--root", default="data/Planetoid")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=256)
parser.add_argument("--num-neighbors", type=int, nargs="+", default=[10, 10])
parser.add_argument("--hidden", type=int, default=128)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
data = load_planetoid("Cora", args.root, mirror=args.planetoid_mirror)[0]
loader = ProximityNeighborLoader(
    data, num_neighbors=args.num_neighbors, batch_size=args.batch_size,
    sampler_kwargs=dict(num_candidates=1000, restart_prob=0.1,
                        seed=args.seed))
model = GRACE(data.num_features, hidden=args.hidden, proj_hidden=args.hidden,
              num_layers=len(args.num_neighbors))
opt = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=1e-5)


def view(x, edge_index, drop_edge, drop_feature):
    r"""Drops each edge with probability `drop_edge` and zeroes each
    feature column with probability `drop_feature` (GRACE's views)."""
    keep = torch.rand(edge_index.size(1)) >= drop_edge
    cols = torch.rand(x.size(1)) < drop_feature
    return x.masked_fill(cols, 0.0), edge_index[:, keep]


# GRACE's Cora configuration: views (0.2, 0.3) and (0.4, 0.4), tau = 0.4.
for epoch in range(args.epochs):
    total = 0.0
    for batch in loader:
        seeds = batch.batch_size                  # the first nodes are seeds
        h1 = model(*view(batch.x, batch.edge_index, 0.2, 0.3))[:seeds]
        h2 = model(*view(batch.x, batch.edge_index, 0.4, 0.4))[:seeds]
        z1, z2 = model.project(h1), model.project(h2)
        loss = grace_loss(z1, z2, temperature=0.4)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loader.update(batch.input_id, z1.detach())   # feed the sampler
        total += loss.item()
    print(f"epoch {epoch + 1}/{args.epochs} ({len(loader)} batches) "
          f"loss {total / len(loader):.3f}")

# Full-graph embeddings, logistic regression on the public split.
model.eval()
with torch.no_grad():
    h = F.normalize(model(data.x, data.edge_index), dim=1).numpy()
y = data.y.numpy()
train, test = data.train_mask.numpy(), data.test_mask.numpy()
clf = LogisticRegression(max_iter=1000).fit(h[train], y[train])
acc = clf.score(h[test], y[test])
print(f"Cora: logistic regression accuracy {100 * acc:.2f} (public split, "
      f"{train.sum()} train / {test.sum()} test nodes)")
