r"""The kNN batch sampler: a seed and its nearest neighbours."""
from __future__ import annotations

from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from pyg_prosampler._knn import knn_matmul
from pyg_prosampler.samplers.embedding_batch_sampler import (
    Coverage,
    EmbeddingBatchSampler,
)

__all__ = ["KNNBatchSampler"]


class KNNBatchSampler(EmbeddingBatchSampler):
    r"""Batches made of a seed instance and its :obj:`batch_size - 1`
    nearest neighbours (exact cosine kNN of the embedding table): the
    hardest, most false-negative-prone end of the range that ProSampler
    spans, used as a baseline in the paper.  Same passes, warm-up, refresh
    and interface as :class:`ProximityBatchSampler`.

    .. code-block:: python

        sampler = KNNBatchSampler(len(dataset), batch_size=128)
        loader = DataLoader(dataset, batch_sampler=sampler)

    Args:
        num_instances (int): Number of instances :obj:`N`.
        batch_size (int): Batch size :obj:`B`, at most :obj:`N`.
        refresh_every (int, optional): Batches between kNN rebuilds.
            (default: :obj:`100`)
        warmup_epochs (int, optional): Uniform epochs first. (default:
            :obj:`1`)
        embeddings (torch.Tensor, optional): Initial embeddings
            :obj:`[N, d]`. (default: :obj:`None`)
        drop_last (bool, optional): :obj:`floor(N / B)` batches a pass.
            (default: :obj:`False`)
        coverage (str, optional): :obj:`"cycle"` or :obj:`"epoch"`, see
            :class:`EmbeddingBatchSampler`. (default: :obj:`"cycle"`)
        seed (int, optional): Seed; :obj:`None` draws one from torch's
            global generator. (default: :obj:`None`)
    """

    def __init__(
        self,
        num_instances: int,
        batch_size: int,
        *,
        refresh_every: int = 100,
        warmup_epochs: int = 1,
        embeddings: Optional[Tensor] = None,
        drop_last: bool = False,
        coverage: Coverage = "cycle",
        seed: Optional[int] = None,
    ) -> None:
        self.neighbors: Optional[Tensor] = None
        super().__init__(num_instances, batch_size,
                         warmup_epochs=warmup_epochs,
                         refresh_every=refresh_every, embeddings=embeddings,
                         drop_last=drop_last, coverage=coverage, seed=seed)

    def build(self, embeddings: Tensor,
              changed: Optional[Tensor] = None) -> None:
        if self.batch_size == 1:
            self.neighbors = torch.empty(self.num_instances, 0,
                                         dtype=torch.long)
            return
        zn = F.normalize(embeddings.float(), dim=1)
        self.neighbors = knn_matmul(zn, self.batch_size - 1)[1]

    def draw(self, start: Tensor) -> Tensor:
        assert self.neighbors is not None, "build() must run before draw()"
        start = start.to(self.neighbors.device)
        return torch.cat([start.view(-1, 1), self.neighbors[start]], dim=1)

    def extra_state(self) -> Dict[str, Any]:
        return {"neighbors": self.neighbors}

    def check_extra_state(self, state: Dict[str, Any]) -> None:
        nbr = state.get("neighbors")
        n = self.num_instances
        if nbr is not None and not (
                isinstance(nbr, Tensor) and nbr.dtype == torch.long
                and tuple(nbr.shape) == (n, self.batch_size - 1)
                and (nbr.numel() == 0 or (int(nbr.min()) >= 0
                                          and int(nbr.max()) < n))):
            raise ValueError(
                f"cannot load this state_dict into KNNBatchSampler: its "
                f"neighbours are not a [{n}, {self.batch_size - 1}] index "
                f"matrix in [0, {n})")

    def load_extra_state(self, state: Dict[str, Any]) -> None:
        self.neighbors = state["neighbors"]
