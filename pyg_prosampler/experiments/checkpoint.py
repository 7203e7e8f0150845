r"""Training checkpoints that resume a run exactly: everything a step draws
from (weights, optimiser, batch sampler, random generators) saved between
epochs, so that a run stopped and resumed ends where an unbroken one ends."""
from __future__ import annotations

import os
import os.path as osp
import pickle
import zipfile
from typing import Any, Dict, List, Mapping, Optional

import torch

VERSION = 1


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


def save_checkpoint(path: str, payload: Dict[str, Any]) -> None:
    r"""Writes :obj:`payload` to :obj:`path` through a temporary file and an
    atomic rename, so a run killed while saving leaves the previous
    checkpoint whole."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    torch.save({"version": VERSION, **payload}, tmp)
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
    if payload.get("version") != VERSION:
        raise ValueError(f"{path} is a checkpoint of format "
                         f"{payload.get('version')}, this version reads "
                         f"{VERSION}; delete it to start the run afresh")
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
