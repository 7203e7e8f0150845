r"""pyg_prosampler: mini-batches with hard negatives for contrastive learning
in PyTorch Geometric."""
from pyg_prosampler.datasets import load_tu
from pyg_prosampler.diagnostics import batch_hardness
from pyg_prosampler.loader import ProximityLoader
from pyg_prosampler.proximity_graph import build_proximity_graph
from pyg_prosampler.random_walk import random_walk_with_restart
from pyg_prosampler.samplers import (
    AnnealedRestartProb,
    DistributedBatchSampler,
    EmbeddingBatchSampler,
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)

__version__ = "0.1.0"

__all__ = [
    "build_proximity_graph",
    "random_walk_with_restart",
    "EmbeddingBatchSampler",
    "ProximityBatchSampler",
    "UniformBatchSampler",
    "KNNBatchSampler",
    "AnnealedRestartProb",
    "DistributedBatchSampler",
    "ProximityLoader",
    "load_tu",
    "batch_hardness",
]
