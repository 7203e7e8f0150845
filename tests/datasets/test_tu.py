import os.path as osp
import shutil
import zipfile

import pytest
import torch

from pyg_prosampler import load_tu


def test_mirror_extracts_and_loads_mutag(tu_mirror, tmp_path):
    ds = load_tu("MUTAG", root=str(tmp_path), mirror=tu_mirror)
    assert len(ds) == 188 and ds.num_classes == 2
    assert osp.isfile(tmp_path / "MUTAG" / "raw" / "MUTAG_A.txt")
    assert ds[0].x.size(1) == 7  # MUTAG's own node labels


def test_mirror_from_environment(tu_mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("PYG_PROSAMPLER_TU_MIRROR", tu_mirror)
    assert len(load_tu("MUTAG", root=str(tmp_path))) == 188


def test_feature_policies(tu_mirror, tmp_path):
    const = load_tu("MUTAG", root=str(tmp_path), mirror=tu_mirror,
                    features="constant")
    assert torch.equal(const[0].x, torch.ones(const[0].num_nodes, 1))
    deg = load_tu("MUTAG", root=str(tmp_path), mirror=tu_mirror,
                  features="degree")
    g = deg[0]
    assert g.x.size(1) == 5  # MUTAG's largest degree is 4
    assert torch.equal(g.x.argmax(1),
                       torch.bincount(g.edge_index[0], minlength=g.num_nodes))
    capped = load_tu("MUTAG", root=str(tmp_path), mirror=tu_mirror,
                     features="degree", max_degree=2)
    assert capped[0].x.size(1) == 3


def test_missing_data_set_names_the_file(tu_mirror, tmp_path):
    with pytest.raises(FileNotFoundError, match="NOPE.zip"):
        load_tu("NOPE", root=str(tmp_path), mirror=tu_mirror)


def test_corrupt_archive_names_the_file(tu_mirror, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "MUTAG.zip").write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="MUTAG.zip"):
        load_tu("MUTAG", root=str(tmp_path / "root"), mirror=str(mirror))
    # A truncated copy of the real archive fails its checksum.
    data = open(osp.join(tu_mirror, "MUTAG.zip"), "rb").read()
    (mirror / "MUTAG.zip").write_bytes(data[: len(data) // 2])
    shutil.copy(osp.join(tu_mirror, "SHA256SUMS"), mirror / "SHA256SUMS")
    with pytest.raises(ValueError, match="MUTAG.zip"):
        load_tu("MUTAG", root=str(tmp_path / "root"), mirror=str(mirror))


def test_bad_feature_policy(tu_mirror, tmp_path):
    with pytest.raises(ValueError, match="features"):
        load_tu("MUTAG", root=str(tmp_path), mirror=tu_mirror,
                features="onehot")
    assert zipfile.is_zipfile(osp.join(tu_mirror, "MUTAG.zip"))


def test_extraction_waits_for_a_run_beside_it(tu_mirror, tmp_path):
    # A run holding the data set's lock (extracting or processing it) makes
    # a second one wait instead of finding half a raw folder and
    # downloading.
    import threading

    from pyg_prosampler._locking import file_lock

    root = str(tmp_path)
    loaded = []
    t = threading.Thread(
        target=lambda: loaded.append(len(load_tu("MUTAG", root, tu_mirror))))
    with file_lock(osp.join(root, "MUTAG.lock")):
        t.start()
        t.join(1.0)
        assert t.is_alive() and not osp.exists(tmp_path / "MUTAG" / "raw")
    t.join(60)
    assert loaded == [188]


def test_corrupt_deflate_stream_names_the_file(tu_mirror, tmp_path):
    r"""Bytes garbled inside a member's compressed data (the zip's
    directory intact, no checksum file): zlib's error or the CRC check
    becomes a ValueError that names the archive."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    data = bytearray(open(osp.join(tu_mirror, "MUTAG.zip"), "rb").read())
    for i in range(200, 1200, 3):
        data[i] ^= 0x5A
    (mirror / "MUTAG.zip").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="MUTAG.zip"):
        load_tu("MUTAG", root=str(tmp_path / "root"), mirror=str(mirror))


def test_truncated_processed_file_is_processed_again(tu_mirror, tmp_path):
    first = load_tu("MUTAG", root=str(tmp_path), mirror=tu_mirror)
    processed = tmp_path / "MUTAG" / "processed"
    target = max(processed.glob("data*.pt"), key=lambda p: p.stat().st_size)
    target.write_bytes(target.read_bytes()[:1000])  # an interrupted write
    with pytest.warns(UserWarning, match="processing the raw files again"):
        again = load_tu("MUTAG", root=str(tmp_path), mirror=tu_mirror)
    assert len(again) == len(first) == 188
    assert torch.equal(again[5].edge_index, first[5].edge_index)


def test_processed_files_are_put_back_when_processing_fails(tmp_path):
    r"""A read error that was not the files' (processing fails as well)
    leaves the processed folder as it was, not deleted."""
    from pyg_prosampler.datasets.mirror import open_processed

    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "data.pt").write_bytes(b"kept")
    calls = []

    def make():
        calls.append(1)
        raise RuntimeError("too many open files") if len(calls) == 1 \
            else OSError("offline")

    with pytest.warns(UserWarning), pytest.raises(ValueError,
                                                  match="nor processed"):
        open_processed(make, str(processed))
    assert (processed / "data.pt").read_bytes() == b"kept"
