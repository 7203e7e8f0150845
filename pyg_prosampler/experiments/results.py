r"""Result records: a JSON array per file, appended atomically, so that a
long table can be filled over several runs.  A path ending in ``.gz`` is
read and written gzip-compressed, transparently."""
from __future__ import annotations

import gzip
import json
import os
import os.path as osp
import platform
import zlib
from typing import Any, Callable, Dict, List

import torch

from pyg_prosampler._locking import file_lock

__all__ = ["IDENTITY_FIELDS", "FIELD_DEFAULTS", "load_records",
           "write_new_json", "same_config", "loss_label", "append_record",
           "replace_rows", "machine"]

IDENTITY_FIELDS = ("dataset", "method", "sampler", "loss", "seed",
                   "epochs", "batch_size", "lr", "sampler_params",
                   "model_params", "negatives", "negatives_params",
                   "temperature", "feed")
r"""The fields that identify a record's configuration and seed."""
FIELD_DEFAULTS = {"negatives": "inbatch", "negatives_params": {},
                  "temperature": 0.2, "feed": "projection"}
r"""Values of identity fields in records written before the field
existed."""


def load_records(path: str) -> List[Dict[str, Any]]:
    r"""The records of :obj:`path` (empty if the file does not exist)."""
    if not osp.exists(path):
        return []
    try:
        records = _read_json(path)
    except (json.JSONDecodeError, UnicodeDecodeError, EOFError,
            gzip.BadGzipFile, zlib.error) as e:
        raise ValueError(
            f"{path!r} is not a readable JSON file of records ({e}); "
            f"repair or move it, or pass another --out") from None
    if not isinstance(records, list):
        raise ValueError(f"{path!r} holds no JSON array of records; pass "
                         f"another --out")
    return records


def write_new_json(path: str, obj: Any) -> None:
    r"""Writes :obj:`obj` to :obj:`path`, which must not exist yet
    (atomically: a temporary file, then a rename)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    _dump_json(tmp, obj, gz=path.endswith(".gz"))
    try:
        os.link(tmp, path)  # fails if the path exists, even in a race
    except FileExistsError:
        raise ValueError(f"{path!r} exists; refusing to overwrite "
                         f"it") from None
    finally:
        os.remove(tmp)


def same_config(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    r"""Whether two records are the same configuration and seed."""
    return all(a.get(k, FIELD_DEFAULTS.get(k))
               == b.get(k, FIELD_DEFAULTS.get(k)) for k in IDENTITY_FIELDS)


def loss_label(record: Dict[str, Any]) -> str:
    r"""The loss column of a record: the in-batch loss, or the negative
    sampler that replaces it."""
    negatives = record.get("negatives", "inbatch")
    return record["loss"] if negatives == "inbatch" else negatives


def append_record(path: str, record: Dict[str, Any]) -> None:
    r"""Appends :obj:`record` to the array in :obj:`path` (write to a
    temporary file, then rename: an interrupted run loses nothing)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with file_lock(path + ".lock"):  # runs side by side may append
        records = load_records(path)
        records.append(record)
        _write_json(path, records)


def replace_rows(path: str, rows: List[Dict[str, Any]],
                 keep: Callable[[Dict[str, Any]], bool], key: str = "rows",
                 **fields: Any) -> None:
    r"""Writes the benchmark table :obj:`{key: kept + rows, **fields}` to
    :obj:`path`, where :obj:`kept` are the rows already under :obj:`key`
    there for which :obj:`keep(row)` holds (e.g. another data set's), so
    that a table is filled one case per call.

    .. code-block:: python

        replace_rows("size.json", [row], lambda r: r["dataset"] != name,
                     machine=machine())
    """
    kept = []
    if osp.exists(path):
        kept = [r for r in _read_json(path)[key] if keep(r)]
    _write_json(path, {key: kept + rows, **fields})


def _read_json(path: str) -> Any:
    r"""The JSON value in :obj:`path` (gzip-compressed if it ends in
    ``.gz``)."""
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    with open(path) as f:
        return json.load(f)


def _dump_json(tmp: str, obj: Any, gz: bool) -> None:
    r"""Writes :obj:`obj` to :obj:`tmp` as JSON, gzip-compressed if
    :obj:`gz` (with no file name or time in the header: the same records
    give the same bytes)."""
    if not gz:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=1)
        return
    with open(tmp, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(json.dumps(obj, indent=1).encode("utf-8"))


def _write_json(path: str, obj: Any) -> None:
    r"""Writes :obj:`obj` to a temporary file, then renames it to
    :obj:`path`: an interrupted write loses nothing."""
    tmp = path + ".tmp"
    _dump_json(tmp, obj, gz=path.endswith(".gz"))
    os.replace(tmp, path)


def machine() -> str:
    r"""A one-line description of where a result was produced."""
    dev = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
           else "no GPU")
    return (f"{platform.machine()} {os.cpu_count()} cores, "
            f"{torch.get_num_threads()} torch threads, {dev}, "
            f"torch {torch.__version__}")
