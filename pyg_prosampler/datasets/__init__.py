from pyg_prosampler.datasets.diffusion_view import DiffusionViewDataset
from pyg_prosampler.datasets.ogb import OneHotAtoms, load_ogb
from pyg_prosampler.datasets.planetoid import load_planetoid
from pyg_prosampler.datasets.tu import (
    OneHotCappedDegree,
    graph_labels,
    load_tu,
)

__all__ = ["load_tu", "load_ogb", "load_planetoid", "OneHotCappedDegree",
           "OneHotAtoms", "graph_labels", "DiffusionViewDataset"]
