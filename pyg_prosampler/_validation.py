"""Checks shared by the public functions and classes.

Every check raises :class:`ValueError` with a message that names the argument,
what was received and what to pass instead.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import torch
from torch import Tensor


def is_int(value: Any) -> bool:
    r"""Whether :obj:`value` is an integer (Python, numpy or 0-d integer
    tensor), not a bool."""
    if isinstance(value, bool) or getattr(value, "dtype", None) == torch.bool:
        return False
    if isinstance(value, Tensor):
        return value.dim() == 0 and not torch.is_floating_point(value) \
            and not torch.is_complex(value)
    return isinstance(value, numbers.Integral)


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
    if not is_int(value) or int(value) <= 0:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")


def check_non_negative_int(value: int, name: str) -> None:
    if not is_int(value) or int(value) < 0:
        raise ValueError(
            f"`{name}` must be a non-negative integer, got {value!r}")


def check_num_instances(value: int) -> None:
    if is_int(value) and int(value) == 0:
        raise ValueError(
            "the data set is empty (`num_instances` is 0); a sampler needs "
            "at least one instance")
    check_positive_int(value, "num_instances")


def check_bool(value: bool, name: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False, got {value!r}")


def check_choice(value: str, name: str, choices: Sequence[str]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {tuple(choices)}, got {value!r}")


def check_seed(value: int) -> int:
    r"""A non-negative integer seed, as a Python int."""
    check_non_negative_int(value, "seed")
    return int(value)


def draw_seed() -> int:
    r"""A seed drawn from torch's global generator, as
    :class:`torch.utils.data.RandomSampler` draws its own."""
    return int(torch.empty((), dtype=torch.int64).random_().item())


def check_restart_prob(value: float, name: str = "restart_prob") -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a float in [0, 1), got {value!r}")
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(
            f"`{name}` must lie in [0, 1), got {value}; 0 never restarts "
            f"(a plain random walk), values near 1 stay next to the start")


def check_batch_size(batch_size: int, num_instances: int) -> None:
    check_positive_int(batch_size, "batch_size")
    if int(num_instances) < int(batch_size):
        raise ValueError(
            f"`batch_size` ({batch_size}) is larger than the number of "
            f"instances ({num_instances}); use a batch size of at most "
            f"{num_instances}")


def check_num_neighbors(num_neighbors: int, num_instances: int) -> None:
    if int(num_instances) < 2:
        raise ValueError(
            f"a proximity graph needs at least 2 instances, got "
            f"{num_instances}; use a uniform sampler for smaller sets")
    check_positive_int(num_neighbors, "num_neighbors")
    if int(num_neighbors) >= int(num_instances):
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


def check_edge_index(edge_index: Tensor, num_nodes: int,
                     name: str = "graph.edge_index") -> Tensor:
    r"""A :obj:`[2, E]` integer edge index with values in
    :obj:`[0, num_nodes)`, returned as :obj:`torch.long` (what the walk
    kernels read: anything else would read out of bounds)."""
    if not isinstance(edge_index, Tensor) or edge_index.dtype not in (
            torch.int64, torch.int32, torch.int16, torch.uint8, torch.int8):
        raise ValueError(
            f"`{name}` must be an integer tensor of shape [2, num_edges], "
            f"got {getattr(edge_index, 'dtype', type(edge_index).__name__)}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"`{name}` must have shape [2, num_edges], got "
                         f"{tuple(edge_index.shape)}")
    if edge_index.numel() > 0 and (int(edge_index.min()) < 0 or
                                   int(edge_index.max()) >= num_nodes):
        raise ValueError(
            f"`{name}` holds node indices outside [0, {num_nodes}) "
            f"(min {int(edge_index.min())}, max {int(edge_index.max())}); "
            f"set `num_nodes` to cover every node, or drop those edges")
    return edge_index.long()


def check_temperature(temperature: float) -> float:
    r"""A finite positive temperature (a one-element tensor is read as its
    value), returned as a Python number."""
    if isinstance(temperature, Tensor) and temperature.numel() == 1:
        temperature = temperature.item()
    if isinstance(temperature, bool) or not isinstance(
            temperature, numbers.Real) or not 0 < temperature < math.inf:
        raise ValueError(f"`temperature` must be a finite number > 0, got "
                         f"{temperature!r}")
    return temperature
