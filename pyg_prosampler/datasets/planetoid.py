r"""Planetoid citation graphs (Cora, CiteSeer, PubMed), from an offline
mirror or online."""
from __future__ import annotations

import os
import os.path as osp
import shutil
import tempfile
from typing import Optional

import torch_geometric.transforms as T
from torch_geometric.datasets import Planetoid

from pyg_prosampler._locking import file_lock
from pyg_prosampler.datasets.mirror import check_sha256, open_processed

__all__ = ["load_planetoid", "PLANETOID_MIRROR_ENV"]

PLANETOID_MIRROR_ENV = "PYG_PROSAMPLER_PLANETOID_MIRROR"
_NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


def load_planetoid(
    name: str,
    root: str = "data/Planetoid",
    mirror: Optional[str] = None,
    normalize_features: bool = True,
) -> Planetoid:
    r"""Loads a Planetoid citation graph as a
    :class:`~torch_geometric.datasets.Planetoid` data set (one graph, with
    the public split masks).

    With a mirror folder laid out as PyG's download,
    :obj:`MIRROR/NAME/raw/ind.name.{x,tx,allx,y,ty,ally,graph,test.index}`
    (argument :obj:`mirror`, else the environment variable
    :obj:`PYG_PROSAMPLER_PLANETOID_MIRROR`), the eight raw files are checked
    against the mirror's :obj:`SHA256SUMS` (when it has one) and copied to
    :obj:`root/NAME/raw`, where :class:`Planetoid` finds them and never
    downloads.  Without a mirror, :class:`Planetoid` downloads as usual.

    .. code-block:: python

        dataset = load_planetoid("Cora", mirror="../shared/data/Planetoid")
        data = dataset[0]

    Args:
        name (str): :obj:`"Cora"`, :obj:`"CiteSeer"` or :obj:`"PubMed"`
            (any case).
        root (str, optional): Where data sets are copied and processed.
            (default: :obj:`"data/Planetoid"`)
        mirror (str, optional): The mirror folder. (default: :obj:`None`)
        normalize_features (bool, optional): Row-normalise the bag-of-words
            features (:class:`~torch_geometric.transforms.NormalizeFeatures`,
            as GRACE and most node-level methods do). (default: :obj:`True`)
    """
    if not isinstance(name, str) or name.lower() not in _NAMES:
        raise ValueError(f"`name` must be one of {sorted(_NAMES.values())}, "
                         f"got {name!r}")
    name = _NAMES[name.lower()]
    mirror = mirror or os.environ.get(PLANETOID_MIRROR_ENV) or None
    transform = T.NormalizeFeatures() if normalize_features else None
    with file_lock(osp.join(root, f"{name}.lock")):
        if mirror is not None:
            copy_from_mirror(name, root, mirror)
        return open_processed(lambda: Planetoid(root, name,
                                                transform=transform),
                              osp.join(root, name, "processed"))


def copy_from_mirror(name: str, root: str, mirror: str) -> str:
    r"""Copies the raw files of :obj:`name` from :obj:`mirror` to
    :obj:`root/NAME/raw` (unless they are all there already), after checking
    each against the mirror's :obj:`SHA256SUMS`, and returns that folder.
    The copy goes through a temporary folder, so an interrupted one leaves
    nothing half-written."""
    raw_dir = osp.join(root, name, "raw")
    files = [f"ind.{name.lower()}.{part}" for part in _PARTS]
    if all(osp.isfile(osp.join(raw_dir, f)) for f in files):
        return raw_dir
    source = osp.join(mirror, name, "raw")
    missing = [f for f in files if not osp.isfile(osp.join(source, f))]
    if missing:
        raise FileNotFoundError(
            f"Planetoid mirror {mirror!r} lacks {missing} under "
            f"{name}/raw/; expected PyG's layout MIRROR/{name}/raw/ind."
            f"{name.lower()}.*. Check the `mirror` / "
            f"${PLANETOID_MIRROR_ENV} folder")
    for f in files:
        check_sha256(osp.join(source, f), osp.join(mirror, "SHA256SUMS"),
                     "Planetoid mirror", name=f"{name}/raw/{f}")
    os.makedirs(osp.join(root, name), exist_ok=True)
    tmp = tempfile.mkdtemp(dir=osp.join(root, name))
    try:
        for f in files:
            shutil.copyfile(osp.join(source, f), osp.join(tmp, f))
        if osp.exists(raw_dir):
            shutil.rmtree(raw_dir)
        os.replace(tmp, raw_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return raw_dir

