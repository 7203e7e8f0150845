r"""Encoders and contrastive models: GIN (GraphCL), MVGRL's two GCN
views, and GRACE's GCN with its projection."""
from pyg_prosampler.contrastive.models.gin_encoder import GINEncoder
from pyg_prosampler.contrastive.models.grace import GRACE
from pyg_prosampler.contrastive.models.graphcl import GraphCL
from pyg_prosampler.contrastive.models.mvgrl import MVGRL

__all__ = ["GINEncoder", "GraphCL", "GRACE", "MVGRL"]
