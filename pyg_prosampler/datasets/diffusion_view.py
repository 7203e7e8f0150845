r"""A data set whose graphs also carry their PPR diffusion view, computed
once per graph and cached on disk."""
from __future__ import annotations

import os
import os.path as osp
from typing import Optional

import torch
from torch.utils.data import Dataset
from torch_geometric.data import Data
from tqdm.auto import tqdm

from pyg_prosampler._locking import file_lock
from pyg_prosampler.contrastive.diffusion import ppr_diffusion

__all__ = ["DiffusionViewDataset"]


class DiffusionViewDataset(Dataset):
    r"""Wraps a PyG graph data set: item :obj:`i` is :obj:`dataset[i]` with
    :obj:`diff_edge_index` and :obj:`diff_edge_weight`, its
    :func:`~pyg_prosampler.contrastive.diffusion.ppr_diffusion` view (batched
    by PyG
    like :obj:`edge_index`).  The views are computed once, with a progress
    bar, and saved to :obj:`cache` (e.g. next to the processed data set);
    later runs load them; runs started side by side compute them once
    (the others wait on a lock file beside the cache).

    .. code-block:: python

        ds = load_tu("MUTAG", root="data/TU", mirror=...)
        ds = DiffusionViewDataset(ds, "data/TU/MUTAG/processed/ppr.pt")

    Args:
        dataset: PyG data set of graphs.
        cache (str): File of the cached views; its name should encode
            :obj:`alpha` and :obj:`topk` (the file records them and a
            mismatch recomputes).
        alpha (float, optional): PPR teleport probability. (default: 0.2)
        topk (int, optional): Entries kept per row. (default: 32)
    """

    def __init__(self, dataset, cache: str, alpha: float = 0.2,
                 topk: int = 32) -> None:
        self.dataset = dataset
        self.alpha, self.topk = alpha, topk
        saved = self._load(cache)
        if saved is None:
            # Runs side by side share a cache: one computes, the others
            # wait for its file instead of computing the same views.
            with file_lock(f"{cache}.lock"):
                saved = self._load(cache)
                if saved is None:
                    saved = self._compute()  # file_lock made the folder
                    tmp = f"{cache}.{os.getpid()}.tmp"
                    torch.save(saved, tmp)
                    os.replace(tmp, cache)
        self.edge_index = saved["edge_index"]
        self.edge_weight = saved["edge_weight"]
        self.ptr = saved["ptr"]

    def _load(self, cache: str) -> Optional[dict]:
        r"""The cached views, or :obj:`None` if there are none for this
        data set, :obj:`alpha` and :obj:`topk`."""
        if not osp.exists(cache):
            return None
        saved = torch.load(cache, weights_only=True)
        if (saved["alpha"], saved["topk"], saved["num_graphs"]) != (
                self.alpha, self.topk, len(self.dataset)):
            return None
        return saved

    def _compute(self) -> dict:
        indices, weights, counts = [], [], [0]
        for i in tqdm(range(len(self.dataset)), desc="PPR views",
                      dynamic_ncols=True):
            g = self.dataset[i]
            ei, w = ppr_diffusion(g.edge_index, g.num_nodes, self.alpha,
                                  self.topk)
            indices.append(ei)
            weights.append(w)
            counts.append(w.numel())
        return {"alpha": self.alpha, "topk": self.topk,
                "num_graphs": len(self.dataset),
                "edge_index": torch.cat(indices, dim=1),
                "edge_weight": torch.cat(weights),
                "ptr": torch.tensor(counts).cumsum(0)}

    @property
    def num_features(self) -> int:
        return self.dataset.num_features

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> Data:
        data = self.dataset[int(i)]
        lo, hi = int(self.ptr[i]), int(self.ptr[i + 1])
        data.diff_edge_index = self.edge_index[:, lo:hi]
        data.diff_edge_weight = self.edge_weight[lo:hi]
        return data
