r"""Data sets: TU, OGB and Planetoid loaders with offline mirrors, node
feature transforms, and graphs that carry their PPR diffusion view.  Each
name is imported from its module when first read."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyg_prosampler._lazy import lazy_attributes

__all__ = ["load_tu", "load_ogb", "load_planetoid", "OneHotCappedDegree",
           "OneHotAtoms", "graph_labels", "DiffusionViewDataset"]

# Where every name of `__all__` comes from.
_EXPORTS = {
    "load_tu": "pyg_prosampler.datasets.tu",
    "OneHotCappedDegree": "pyg_prosampler.datasets.tu",
    "graph_labels": "pyg_prosampler.datasets.tu",
    "load_ogb": "pyg_prosampler.datasets.ogb",
    "OneHotAtoms": "pyg_prosampler.datasets.ogb",
    "load_planetoid": "pyg_prosampler.datasets.planetoid",
    "DiffusionViewDataset": "pyg_prosampler.datasets.diffusion_view",
}

__getattr__, __dir__ = lazy_attributes(
    __name__, _EXPORTS, ("tu", "ogb", "planetoid", "mirror",
                         "diffusion_view"))

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from pyg_prosampler.datasets.diffusion_view import DiffusionViewDataset
    from pyg_prosampler.datasets.ogb import OneHotAtoms, load_ogb
    from pyg_prosampler.datasets.planetoid import load_planetoid
    from pyg_prosampler.datasets.tu import (
        OneHotCappedDegree,
        graph_labels,
        load_tu,
    )
