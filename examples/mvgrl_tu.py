r"""MVGRL with ProSampler in a plain PyG training loop.

    python examples/mvgrl_tu.py --dataset MUTAG --tu-mirror ../shared/data/TU

The second view (sparse PPR diffusion, top-32 entries per node) is computed
once per graph and cached on disk; batches come from a ProximityLoader and
carry both views; each step sends the graph embeddings back with
`loader.update`.  Evaluated by LinearSVC on the sum of both views' graph
vectors.
"""
import argparse

import torch
from torch_geometric.loader import DataLoader

from pyg_prosampler import ProximityLoader, load_tu
from pyg_prosampler.contrastive.losses import local_global_jsd
from pyg_prosampler.contrastive.models import MVGRL
from pyg_prosampler.datasets import DiffusionViewDataset, graph_labels
from pyg_prosampler.experiments.evaluate import svm_accuracy

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", default="MUTAG")
parser.add_argument("--tu-mirror", default=None)
parser.add_argument("--root", default="data/TU")
parser.add_argument("--hidden", type=int, default=512)
parser.add_argument("--layers", type=int, default=4)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
base = load_tu(args.dataset, root=args.root, mirror=args.tu_mirror)
dataset = DiffusionViewDataset(
    base, f"{args.root}/{args.dataset}/processed/ppr_alpha0.2_top32.pt",
    alpha=0.2, topk=32)
loader = ProximityLoader(dataset, batch_size=args.batch_size,
                         num_neighbors=min(100, len(dataset) - 1),
                         num_candidates=1000, restart_prob=0.1,
                         warmup_epochs=1, seed=args.seed)
model = MVGRL(dataset.num_features, args.hidden, args.layers)
opt = torch.optim.Adam(model.parameters(), lr=0.001)

steps, budget = 0, args.epochs * -(-len(dataset) // args.batch_size)
while steps < budget:
    for batch in loader:
        h1, h2, g1, g2 = model(batch)   # nodes and graphs of both views
        # local-global JSD both ways; the batch's other graphs are negatives
        loss = (local_global_jsd(h1, g2, batch.batch)
                + local_global_jsd(h2, g1, batch.batch))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loader.update(batch.idx, (g1 + g2).detach())   # feed the sampler
        steps += 1
        if steps == budget:
            break
    print(f"step {steps}/{budget} loss {loss.item():.3f}")

model.eval()
with torch.no_grad():
    z = torch.cat([model.embed(b)
                   for b in DataLoader(dataset, batch_size=128)])
res = svm_accuracy(z, graph_labels(base), seed=args.seed, linear=True)
print(f"{args.dataset}: LinearSVC accuracy {100 * res['accuracy']:.2f} "
      f"± {100 * res['accuracy_std_folds']:.2f} (10 folds)")
