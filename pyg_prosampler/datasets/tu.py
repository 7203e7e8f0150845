r"""TU graph-classification data sets, from an offline mirror or online."""
from __future__ import annotations

import os
import os.path as osp
from typing import Literal, Optional

import torch
import torch.nn.functional as F
import torch_geometric.transforms as T
from torch_geometric.data import Data
from torch_geometric.datasets import TUDataset
from torch_geometric.utils import degree

from pyg_prosampler._locking import file_lock
from pyg_prosampler.datasets.mirror import (
    extract_folder,
    mirror_archives,
    open_processed,
)

__all__ = ["load_tu", "OneHotCappedDegree", "graph_labels", "Features",
           "FEATURES", "TU_MIRROR_ENV"]

Features = Literal["auto", "constant", "degree", "none"]
FEATURES = ("auto", "constant", "degree", "none")
TU_MIRROR_ENV = "PYG_PROSAMPLER_TU_MIRROR"


def load_tu(
    name: str,
    root: str = "data/TU",
    mirror: Optional[str] = None,
    features: Features = "auto",
    max_degree: Optional[int] = None,
) -> TUDataset:
    r"""Loads a TU data set as a :class:`~torch_geometric.datasets.TUDataset`.

    With a mirror folder holding :obj:`NAME.zip` archives laid out as the
    official download (argument :obj:`mirror`, else the environment variable
    :obj:`PYG_PROSAMPLER_TU_MIRROR`), the archive is checked (zip integrity,
    and its SHA-256 when the mirror has a :obj:`SHA256SUMS` file) and
    extracted to :obj:`root/NAME/raw`, where :class:`TUDataset` finds it and
    never downloads.  Without a mirror, :class:`TUDataset` downloads as
    usual.  Extraction and processing hold the lock file
    :obj:`root/NAME.lock`, so runs started side by side on a fresh
    :obj:`root` do them once, one after the other.

    Node features, applied as a transform:

    * :obj:`"auto"`: the data set's own node labels/attributes, else
      :obj:`"constant"` (GraphCL's choice for IMDB, REDDIT, COLLAB);
    * :obj:`"constant"`: a single feature 1 per node;
    * :obj:`"degree"`: one-hot node degree, capped at :obj:`max_degree`
      (default: the data set's largest degree), MVGRL's choice;
    * :obj:`"none"`: as stored.

    .. code-block:: python

        dataset = load_tu("MUTAG", root="data/TU", mirror="../shared/data/TU")

    Args:
        name (str): Data set name, e.g. :obj:`"MUTAG"`.
        root (str, optional): Where data sets are extracted and processed.
            (default: :obj:`"data/TU"`)
        mirror (str, optional): Folder of :obj:`NAME.zip` archives.
            (default: :obj:`None`)
        features (str, optional): Node feature policy. (default:
            :obj:`"auto"`)
        max_degree (int, optional): Cap of the :obj:`"degree"` one-hot.
            (default: :obj:`None`)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a TU data set name such as "
                         f"'MUTAG', got {name!r}")
    if features not in FEATURES:
        raise ValueError(f"`features` must be one of {FEATURES}, got "
                         f"{features!r}")
    mirror = mirror or os.environ.get(TU_MIRROR_ENV) or None
    # Runs started side by side on a fresh root would otherwise extract
    # over each other (a reader finding no raw files then downloads).
    with file_lock(osp.join(root, f"{name}.lock")):
        if mirror is not None:
            _extract_from_mirror(name, root, mirror)
        dataset = open_processed(lambda: TUDataset(root, name),
                                 osp.join(root, name, "processed"))
    dataset.transform = _feature_transform(dataset, features, max_degree)
    return dataset


def _feature_transform(dataset: TUDataset, features: Features,
                       max_degree: Optional[int]) -> Optional[T.BaseTransform]:
    r"""The transform that gives :obj:`dataset` the node features of the
    :obj:`features` policy (:obj:`None`: as stored)."""
    has_x = dataset.num_node_features > 0
    if features == "constant" or (features == "auto" and not has_x):
        return T.Constant(value=1.0, cat=False)
    if features == "degree":
        largest = _max_graph_degree(dataset)
        cap = largest if max_degree is None else min(max_degree, largest)
        return OneHotCappedDegree(cap)
    return None


def _extract_from_mirror(name: str, root: str, mirror: str) -> str:
    r"""Extracts :obj:`mirror/NAME.zip` into :obj:`root/NAME/raw` (unless the
    raw files are already there) and returns that folder."""
    raw_dir = osp.join(root, name, "raw")
    needed = [osp.join(raw_dir, f"{name}_{part}.txt")
              for part in ("A", "graph_indicator")]
    if all(osp.exists(path) for path in needed):
        return raw_dir
    archive = osp.join(mirror, f"{name}.zip")
    if not osp.isfile(archive):
        raise FileNotFoundError(
            f"TU mirror has no archive {archive!r}; the mirror holds "
            f"{mirror_archives(mirror) or 'nothing'}. Check the name (case "
            f"matters) or the `mirror` / ${TU_MIRROR_ENV} folder")
    extract_folder(archive, name, raw_dir, "TU")
    return raw_dir


def _max_graph_degree(dataset: TUDataset) -> int:
    r"""The largest node degree over all graphs of a data set (one pass at
    load time)."""
    largest = 0
    for i in range(len(dataset)):
        data = dataset.get(i)
        if data.edge_index.numel() > 0:
            deg = degree(data.edge_index[0], data.num_nodes)
            largest = max(largest, int(deg.max()))
    return largest


class OneHotCappedDegree(T.BaseTransform):
    r"""Replaces node features by the one-hot node degree, degrees above
    :obj:`cap` sharing the last slot (:obj:`cap + 1` features).

    Args:
        cap (int): Largest degree with a slot of its own.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap

    def forward(self, data: Data) -> Data:
        deg = degree(data.edge_index[0], data.num_nodes, dtype=torch.long)
        data.x = F.one_hot(deg.clamp(max=self.cap), self.cap + 1).float()
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.cap})"


def graph_labels(dataset) -> torch.Tensor:
    r"""The graph labels of a data set as one :obj:`[N]` tensor, in data
    set order (fast path for an unsliced in-memory data set)."""
    data = getattr(dataset, "_data", None)
    if data is not None and getattr(dataset, "_indices", None) is None \
            and data.y is not None and data.y.numel() == len(dataset):
        return data.y.view(-1)
    return torch.cat([dataset[i].y.view(-1) for i in range(len(dataset))])
