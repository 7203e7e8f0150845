r"""How hard sampled batches are: in-batch similarity and same-class pairs."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from pyg_prosampler._validation import check_embeddings

__all__ = ["batch_hardness", "pair_mean"]


def pair_mean(values: Tensor, index: Tensor) -> Tensor:
    r"""Per batch, the mean of :obj:`values[a] . values[b]` over ordered pairs
    :obj:`a != b` of the batch :obj:`index` (:obj:`[nb, B]`, :obj:`B >= 2`).

    With L2-normalised embeddings it is the mean in-batch cosine similarity;
    with one-hot labels, the fraction of same-class pairs.  Computed as
    :math:`(\lVert\sum_a v_a\rVert^2 - \sum_a \lVert v_a\rVert^2) / (B(B-1))`,
    in :obj:`O(nb B d)`.
    """
    v = values[index]  # [nb, B, d]
    b = index.size(1)
    total = v.sum(dim=1).pow(2).sum(dim=1)
    self_terms = v.pow(2).sum(dim=(1, 2))
    return (total - self_terms) / (b * (b - 1))


def batch_hardness(
    batches: Sequence[Sequence[int]] | Tensor,
    embeddings: Tensor,
    labels: Optional[Tensor] = None,
) -> Dict[str, float]:
    r"""Mean in-batch cosine similarity of :obj:`batches` and, given labels,
    the fraction of same-class pairs in a batch (a proxy of the false
    negatives).  Labels are for diagnostics only, never for training.

    Args:
        batches: Lists of instance indices, or an :obj:`[nb, B]` tensor;
            batches of fewer than 2 instances are skipped.
        embeddings (torch.Tensor): :obj:`[N, d]`.
        labels (torch.Tensor, optional): :obj:`[N]` class indices.

    Returns:
        :obj:`{"mean_cosine": ..., "same_class": ...}` (the latter only with
        labels), averaged over all ordered in-batch pairs.
    """
    check_embeddings(embeddings)
    num = embeddings.size(0)
    zn = F.normalize(embeddings.float(), dim=1)
    onehot = None
    if labels is not None:
        if not isinstance(labels, Tensor) or labels.numel() != num or \
                torch.is_floating_point(labels) or int(labels.min()) < 0:
            raise ValueError(
                f"`labels` must be {num} non-negative class indices, one per "
                f"embedding row, got {getattr(labels, 'shape', labels)}")
        onehot = F.one_hot(labels.long().view(-1)).float().to(zn.device)
    groups = _batches_by_size(batches, num)
    cosine = same = 0.0
    pairs = 0
    for index in groups:
        size = index.size(1)
        if size < 2:
            continue
        index = index.to(zn.device)
        weight = size * (size - 1)
        cosine += float(pair_mean(zn, index).sum()) * weight
        if onehot is not None:
            same += float(pair_mean(onehot, index).sum()) * weight
        pairs += weight * index.size(0)
    out = {"mean_cosine": cosine / max(pairs, 1)}
    if onehot is not None:
        out["same_class"] = same / max(pairs, 1)
    return out


def _batches_by_size(batches: Sequence[Sequence[int]] | Tensor,
                     num: int) -> List[Tensor]:
    r"""The batches as :obj:`[nb, B]` index tensors, one per batch size
    (batches of equal size are stacked and done at once), checked to hold
    indices in :obj:`[0, num)`."""
    if isinstance(batches, Tensor):
        groups = [batches]
    else:
        by_size: Dict[int, List[Tensor]] = {}
        for b in batches:
            by_size.setdefault(len(b), []).append(torch.as_tensor(b))
        groups = [torch.stack(rows) for rows in by_size.values()]
    for index in groups:
        if index.numel() and (index.is_floating_point() or int(index.min()) < 0
                              or int(index.max()) >= num):
            raise ValueError(f"`batches` must hold instance indices in "
                             f"[0, {num}), one row of `embeddings` each")
    return groups
