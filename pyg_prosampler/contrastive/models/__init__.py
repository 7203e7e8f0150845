from pyg_prosampler.contrastive.models.gin_encoder import GINEncoder
from pyg_prosampler.contrastive.models.grace import GRACE
from pyg_prosampler.contrastive.models.graphcl import GraphCL
from pyg_prosampler.contrastive.models.mvgrl import MVGRL

__all__ = ["GINEncoder", "GraphCL", "GRACE", "MVGRL"]
