r"""GraphCL with ProSampler in a plain PyG training loop.

    python examples/graphcl_tu.py --dataset MUTAG --tu-mirror ../shared/data/TU

The only change to a usual GraphCL loop: the loader is a ProximityLoader, and
each step sends the batch's projections back with `loader.update`.
Evaluated by the 10-fold SVC protocol on the encoder's embeddings.
"""
import argparse

import torch

from pyg_prosampler import ProximityLoader, load_tu
from pyg_prosampler.contrastive.augment import RandomAugment
from pyg_prosampler.contrastive.losses import nt_xent
from pyg_prosampler.contrastive.models import GraphCL
from pyg_prosampler.experiments.evaluate import svm_accuracy

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", default="MUTAG")
parser.add_argument("--tu-mirror", default=None)
parser.add_argument("--root", default="data/TU")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--hidden", type=int, default=32)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)  # also seeds the loader's sampler
dataset = load_tu(args.dataset, root=args.root, mirror=args.tu_mirror)
loader = ProximityLoader(dataset, batch_size=args.batch_size,
                         num_candidates=1000, restart_prob=0.1,
                         warmup_epochs=1)
model = GraphCL(dataset.num_features, hidden=args.hidden)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
augment = RandomAugment(generator=torch.Generator().manual_seed(args.seed))

# A pass holds ceil(N / B) batches, as DataLoader(shuffle=True) would:
# the same number of steps as uniform training.
for epoch in range(args.epochs):
    for batch in loader:
        view = augment(batch)                    # one GraphCL view
        _, z = model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
        _, z_aug = model(view.x, view.edge_index, view.batch, view.num_graphs)
        loss = nt_xent(z, z_aug, temperature=0.2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loader.update(batch.idx, z.detach())           # feed the sampler
    print(f"epoch {epoch + 1}/{args.epochs} ({len(loader)} steps) "
          f"loss {loss.item():.3f}")

# Embed every graph once, in order (the sampler's passes repeat graphs).
model.eval()
with torch.no_grad():
    batches = list(loader.sequential())
    emb = torch.cat([model(b.x, b.edge_index, b.batch, b.num_graphs)[0]
                     for b in batches])
y = torch.cat([b.y for b in batches])
res = svm_accuracy(emb, y, seed=args.seed)
print(f"{args.dataset}: SVC accuracy {100 * res['accuracy']:.2f} "
      f"± {100 * res['accuracy_std_folds']:.2f} (10 folds)")
