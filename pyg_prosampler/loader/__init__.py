r"""Loaders whose batches a batch sampler draws: graphs (with their
dataset indices, gathered from storage where possible) and seed nodes with
their sampled neighbourhoods."""
from pyg_prosampler.loader.proximity_loader import ProximityLoader
from pyg_prosampler.loader.proximity_neighbor_loader import (
    ProximityNeighborLoader,
)
from pyg_prosampler.loader.storage_collater import StorageCollater

__all__ = ["ProximityLoader", "ProximityNeighborLoader", "StorageCollater"]
