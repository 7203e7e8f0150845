r"""OGB graph-property data sets (:obj:`ogbg-mol*`), from an offline mirror
or online."""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Literal, Optional

import torch
import torch.nn.functional as F
import torch_geometric.transforms as T
from torch_geometric.data import Data

from pyg_prosampler._locking import file_lock
from pyg_prosampler.datasets.mirror import (
    extract_folder,
    mirror_archives,
    open_processed,
)

__all__ = ["load_ogb", "OneHotAtoms", "OGBFeatures", "OGB_MIRROR_ENV"]

OGB_MIRROR_ENV = "PYG_PROSAMPLER_OGB_MIRROR"
OGBFeatures = Literal["onehot", "none"]


def load_ogb(name: str, root: str = "data/OGB",
             mirror: Optional[str] = None,
             features: OGBFeatures = "onehot"):
    r"""Loads an OGB graph-property data set through :obj:`ogb`'s
    :class:`PygGraphPropPredDataset` (its scaffold split from
    :meth:`get_idx_split`, its metric from :class:`ogb.graphproppred.
    Evaluator`).

    With a mirror folder holding :obj:`ogbg_NAME.zip` archives laid out as
    the official download (argument :obj:`mirror`, else the environment
    variable :obj:`PYG_PROSAMPLER_OGB_MIRROR`), the archive is checked and
    extracted to :obj:`root/ogbg_NAME`, where :obj:`ogb` finds its raw files
    and never downloads; without one :obj:`ogb` downloads as usual.

    The processed file is read with :obj:`torch.load(weights_only=True)`
    (the default since torch 2.6, which :obj:`ogb` 1.3.6 does not handle):
    only PyG's data classes are allow-listed, nothing runs arbitrary code.

    :obj:`features="onehot"` turns the 9 categorical atom features into
    their concatenated one-hot (:obj:`[n, 174]` floats), the input of
    :class:`GINEncoder` and of the attribute-masking augmentation;
    :obj:`"none"` keeps the integer codes (for :obj:`ogb`'s
    :class:`AtomEncoder`).

    .. code-block:: python

        dataset = load_ogb("ogbg-molbace", mirror="../shared/data/OGB")
        split = dataset.get_idx_split()

    Args:
        name (str): e.g. :obj:`"ogbg-molhiv"`.
        root (str, optional): Where data sets are extracted and processed.
            (default: :obj:`"data/OGB"`)
        mirror (str, optional): Folder of :obj:`ogbg_NAME.zip` archives.
        features (str, optional): :obj:`"onehot"` or :obj:`"none"`.
            (default: :obj:`"onehot"`)
    """
    from ogb.graphproppred import PygGraphPropPredDataset

    if not name.startswith("ogbg-"):
        raise ValueError(f"`name` must be an OGB graph-property set such as "
                         f"'ogbg-molhiv', got {name!r}")
    if features not in ("onehot", "none"):
        raise ValueError(f"`features` must be 'onehot' or 'none', got "
                         f"{features!r}")
    folder = name.replace("-", "_")
    mirror = mirror or os.environ.get(OGB_MIRROR_ENV) or None
    with file_lock(osp.join(root, f"{folder}.lock")):  # as load_tu
        if mirror is not None:
            _extract_from_mirror(folder, osp.join(root, folder), mirror)
        with torch.serialization.safe_globals(_unregistered_data_classes()):
            dataset = open_processed(
                lambda: PygGraphPropPredDataset(name, root),
                osp.join(root, "_".join(name.split("-")), "processed"))
    if features == "onehot":
        dataset.transform = OneHotAtoms()
    return dataset


def _extract_from_mirror(folder: str, dest: str, mirror: str) -> None:
    r"""Extracts :obj:`mirror/FOLDER.zip` to :obj:`dest` unless its raw
    files are already there."""
    if osp.isdir(osp.join(dest, "raw")):
        return
    archive = osp.join(mirror, f"{folder}.zip")
    if not osp.isfile(archive):
        raise FileNotFoundError(
            f"OGB mirror has no archive {archive!r}; it holds "
            f"{mirror_archives(mirror) or 'nothing'}. Check the name or "
            f"the `mirror` / ${OGB_MIRROR_ENV} folder")
    extract_folder(archive, folder, dest, "OGB")


def _unregistered_data_classes() -> List[type]:
    r"""PyG's data classes that :func:`torch.load` does not allow yet.
    Leaving :obj:`safe_globals` removes its classes again, so pass only
    those not registered yet: PyG registers :class:`Data` itself at import,
    and removing it made every later TUDataset load warn and fall back to
    unsafe pickle."""
    from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage

    registered = torch.serialization.get_safe_globals()
    return [cls for cls in (Data, DataEdgeAttr, DataTensorAttr,
                            GlobalStorage) if cls not in registered]


class OneHotAtoms(T.BaseTransform):
    r"""Replaces OGB's integer atom features :obj:`[n, 9]` by the
    concatenation of their one-hots (:obj:`ogb.utils.features.
    get_atom_feature_dims`, 174 columns), as floats."""

    def __init__(self) -> None:
        from ogb.utils.features import get_atom_feature_dims

        self.dims = list(get_atom_feature_dims())

    def forward(self, data: Data) -> Data:
        x = data.x.long()
        data.x = torch.cat([F.one_hot(x[:, i], d) for i, d in
                            enumerate(self.dims)], dim=1).float()
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({sum(self.dims)})"
