r"""pyg_prosampler: mini-batches with hard negatives for contrastive learning
in PyTorch Geometric.

Importing the package loads nothing else: every name of :obj:`__all__` is
imported from its module when first read (:obj:`from pyg_prosampler import
ProximityLoader` loads the loader and what it needs, and not the
contrastive toolkit nor the experiment layer)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyg_prosampler._lazy import lazy_attributes

__version__ = "0.1.0"

# Where every name of `__all__` comes from.
_EXPORTS = {
    "build_proximity_graph": "pyg_prosampler.proximity_graph",
    "random_walk_with_restart": "pyg_prosampler.random_walk",
    "EmbeddingBatchSampler": "pyg_prosampler.samplers.embedding_batch_sampler",
    "ProximityBatchSampler": "pyg_prosampler.samplers.proximity_batch_sampler",
    "UniformBatchSampler": "pyg_prosampler.samplers.uniform_batch_sampler",
    "KNNBatchSampler": "pyg_prosampler.samplers.knn_batch_sampler",
    "AnnealedRestartProb": "pyg_prosampler.samplers.schedules",
    "DistributedBatchSampler":
        "pyg_prosampler.samplers.distributed_batch_sampler",
    "ProximityLoader": "pyg_prosampler.loader.proximity_loader",
    "ProximityNeighborLoader":
        "pyg_prosampler.loader.proximity_neighbor_loader",
    "StorageCollater": "pyg_prosampler.loader.storage_collater",
    "batch_hardness": "pyg_prosampler.diagnostics",
    "load_tu": "pyg_prosampler.datasets.tu",
    "load_ogb": "pyg_prosampler.datasets.ogb",
    "load_planetoid": "pyg_prosampler.datasets.planetoid",
}

_SUBMODULES = ("proximity_graph", "random_walk", "samplers", "loader",
               "diagnostics", "distributed", "datasets", "contrastive",
               "experiments")

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
    "ProximityNeighborLoader",
    "StorageCollater",
    "batch_hardness",
    "load_tu",
    "load_ogb",
    "load_planetoid",
]

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, _SUBMODULES)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from pyg_prosampler.datasets.ogb import load_ogb
    from pyg_prosampler.datasets.planetoid import load_planetoid
    from pyg_prosampler.datasets.tu import load_tu
    from pyg_prosampler.diagnostics import batch_hardness
    from pyg_prosampler.loader.proximity_loader import ProximityLoader
    from pyg_prosampler.loader.proximity_neighbor_loader import (
        ProximityNeighborLoader,
    )
    from pyg_prosampler.loader.storage_collater import StorageCollater
    from pyg_prosampler.proximity_graph import build_proximity_graph
    from pyg_prosampler.random_walk import random_walk_with_restart
    from pyg_prosampler.samplers.distributed_batch_sampler import (
        DistributedBatchSampler,
    )
    from pyg_prosampler.samplers.embedding_batch_sampler import (
        EmbeddingBatchSampler,
    )
    from pyg_prosampler.samplers.knn_batch_sampler import KNNBatchSampler
    from pyg_prosampler.samplers.proximity_batch_sampler import (
        ProximityBatchSampler,
    )
    from pyg_prosampler.samplers.schedules import AnnealedRestartProb
    from pyg_prosampler.samplers.uniform_batch_sampler import (
        UniformBatchSampler,
    )
