"""Checks shared by the public functions and classes.

Every check raises :class:`ValueError` with a message that names the argument,
what was received and what to pass instead.
"""
from __future__ import annotations

import torch
from torch import Tensor


def check_embeddings(z: Tensor, name: str = "embeddings") -> None:
    if not isinstance(z, Tensor):
        raise ValueError(
            f"`{name}` must be a torch.Tensor of shape [num_instances, dim], "
            f"got {type(z).__name__}")
    if z.dim() != 2:
        raise ValueError(
            f"`{name}` must be 2-dimensional [num_instances, dim], got shape "
            f"{tuple(z.shape)}; flatten or stack your vectors first")
    if not torch.is_floating_point(z):
        raise ValueError(
            f"`{name}` must hold floating point values, got {z.dtype}; "
            f"convert with `.float()`")
    if z.size(0) == 0 or z.size(1) == 0:
        raise ValueError(f"`{name}` is empty (shape {tuple(z.shape)})")
    if not bool(torch.isfinite(z).all()):
        bad = int((~torch.isfinite(z)).any(dim=1).sum())
        raise ValueError(
            f"`{name}` contains NaN or inf in {bad} row(s); check the model "
            f"output (e.g. a diverged loss) before feeding it to the sampler")


def check_positive_int(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")


def check_non_negative_int(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"`{name}` must be a non-negative integer, got {value!r}")


def check_restart_prob(value: float, name: str = "restart_prob") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"`{name}` must be a float in [0, 1), got {value!r}")
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(
            f"`{name}` must lie in [0, 1), got {value}; 0 never restarts "
            f"(a plain random walk), values near 1 stay next to the start")


def check_batch_size(batch_size: int, num_instances: int) -> None:
    check_positive_int(batch_size, "batch_size")
    if num_instances < batch_size:
        raise ValueError(
            f"`batch_size` ({batch_size}) is larger than the number of "
            f"instances ({num_instances}); use a batch size of at most "
            f"{num_instances}")


def check_num_neighbors(num_neighbors: int, num_instances: int) -> None:
    check_positive_int(num_neighbors, "num_neighbors")
    if num_neighbors >= num_instances:
        raise ValueError(
            f"`num_neighbors` ({num_neighbors}) must be smaller than the "
            f"number of instances ({num_instances}) since self loops are "
            f"excluded; use at most {num_instances - 1}")


def check_index(index: Tensor, num_instances: int,
                name: str = "index") -> None:
    if not isinstance(index, Tensor) or index.dtype not in (
            torch.int64, torch.int32):
        raise ValueError(
            f"`{name}` must be an integer tensor (torch.long), got "
            f"{getattr(index, 'dtype', type(index).__name__)}")
    if index.dim() != 1:
        raise ValueError(
            f"`{name}` must be 1-dimensional, got shape {tuple(index.shape)}")
    if index.numel() > 0 and (int(index.min()) < 0
                              or int(index.max()) >= num_instances):
        raise ValueError(
            f"`{name}` holds values outside [0, {num_instances}); pass the "
            f"dataset indices of the instances (e.g. `batch.idx`)")
