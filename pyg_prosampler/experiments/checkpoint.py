r"""Training checkpoints that resume a run exactly: everything a step draws
from (weights, optimiser, batch sampler, random generators) saved between
epochs, so that a run stopped and resumed ends where an unbroken one ends;
:class:`Checkpointer` is the training loop's hook that saves and resumes,
:func:`run_config` what a checkpoint compares before resuming."""
from __future__ import annotations

import dataclasses
import os
import os.path as osp
import pickle
import zipfile
from typing import Any, Dict, List, Optional

import torch
from torch import Tensor

from pyg_prosampler.experiments.hooks import Hook, LoopState
from pyg_prosampler.experiments.rng import (
    global_rng_state,
    set_global_rng_state,
)

__all__ = ["FORMAT_VERSION", "capture", "restore", "save_checkpoint",
           "load_checkpoint", "saved_logs", "saved_epochs", "run_config",
           "Checkpointer"]

FORMAT_VERSION = 1


def capture(obj: Any) -> Any:
    r"""The state of :obj:`obj`: :meth:`get_state` of a
    :class:`torch.Generator`, else its :meth:`state_dict`."""
    if isinstance(obj, torch.Generator):
        return obj.get_state()
    if not hasattr(obj, "state_dict"):
        raise TypeError(f"cannot checkpoint a {type(obj).__name__}: pass "
                        f"modules, samplers, optimisers or generators")
    return obj.state_dict()


def restore(obj: Any, state: Any) -> None:
    r"""Loads what :func:`capture` returned back into :obj:`obj`."""
    if isinstance(obj, torch.Generator):
        obj.set_state(state)
    else:
        obj.load_state_dict(state)


