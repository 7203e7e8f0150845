from pyg_prosampler.loader.proximity_loader import ProximityLoader
from pyg_prosampler.loader.proximity_neighbor_loader import (
    ProximityNeighborLoader,
)
from pyg_prosampler.loader.storage_collater import StorageCollater

__all__ = ["ProximityLoader", "ProximityNeighborLoader", "StorageCollater"]
