r"""Collectives for training under :obj:`torch.distributed` with uneven
shards: gathering rows in rank order, with or without gradients."""
from __future__ import annotations

from typing import Any, List, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = ["all_gather_rows", "all_gather_with_grad"]


def _world_size_and_rank() -> Tuple[int, int]:
    r"""World size and rank of the default process group, :obj:`(1, 0)`
    without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def _gather_rows(tensor: Tensor) -> Tuple[Tensor, List[int]]:
    num, _ = _world_size_and_rank()
    rows = torch.tensor([tensor.size(0)], device=tensor.device)
    sizes = [torch.zeros_like(rows) for _ in range(num)]
    dist.all_gather(sizes, rows)
    counts = [int(s.item()) for s in sizes]
    padded = tensor.new_zeros((max(counts), *tensor.shape[1:]))
    padded[: tensor.size(0)] = tensor
    parts = [torch.empty_like(padded) for _ in range(num)]
    dist.all_gather(parts, padded.contiguous())
    return torch.cat([p[:c] for p, c in zip(parts, counts)]), counts


def all_gather_rows(tensor: Tensor) -> Tensor:
    r"""Every rank's :obj:`tensor` (any number of rows, same trailing
    shape) concatenated in rank order; the identity without a process
    group.  No gradient."""
    if _world_size_and_rank()[0] == 1:
        return tensor
    return _gather_rows(tensor.detach())[0]


class _GatherWithGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, tensor: Tensor) -> Tensor:
        out, counts = _gather_rows(tensor)
        ctx.counts = counts
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)  # every rank's loss uses every row
        rank = _world_size_and_rank()[1]
        start = sum(ctx.counts[:rank])
        return grad[start: start + ctx.counts[rank]]


def all_gather_with_grad(tensor: Tensor) -> Tensor:
    r"""As :func:`all_gather_rows`, but gradients flow back to every rank's
    rows: with the same loss computed on the gathered rows on every rank
    and DDP averaging parameter gradients, the update is that of the loss
    of the global batch (the gathered rows' gradients are summed over
    ranks)."""
    if _world_size_and_rank()[0] == 1:
        return tensor
    return _GatherWithGrad.apply(tensor)
