r"""Batch samplers over embedding tables: ProSampler's random walks on a
proximity graph, the uniform and kNN ends of its range, a restart
schedule, and the sharding of any of them over distributed ranks."""
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
from pyg_prosampler.samplers.uniform_batch_sampler import UniformBatchSampler

__all__ = [
    "EmbeddingBatchSampler",
    "ProximityBatchSampler",
    "UniformBatchSampler",
    "KNNBatchSampler",
    "AnnealedRestartProb",
    "DistributedBatchSampler",
]
