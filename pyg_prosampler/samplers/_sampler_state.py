r"""The base state of an embedding batch sampler, as its
:meth:`state_dict` saves it: saved, checked before anything changes, and
restored (mid-pass and mid-cycle included)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

import torch
from torch import Tensor

from pyg_prosampler._validation import is_int

if TYPE_CHECKING:
    from pyg_prosampler.samplers.embedding_batch_sampler import (
        EmbeddingBatchSampler,
    )

# Keys every saved state holds; "seed", "coverage_mode", "changed",
# "num_updates" and "static" were added later and may be missing.
REQUIRED_KEYS = frozenset({
    "num_instances", "batch_size", "epoch", "embeddings", "seen",
    "generator", "in_epoch", "coverage", "covered", "queue", "num_yielded",
    "since_build", "built", "new_fraction", "last_len", "stats", "totals",
    "extra"})


def save_state(sampler: EmbeddingBatchSampler) -> Dict[str, Any]:
    r"""Everything :func:`load_state` needs to resume :obj:`sampler`, the
    subclass's :meth:`extra_state` included; tensors are copies."""
    return {
        "type": type(sampler).__name__,
        "coverage_mode": sampler.coverage,
        "seed": sampler.seed,
        "num_instances": sampler.num_instances,
        "batch_size": sampler.batch_size,
        "epoch": sampler.epoch,
        "embeddings": (None if sampler.embeddings is None
                       else sampler.embeddings.clone()),  # a snapshot
        "seen": sampler.seen.clone(),
        "generator": sampler.generator.get_state(),
        "in_epoch": sampler._in_epoch,
        "coverage": sampler._coverage_pass,
        "covered": sampler._covered.clone(),
        "queue": [q.clone() for q in sampler._queue],
        "num_yielded": sampler._num_yielded,
        "since_build": sampler._since_build,
        "built": sampler._built,
        "new_fraction": sampler._new_fraction,
        "last_len": sampler._last_len,
        "changed": sampler._changed.clone(),
        "num_updates": sampler._num_updates,
        "static": sampler._static,
        "stats": dict(sampler.stats),
        "totals": dict(sampler.totals),
        "extra": sampler.extra_state(),
    }


def load_state(sampler: EmbeddingBatchSampler, state: Dict[str, Any]) -> None:
    r"""Restores the base state :func:`save_state` saved (checked first with
    :func:`check_state`); the subclass restores :obj:`state["extra"]`."""
    sampler.seed = int(state.get("seed", sampler.seed))
    sampler.epoch = state["epoch"]
    z = state["embeddings"]
    sampler.embeddings = None if z is None else sampler.prepare(
        z.float().clone())  # update() writes into it in place
    sampler.seen = state["seen"].clone()
    sampler.generator.set_state(state["generator"])
    sampler._in_epoch = state["in_epoch"]
    sampler._coverage_pass = state["coverage"]
    sampler._covered = state["covered"].clone().cpu()
    sampler._num_covered = int(sampler._covered.sum())
    sampler._queue = [q.clone() for q in state["queue"]]
    sampler._num_yielded = state["num_yielded"]
    sampler._since_build = state["since_build"]
    sampler._built = state["built"]
    sampler._new_fraction = state["new_fraction"]
    sampler._last_len = state["last_len"]
    sampler._changed = state.get("changed", sampler.seen.clone()).clone()
    sampler._num_updates = state.get("num_updates", 1)
    sampler._static = state.get("static", False)
    sampler.stats = dict(state["stats"])
    sampler.totals = dict(state["totals"])


def check_state(sampler: EmbeddingBatchSampler,
                state: Dict[str, Any]) -> None:
    r"""Raises :class:`ValueError` unless :obj:`state` is a base state that
    :obj:`sampler` can load: same type, size, batch size and coverage mode,
    every key present, tensors of the right shape, dtype and range, and a
    CPU generator state."""
    if not isinstance(state, dict):
        raise _refusal(sampler, f"got a {type(state).__name__}, not a dict")
    saved_type = state.get("type", type(sampler).__name__)
    if saved_type != type(sampler).__name__:
        raise _refusal(sampler, f"it was saved by a {saved_type}")
    missing = REQUIRED_KEYS - set(state)
    if missing:
        raise _refusal(sampler, f"keys {sorted(missing)} are missing")
    for key in ("num_instances", "batch_size"):
        if state[key] != getattr(sampler, key):
            raise _refusal(sampler, f"it was saved with {key}={state[key]}, "
                           f"this sampler has {key}={getattr(sampler, key)}")
    mode = state.get("coverage_mode", "epoch")
    if mode != sampler.coverage:
        raise _refusal(sampler, f"it was saved with coverage={mode!r}, "
                       f"this sampler has coverage={sampler.coverage!r}")
    if "seed" in state and (not is_int(state["seed"])
                            or int(state["seed"]) < 0):
        raise _refusal(sampler, "`seed` is not a non-negative integer")
    for key in ("stats", "totals", "extra"):
        if not isinstance(state[key], dict):
            raise _refusal(sampler, f"`{key}` is not a dict")
    _check_tensors(sampler, state)


def _check_tensors(sampler: EmbeddingBatchSampler,
                   state: Dict[str, Any]) -> None:
    r"""The tensor, counter and generator part of :func:`check_state`."""
    n = sampler.num_instances
    for key in ("seen", "covered", "changed"):
        value = state.get(key, sampler.seen)
        if not isinstance(value, Tensor) or value.dtype != torch.bool \
                or tuple(value.shape) != (n,):
            raise _refusal(sampler,
                           f"`{key}` is not a bool tensor of shape [{n}]")
    z = state["embeddings"]
    if z is not None and (not isinstance(z, Tensor) or z.dim() != 2
                          or z.size(0) != n
                          or not torch.is_floating_point(z)
                          or not bool(torch.isfinite(z).all())):
        raise _refusal(sampler,
                       f"`embeddings` is not a finite float tensor [{n}, d]")
    if not isinstance(state["queue"], list) or not all(
            isinstance(q, Tensor) and q.dim() == 1 and q.numel() > 0
            and q.dtype == torch.long and int(q.min()) >= 0
            and int(q.max()) < n for q in state["queue"]):
        raise _refusal(sampler, f"`queue` is not a list of index vectors in "
                       f"[0, {n})")
    for key in ("epoch", "num_yielded", "since_build"):
        if not is_int(state[key]) or int(state[key]) < 0:
            raise _refusal(sampler, f"`{key}` is not a non-negative integer")
    try:
        torch.Generator().set_state(state["generator"])
    except (RuntimeError, TypeError) as e:
        raise _refusal(sampler, f"`generator` is not a CPU generator state "
                       f"({e})") from None


def _refusal(sampler: EmbeddingBatchSampler, what: str) -> ValueError:
    r"""The error that refuses a state, saying :obj:`what` is wrong."""
    return ValueError(
        f"cannot load this state_dict into {type(sampler).__name__}: "
        f"{what}; pass the state this sampler's `state_dict()` saved (same "
        f"type, data set and batch size)")
