from pyg_prosampler.datasets.diffusion_view import DiffusionViewDataset
from pyg_prosampler.datasets.tu import (
    OneHotCappedDegree,
    graph_labels,
    load_tu,
)

__all__ = ["load_tu", "OneHotCappedDegree", "graph_labels",
           "DiffusionViewDataset"]
