r"""ProSampler on a plain `torch.utils.data.Dataset` of vectors: no graphs,
no PyG loader.  Any embedding set works: the sampler only needs indices and
embeddings.

    python examples/tensor_dataset.py

A SimCLR-style toy: points of a Gaussian mixture, two noisy views per
point, an MLP encoder and InfoNCE; a `DataLoader` takes the sampler as its
`batch_sampler`, and each step feeds the batch's embeddings back.  Prints
how hard the batches are (same-cluster pairs, i.e. the false-negative
proxy) for uniform batches and ProSampler batches.
"""
import argparse

import torch
from torch.utils.data import DataLoader, TensorDataset

from pyg_prosampler import ProximityBatchSampler, UniformBatchSampler
from pyg_prosampler.contrastive.losses import nt_xent

parser = argparse.ArgumentParser()
parser.add_argument("--num", type=int, default=5000)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=256)
args = parser.parse_args()

g = torch.Generator().manual_seed(0)
labels = torch.randint(50, (args.num,), generator=g)
points = (torch.randn(50, 32, generator=g)[labels]
          + torch.randn(args.num, 32, generator=g))
dataset = TensorDataset(torch.arange(args.num), points, labels)
final = {}

for name, sampler in [
    ("uniform", UniformBatchSampler(args.num, args.batch_size, seed=0)),
    ("prosampler", ProximityBatchSampler(args.num, args.batch_size,
                                         num_neighbors=min(50, args.num - 1),
                                         num_candidates=1000, seed=0)),
]:
    torch.manual_seed(0)
    encoder = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(),
                                  torch.nn.Linear(64, 32))
    opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    loader = DataLoader(dataset, batch_sampler=sampler)
    for epoch in range(args.epochs):
        same = []
        for idx, x, y in loader:
            z1 = encoder(x + 0.3 * torch.randn_like(x))
            z2 = encoder(x + 0.3 * torch.randn_like(x))
            loss = nt_xent(z1, z2, temperature=0.2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sampler.update(idx, z1.detach())
            same.append((y.view(-1, 1) == y.view(1, -1)).float().mean())
        final[name] = torch.stack(same).mean().item()
        print(f"{name} epoch {epoch}: loss {loss.item():.3f}, same-cluster "
              f"pairs per batch {final[name]:.3f}")
print(f"same-cluster pairs per batch, last epoch: uniform "
      f"{final['uniform']:.3f}, prosampler {final['prosampler']:.3f} "
      f"(chance {1 / 50:.3f})")
