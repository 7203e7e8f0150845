r"""The contrastive toolkit: encoders and their models (GraphCL, MVGRL,
GRACE), GraphCL's augmentations, in-batch losses, and the negative samplers
that replace them (Ring, SogCLR, EMC²).  The core (samplers, loaders,
proximity graphs) does not need it.  Each name is imported from its module
when first read."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyg_prosampler._lazy import lazy_attributes

__all__ = ["GINEncoder", "GraphCL", "GRACE", "MVGRL"]

# Where every name of `__all__` comes from.
_EXPORTS = {
    "GINEncoder": "pyg_prosampler.contrastive.models.gin_encoder",
    "GraphCL": "pyg_prosampler.contrastive.models.graphcl",
    "GRACE": "pyg_prosampler.contrastive.models.grace",
    "MVGRL": "pyg_prosampler.contrastive.models.mvgrl",
}

__getattr__, __dir__ = lazy_attributes(
    __name__, _EXPORTS, ("models", "augment", "losses", "negatives",
                         "diffusion", "registry"))

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from pyg_prosampler.contrastive.models.gin_encoder import GINEncoder
    from pyg_prosampler.contrastive.models.grace import GRACE
    from pyg_prosampler.contrastive.models.graphcl import GraphCL
    from pyg_prosampler.contrastive.models.mvgrl import MVGRL
