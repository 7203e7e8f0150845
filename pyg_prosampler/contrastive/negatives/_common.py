r"""Checks the negative samplers share."""
from __future__ import annotations

from typing import Any, Dict

import torch
from torch import Tensor


def check_fraction(value: float, name: str,
                   closed_right: bool = True) -> None:
    ok = 0 <= value <= 1 if closed_right else 0 <= value < 1
    if not ok:
        bound = "]" if closed_right else ")"
        raise ValueError(f"`{name}` must lie in [0, 1{bound}, got {value}")


def check_pair(z1: Tensor, z2: Tensor, index: Tensor,
               num_instances: int) -> None:
    r"""Two views :obj:`[B, d]` of the instances :obj:`index` :obj:`[B]`."""
    if z1.dim() != 2 or z1.shape != z2.shape or z1.size(0) < 2:
        raise ValueError(f"z1 and z2 must both be [B, d] with B >= 2, got "
                         f"{tuple(z1.shape)} and {tuple(z2.shape)}")
    for name, z in (("z1", z1), ("z2", z2)):
        if not bool(torch.isfinite(z.detach()).all()):
            raise ValueError(
                f"`{name}` holds NaN or inf (a diverged model?); the batch "
                f"is refused before any per-instance state changes")
    if index.dim() != 1 or index.numel() != z1.size(0):
        raise ValueError(f"`index` must hold the {z1.size(0)} instance "
                         f"indices of the rows, got shape "
                         f"{tuple(index.shape)}")
    if index.numel() and (int(index.min()) < 0
                          or int(index.max()) >= num_instances):
        raise ValueError(f"`index` must lie in [0, {num_instances}), got "
                         f"[{int(index.min())}, {int(index.max())}]: was "
                         f"the object built for this data set?")


def check_state_size(state: Dict[str, Any], key: str, num_instances: int,
                     owner: str) -> None:
    r"""Raises a clear error when a saved per-instance state was made for a
    data set of another size."""
    saved = state.get(key)
    if saved is not None and saved.size(0) != num_instances:
        raise ValueError(
            f"this {owner} state_dict holds {saved.size(0)} instances but "
            f"the {owner} was built for {num_instances}: load it into one "
            f"built for the same data set")
