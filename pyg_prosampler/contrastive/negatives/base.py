r"""The interface every negative sampler shares."""
from __future__ import annotations

from typing import Callable, Optional

from torch import Tensor, nn

__all__ = ["Encode", "Negatives"]

Encode = Callable[[Tensor], Tensor]
r"""Maps instance indices :obj:`[m]` to positive-view embeddings
:obj:`[m, d]` of those instances (for negatives outside the batch)."""


class Negatives(nn.Module):
    r"""A contrastive loss between two views of a batch that chooses its
    own negatives, called as
    :obj:`loss = negatives(z1, z2, index, encode=None)`.

    Row :obj:`i` of :obj:`z1` and :obj:`z2` (:obj:`[B, d]`) are two views
    of instance :obj:`index[i]`; anchors are the rows of :obj:`z1`, the
    positive of anchor :obj:`i` is :obj:`z2[i]`.  Which other embeddings
    serve as negatives is the subclass's choice: the rest of the batch
    (:class:`InBatchNegatives`), a similarity band of the sampler's bank
    (:class:`RingNegatives`), every instance through a moving average
    (:class:`SogCLRLoss`), or Markov chains over instances
    (:class:`EMC2Loss`), which call :obj:`encode(indices)` for instances
    outside the batch.  Per-instance state lives in buffers, so
    :meth:`state_dict` checkpoints it.

    Subclasses implement :meth:`forward`; names map to them in
    :mod:`pyg_prosampler.contrastive.registry`.
    """

    def forward(self, z1: Tensor, z2: Tensor, index: Tensor,
                encode: Optional[Encode] = None) -> Tensor:
        r"""The mean loss of the batch.

        Args:
            z1 (torch.Tensor): Anchors :obj:`[B, d]`.
            z2 (torch.Tensor): Their positives :obj:`[B, d]`.
            index (torch.Tensor): Instance index of every row :obj:`[B]`.
            encode (callable, optional): Positive-view embeddings of other
                instances, for negatives outside the batch.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  f"forward(z1, z2, index, encode=None)")
