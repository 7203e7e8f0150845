r"""An exclusive advisory file lock, for work that processes running side
by side must not do at the same time (appending to one results file,
extracting and processing one data set)."""
from __future__ import annotations

import fcntl
import os
import os.path as osp
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def file_lock(path: str) -> Iterator[None]:
    r"""Holds an exclusive :func:`fcntl.flock` on :obj:`path` (created, with
    its folder, if missing) for the duration of the :obj:`with` block;
    another holder, in this process or another, waits until it ends.

    .. code-block:: python

        with file_lock("data/TU/MUTAG.lock"):
            ...  # extract and process MUTAG once
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
