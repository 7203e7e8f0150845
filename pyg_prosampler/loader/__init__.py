from pyg_prosampler.loader.proximity_loader import ProximityLoader

__all__ = ["ProximityLoader"]