def save_checkpoint(path: str, payload: Dict[str, Any]) -> None:
    r"""Writes :obj:`payload` to :obj:`path` through a temporary file and an
    atomic rename, so a run killed while saving leaves the previous
    checkpoint whole."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    torch.save({"version": FORMAT_VERSION, **payload}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str) -> Optional[Dict[str, Any]]:
    r"""The checkpoint at :obj:`path`, or :obj:`None` if there is none.
    Tensors come back on the devices they were saved from; only tensors and
    plain containers are unpickled (:obj:`weights_only=True`)."""
    if not osp.exists(path):
        return None
    payload = _read(path)
    if not isinstance(payload, dict) or "logs" not in payload:
        raise ValueError(f"{path} is not a pyg_prosampler checkpoint; "
                         f"delete it or pass another checkpoint file")
    if payload.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path} is a checkpoint of format "
                         f"{payload.get('version')}, this version reads "
                         f"{FORMAT_VERSION}; delete it to start the run "
                         f"afresh")
    return payload


def saved_logs(path: str) -> List[Dict[str, Any]]:
    r"""The per-epoch logs of the checkpoint at :obj:`path` (empty if there
    is none), read without loading its tensors (memory-mapped)."""
    if not osp.exists(path):
        return []
    payload = _read(path, mmap=True)
    if not isinstance(payload, dict) or "logs" not in payload:
        raise ValueError(f"{path} is not a pyg_prosampler checkpoint; "
                         f"delete it or pass another checkpoint file")
    return payload["logs"]


def _read(path: str, mmap: bool = False) -> Any:
    r""":func:`torch.load` of a checkpoint, with errors that name it."""
    try:
        return torch.load(path, weights_only=True, mmap=mmap)
    except (RuntimeError, EOFError, pickle.UnpicklingError,
            zipfile.BadZipFile, ValueError) as e:  # truncated, foreign, ...
        first = str(e).splitlines()[0] if str(e) else ""
        raise ValueError(
            f"{path} cannot be read as a checkpoint ({type(e).__name__}: "
            f"{first}). If it is truncated or another kind of file, delete "
            f"it to start the run afresh or pass another checkpoint file; "
            f"if it was saved on a GPU, load it where that device "
            f"exists") from e


def saved_epochs(path: str) -> int:
    r"""How many epochs the checkpoint at :obj:`path` holds (0 if there is
    none)."""
    return len(saved_logs(path))


def run_config(model: torch.nn.Module, dataset: Any, sampler: Any,
               lr: Any, config: Optional[Dict[str, Any]] = None
               ) -> Dict[str, Any]:
    r"""What defines a training run, as a checkpoint stores and compares
    it: the learning rate, the sampler's knobs that change which batches
    it draws, the data set's size and feature count, the model's
    parameter shapes, and :obj:`config` (seed, loss, ...), as plain
    Python values."""
    return _plain({
        "lr": lr, **_sampler_config(sampler),
        "dataset": {"len": len(dataset),
                    "num_features": getattr(dataset, "num_features", None)},
        "parameters": {k: list(v.shape)
                       for k, v in model.state_dict().items()},
        **(config or {})})


class Checkpointer(Hook):
    r"""Saves the run to :obj:`path` after every epoch (model, optimiser,
    sampler mid-epoch included, the global random generators, the
    :obj:`objects` and the logs) and, when the file exists, resumes the
    run from it before the first epoch, so that a run stopped and started
    again ends with the same weights and logs as one never stopped.  A
    file of another run (budget or :obj:`config`) is refused, naming what
    differs.  Put it last among the hooks, so that it saves what the
    others left.

    Args:
        path (str): The checkpoint file.
        config (dict): The run's :func:`run_config`.
        objects (dict, optional): The step's other stateful objects, by
            name: modules and :class:`torch.Generator` objects.
    """

    def __init__(self, path: str, config: Dict[str, Any],
                 objects: Optional[Dict[str, Any]] = None) -> None:
        self.path = path
        self.config = config
        self.objects = dict(objects or {})
        for name, obj in self.objects.items():
            if not isinstance(obj, torch.Generator) \
                    and not hasattr(obj, "state_dict"):
                raise TypeError(f"cannot checkpoint `{name}`, a "
                                f"{type(obj).__name__}: pass modules, "
                                f"samplers, optimisers or generators")

    def on_fit_start(self, state: LoopState) -> None:
        saved = load_checkpoint(self.path)
        if saved is None:
            return
        self._check_same_run(saved, state)
        state.model.load_state_dict(saved["model"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.sampler.load_state_dict(saved["sampler"])
        for name, obj in self.objects.items():
            restore(obj, saved["state"][name])
        state.logs = saved["logs"]
        # An unbroken run keeps its batch iterator across epochs; the one
        # opened here to go on mid-epoch draws a loader seed from the global
        # generator, so the generator is restored after opening it.
        state.resumed_batches = iter(state.loader)
        set_global_rng_state(saved["rng"])

    def _check_same_run(self, saved: Dict[str, Any],
                        state: LoopState) -> None:
        budget = (state.epochs, state.steps_per_epoch)
        if (saved["epochs"], saved["steps_per_epoch"]) != budget:
            raise ValueError(
                f"{self.path} holds a run of {saved['epochs']} epochs of "
                f"{saved['steps_per_epoch']} steps, this one has "
                f"{budget[0]} of {budget[1]}; pass another checkpoint file "
                f"for another run")
        old, new = saved.get("config", self.config), self.config
        differ = sorted(k for k in set(old) | set(new)
                        if old.get(k) != new.get(k))
        if differ:
            raise ValueError(
                f"{self.path} holds a run of another configuration ("
                + ", ".join(f"{k}: saved {old.get(k)!r}, now "
                            f"{new.get(k)!r}" for k in differ)
                + "); pass another checkpoint file, or delete this one to "
                  "start afresh")

    def on_epoch_end(self, state: LoopState) -> None:
        save_checkpoint(self.path, {
            "epochs": state.epochs, "steps_per_epoch": state.steps_per_epoch,
            "logs": state.logs, "config": self.config,
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "sampler": state.sampler.state_dict(),
            "state": {k: capture(v) for k, v in self.objects.items()},
            "rng": global_rng_state()})


def _sampler_config(sampler: Any) -> Dict[str, Any]:
    r"""The knobs of a batch sampler that change which batches it draws
    (its type, size, schedule and graph knobs)."""
    inner = getattr(sampler, "sampler", sampler)
    out: Dict[str, Any] = {"sampler": type(inner).__name__}
    # (the seed is not compared: a sampler's state restores its own)
    for key in ("num_instances", "batch_size", "warmup_epochs",
                "refresh_every", "drop_last", "coverage", "num_neighbors",
                "num_candidates", "refresh", "engine", "max_rounds"):
        if hasattr(inner, key):
            out[f"sampler.{key}"] = getattr(inner, key)
    restart = getattr(inner, "restart_prob", None)
    if restart is not None:
        if isinstance(restart, float) or dataclasses.is_dataclass(restart):
            out["sampler.restart_prob"] = repr(restart)  # stable reprs
        else:  # a function: its name (a repr holds its address)
            out["sampler.restart_prob"] = getattr(
                restart, "__qualname__", type(restart).__name__)
    return out


def _plain(value: Any) -> Any:
    r""":obj:`value` with numpy and 0-d torch scalars turned into Python
    numbers and tuples into lists, recursively: what a checkpoint stores
    and compares (a :obj:`weights_only` load refuses numpy scalars)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Tensor) and value.numel() == 1:
        return value.item()
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalar
        return value.item()
    return value
