r"""GraphCL + ProSampler under DDP: every rank draws the same hard global
batch and trains on its shard; the contrastive loss sees the whole global
batch (embeddings gathered with gradients), and the sampler's table is
kept identical on all ranks.

    torchrun --nproc_per_node 2 examples/ddp_graphcl.py \
        --tu-mirror ../shared/data/TU
"""
import argparse

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from pyg_prosampler import DistributedBatchSampler, ProximityBatchSampler
from pyg_prosampler.augment import Graphs, random_augment
from pyg_prosampler.datasets import graph_labels, load_tu
from pyg_prosampler.distributed import all_gather_with_grad
from pyg_prosampler.losses import nt_xent
from pyg_prosampler.models import GraphCL
from pyg_prosampler.training import evaluate_graphcl, fit

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", default="MUTAG")
parser.add_argument("--tu-mirror", default=None)
parser.add_argument("--batch-size", type=int, default=128,
                    help="global batch size (split over the ranks)")
parser.add_argument("--epochs", type=int, default=20)
args = parser.parse_args()

dist.init_process_group("gloo")  # "nccl" with one GPU per rank
rank = dist.get_rank()
dataset = load_tu(args.dataset, "data/TU", args.tu_mirror)
torch.manual_seed(0)  # same initial weights on every rank
model = GraphCL(dataset.num_features)
ddp = DistributedDataParallel(model)
gen = torch.Generator().manual_seed(rank)  # each rank its augmentations
sampler = DistributedBatchSampler(ProximityBatchSampler(
    len(dataset), args.batch_size, num_neighbors=min(100, len(dataset) - 1),
    num_candidates=1000, restart_prob=0.1, seed=0))


def step(batch):
    g = Graphs(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
    _, z = ddp(*g)
    _, z_aug = ddp(*random_augment(g, generator=gen))
    # negatives from the whole global batch, gradients flowing back
    z_all = all_gather_with_grad(z)
    z_aug_all = all_gather_with_grad(z_aug)
    return nt_xent(z_all, z_aug_all), z  # the shard goes to update()


logs = fit(ddp, dataset, sampler, step, epochs=args.epochs,
           labels=graph_labels(dataset), progress=rank == 0,
           desc=f"GraphCL DDP x{dist.get_world_size()}")
if rank == 0:
    res = evaluate_graphcl(model, dataset, seed=0)
    print(f"{args.dataset}: accuracy {100 * res['accuracy']:.2f} "
          f"(± {100 * res['accuracy_std_folds']:.2f} over folds)")
dist.destroy_process_group()
