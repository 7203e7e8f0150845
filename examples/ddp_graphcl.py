r"""GraphCL + ProSampler under DDP: every rank draws the same hard global
batch and trains on its shard; the contrastive loss sees the whole global
batch (embeddings gathered with gradients), and the sampler's table is
kept identical on all ranks.

    torchrun --nproc_per_node 2 examples/ddp_graphcl.py \
        --tu-mirror ../shared/data/TU

Runs on CPU with gloo; started without torchrun it runs as one process
(a world of one).  Evaluated on rank 0 by the 10-fold SVC protocol.
"""
import argparse
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from pyg_prosampler import (
    DistributedBatchSampler,
    ProximityBatchSampler,
    ProximityLoader,
    load_tu,
)
from pyg_prosampler.contrastive.augment import RandomAugment
from pyg_prosampler.contrastive.losses import nt_xent
from pyg_prosampler.contrastive.models import GraphCL
from pyg_prosampler.distributed import all_gather_with_grad
from pyg_prosampler.experiments.evaluate import svm_accuracy

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", default="MUTAG")
parser.add_argument("--tu-mirror", default=None)
parser.add_argument("--root", default="data/TU")
parser.add_argument("--batch-size", type=int, default=128,
                    help="global batch size (split over the ranks)")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--hidden", type=int, default=32)
args = parser.parse_args()

if "RANK" not in os.environ:  # not started by torchrun: a world of one
    os.environ.update(RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=os.environ.get("MASTER_PORT", "29500"))
dist.init_process_group("gloo")  # "nccl" with one GPU per rank
rank, world = dist.get_rank(), dist.get_world_size()
# Every rank loads the data set; the first extracts and processes it, the
# others wait on its file lock.
dataset = load_tu(args.dataset, args.root, args.tu_mirror)
torch.manual_seed(0)  # same initial weights on every rank
model = GraphCL(dataset.num_features, hidden=args.hidden)
ddp = DistributedDataParallel(model)
opt = torch.optim.Adam(ddp.parameters(), lr=0.01)
augment = RandomAugment(  # each rank its own augmentations
    generator=torch.Generator().manual_seed(rank))
# The same sampler (same seed) on every rank: the same global batches.
sampler = DistributedBatchSampler(ProximityBatchSampler(
    len(dataset), args.batch_size, num_candidates=1000, restart_prob=0.1,
    seed=0))
loader = ProximityLoader(dataset, batch_sampler=sampler)

for epoch in range(args.epochs):
    total = 0.0
    for batch in loader:                  # this rank's shard of the batch
        view = augment(batch)
        _, z = ddp(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
        _, z_aug = ddp(view.x, view.edge_index, view.batch, view.num_graphs)
        # negatives from the whole global batch, gradients flowing back
        loss = nt_xent(all_gather_with_grad(z), all_gather_with_grad(z_aug),
                       temperature=0.2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loader.update(batch.idx, z.detach())  # a collective: every rank
        total += loss.item()
    if rank == 0:
        print(f"epoch {epoch + 1}/{args.epochs}: loss "
              f"{total / len(loader):.3f} ({len(loader)} global batches)")

if rank == 0:
    model.eval()
    with torch.no_grad():
        batches = list(loader.sequential())
        emb = torch.cat([model(b.x, b.edge_index, b.batch, b.num_graphs)[0]
                         for b in batches])
    res = svm_accuracy(emb, torch.cat([b.y for b in batches]), seed=0)
    print(f"{args.dataset} ({world} process{'es' if world > 1 else ''}): "
          f"SVC accuracy {100 * res['accuracy']:.2f} "
          f"± {100 * res['accuracy_std_folds']:.2f} (10 folds)")
dist.destroy_process_group()
