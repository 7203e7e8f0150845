from pyg_prosampler.models.gin_encoder import GINEncoder
from pyg_prosampler.models.graphcl import GraphCL
from pyg_prosampler.models.mvgrl import MVGRL

__all__ = ["GINEncoder", "GraphCL", "MVGRL"]
