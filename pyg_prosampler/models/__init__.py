from pyg_prosampler.models.gin_encoder import GINEncoder
from pyg_prosampler.models.graphcl import GraphCL

__all__ = ["GINEncoder", "GraphCL"]
