r"""Offline mirrors: checked zip archives extracted where a PyG data set
class looks for its raw files, so that it never downloads."""
from __future__ import annotations

import hashlib
import os
import os.path as osp
import pickle
import shutil
import tempfile
import warnings
import zipfile
import zlib
from typing import Any, Callable, Dict, List, Optional

__all__ = ["mirror_archives", "read_sha256sums", "check_sha256",
           "sha256_of", "extract_folder", "open_processed"]


def mirror_archives(mirror: str) -> List[str]:
    r"""Names (without :obj:`.zip`) of the archives a mirror holds."""
    if not osp.isdir(mirror):
        return []
    return sorted(f[:-4] for f in os.listdir(mirror) if f.endswith(".zip"))


def read_sha256sums(sums_file: str) -> Dict[str, str]:
    r"""The :obj:`path -> digest` lines of a :obj:`SHA256SUMS` file, paths
    relative to its folder (empty when there is no such file)."""
    if not osp.isfile(sums_file):
        return {}
    sums = {}
    with open(sums_file) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                sums[osp.normpath(parts[1].lstrip("*"))] = parts[0].lower()
    return sums


def check_sha256(path: str, sums_file: str, what: str,
                 name: Optional[str] = None) -> None:
    r"""Checks the file :obj:`path` against its line in a :obj:`SHA256SUMS`
    file, where it is listed as :obj:`name` (default: its base name);
    nothing to check when the file or the line is missing."""
    expected = read_sha256sums(sums_file).get(
        osp.normpath(name or osp.basename(path)))
    if expected is not None and sha256_of(path) != expected:
        raise ValueError(f"{what} file {path!r} does not match its "
                         f"SHA-256 in {sums_file!r}; the file is corrupt, "
                         f"replace it")


def sha256_of(path: str) -> str:
    r"""The SHA-256 hex digest of the file :obj:`path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def extract_folder(archive: str, inner: str, dest: str, what: str) -> None:
    r"""Checks :obj:`archive` (zip integrity, and its SHA-256 when the
    mirror has a :obj:`SHA256SUMS` file) and moves its top-level folder
    :obj:`inner` to :obj:`dest` (replacing it), through a temporary folder
    beside :obj:`dest` so that an interrupted extraction leaves nothing
    half-written."""
    check_sha256(archive, osp.join(osp.dirname(archive), "SHA256SUMS"),
                 what)
    parent = osp.dirname(osp.abspath(dest))
    try:
        with zipfile.ZipFile(archive) as zf:
            broken = zf.testzip()
            if broken is not None:
                raise ValueError(f"{what} archive {archive!r} is corrupt "
                                 f"(member {broken!r} fails its CRC); "
                                 f"replace it")
            os.makedirs(parent, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=parent) as tmp:
                zf.extractall(tmp)
                folder = osp.join(tmp, inner)
                if not osp.isdir(folder):
                    raise ValueError(
                        f"{what} archive {archive!r} has no folder "
                        f"{inner!r}/ inside; expected the official layout")
                if osp.exists(dest):
                    shutil.rmtree(dest)
                shutil.move(folder, dest)
    except zipfile.BadZipFile as e:
        raise ValueError(f"{what} archive {archive!r} is not a valid zip "
                         f"file ({e}); replace it") from e
    except (zlib.error, EOFError) as e:  # a corrupt deflate stream
        raise ValueError(f"{what} archive {archive!r} is corrupt ({e}); "
                         f"replace it") from e


def open_processed(make: Callable[[], Any], processed: str) -> Any:
    r"""Opens a PyG data set with :obj:`make()`; if its processed files
    cannot be read (e.g. truncated by an interrupted run), removes the
    :obj:`processed` folder and processes the raw files again once."""
    try:
        return make()
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError,
            zipfile.BadZipFile) as first:
        if not osp.isdir(processed):
            raise
        warnings.warn(f"the processed files in {processed} cannot be read "
                      f"({type(first).__name__}: {first}); processing the "
                      f"raw files again", stacklevel=3)
        # Kept aside, and put back if processing fails too: the error may
        # have been a passing one (open files, memory) and not the files'.
        backup = f"{processed}.unreadable"
        if osp.exists(backup):
            shutil.rmtree(backup)
        os.replace(processed, backup)
        try:
            dataset = make()
        except Exception as e:
            if osp.exists(processed):
                shutil.rmtree(processed)
            os.replace(backup, processed)
            raise ValueError(
                f"the data set in {osp.dirname(processed)} could not be "
                f"read ({type(first).__name__}: {first}) nor processed "
                f"again ({type(e).__name__}: {e}); if its processed files "
                f"are damaged, delete {processed} and load again") from e
        shutil.rmtree(backup)
        return dataset
