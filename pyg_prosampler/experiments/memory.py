r"""Peak memory of the running process: resident set size (host) and, on a
CUDA device, memory allocated by torch; in GB of :obj:`10**9` bytes.

The peaks are the process's high-water marks, which only the owner of the
process should reset (the CLI does, before each run): a library call that
reset them would change what a caller measures with
:obj:`resource.getrusage`.

.. code-block:: python

    from pyg_prosampler.experiments.memory import peak_memory,
    reset_peak_memory

    reset_peak_memory()       # only where this process is yours
    train(...)
    peak_memory()             # {'peak_rss_gb': 1.37}
"""
from __future__ import annotations

import re
import sys
from typing import Dict, Optional

import torch

__all__ = ["peak_rss_bytes", "peak_memory", "reset_peak_memory"]

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _cuda(device: Optional[str | torch.device]) -> Optional[torch.device]:
    if device is None:
        return None
    device = torch.device(device)
    return device if device.type == "cuda" else None


def peak_rss_bytes() -> Optional[int]:
    r"""Peak resident set size of this process, in bytes, since it started
    or since the last :func:`reset_peak_memory` (Linux's :obj:`VmHWM`;
    elsewhere :obj:`ru_maxrss`, which counts from the start; :obj:`None`
    where neither exists, e.g. on Windows)."""
    try:
        with open(_STATUS) as f:
            match = re.search(r"^VmHWM:\s+(\d+)\s+kB", f.read(), re.M)
        if match:
            return int(match.group(1)) * 1024
    except OSError:
        pass
    try:
        import resource  # Unix only
    except ImportError:
        return None
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def peak_memory(device: Optional[str | torch.device] = None
                ) -> Dict[str, float]:
    r"""The process's peak memory so far: :obj:`peak_rss_gb` (where the
    system tells it) and, when :obj:`device` is a CUDA device,
    :obj:`peak_cuda_gb` (torch's :obj:`max_memory_allocated` there).

    Args:
        device (str or torch.device, optional): The device trained on.
    """
    rss = peak_rss_bytes()
    out = {} if rss is None else {"peak_rss_gb": rss / 1e9}
    cuda = _cuda(device)
    if cuda is not None:
        out["peak_cuda_gb"] = torch.cuda.max_memory_allocated(cuda) / 1e9
    return out


def reset_peak_memory(device: Optional[str | torch.device] = None) -> bool:
    r"""Sets the process's peak resident set size back to the current one
    (Linux: writes :obj:`5` to :obj:`/proc/self/clear_refs`; this also
    lowers :obj:`ru_maxrss`) and, on a CUDA :obj:`device`, torch's peak
    statistics there. Returns whether the host peak could be reset; where
    it cannot, :func:`peak_memory` keeps counting from the process start.

    Args:
        device (str or torch.device, optional): The device trained on.
    """
    cuda = _cuda(device)
    if cuda is not None:
        torch.cuda.reset_peak_memory_stats(cuda)
    try:
        with open(_CLEAR_REFS, "w") as f:
            f.write("5")
    except OSError:
        return False
    return True
