r"""Torch's global random generators: their state, and seeded runs that
leave the caller's generators as they were."""
from __future__ import annotations

import numbers
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Mapping

import torch

__all__ = ["global_rng_state", "set_global_rng_state", "seeded_global_rng"]


def global_rng_state() -> Dict[str, Any]:
    r"""The global CPU generator's state, and the CUDA generators' where
    CUDA is in use."""
    state: Dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_global_rng_state(state: Mapping[str, Any]) -> None:
    r"""Restores :func:`global_rng_state`."""
    torch.set_rng_state(state["cpu"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


@contextmanager
def seeded_global_rng(seed: int,
                      device: str | torch.device = "cpu") -> Iterator[None]:
    r"""Within the block torch's global generators start from
    :obj:`seed` (the CPU one, and on a CUDA :obj:`device` every CUDA
    one, as :func:`torch.manual_seed` seeds them); after it they are back
    where the caller left them (other accelerators' generators are
    neither seeded nor saved).  What the block draws (weight
    initialisation, a loader's seed, dropout) is then a function of
    :obj:`seed` alone, and the caller's own random stream is untouched.

    .. code-block:: python

        with seeded_global_rng(0):
            model = GraphCL(dataset.num_features)   # same weights each time

    Args:
        seed (int): The seed.
        device (str or torch.device, optional): The device the block
            computes on. (default: :obj:`"cpu"`)
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"`seed` must be an int, got {seed!r}")
    cuda = torch.device(device).type == "cuda"
    devices = list(range(torch.cuda.device_count())) if cuda else []
    with torch.random.fork_rng(devices=devices):
        torch.random.default_generator.manual_seed(int(seed))
        if cuda:
            torch.cuda.manual_seed_all(int(seed))
        yield
