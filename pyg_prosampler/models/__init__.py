from pyg_prosampler.models.gin_encoder import GINEncoder

__all__ = ["GINEncoder"]
