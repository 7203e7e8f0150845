import os
import os.path as osp
import shutil

import pytest
import torch

from pyg_prosampler.datasets import load_planetoid


def test_mirror_copies_checks_and_loads_cora(planetoid_mirror, tmp_path):
    ds = load_planetoid("cora", root=str(tmp_path), mirror=planetoid_mirror)
    data = ds[0]
    assert (data.num_nodes, data.num_edges, ds.num_classes) == (2708, 10556,
                                                                 7)
    assert int(data.train_mask.sum()) == 140
    assert osp.isfile(tmp_path / "Cora" / "raw" / "ind.cora.graph")
    rows = data.x.sum(1)  # row-normalised bag of words
    assert torch.allclose(rows[rows > 0], torch.ones(int((rows > 0).sum())))
    raw = load_planetoid("Cora", root=str(tmp_path), mirror=planetoid_mirror,
                         normalize_features=False)[0]
    assert set(raw.x.unique().tolist()) == {0.0, 1.0}


def test_mirror_from_environment(planetoid_mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("PYG_PROSAMPLER_PLANETOID_MIRROR", planetoid_mirror)
    assert load_planetoid("CiteSeer", root=str(tmp_path))[0].num_nodes == 3327


def _copy(mirror: str, dest) -> str:
    out = str(dest / "mirror")
    shutil.copytree(osp.join(mirror, "Cora"), osp.join(out, "Cora"))
    shutil.copy(osp.join(mirror, "SHA256SUMS"), out)
    for root, dirs, files in os.walk(out):  # the shared copy is read-only
        for name in dirs + files:
            os.chmod(osp.join(root, name), 0o755)
    return out


def test_corrupt_or_missing_file_is_refused_and_nothing_copied(
        planetoid_mirror, tmp_path):
    mirror = _copy(planetoid_mirror, tmp_path)
    path = osp.join(mirror, "Cora", "raw", "ind.cora.y")
    with open(path, "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ValueError, match="SHA-256.*corrupt"):
        load_planetoid("Cora", root=str(tmp_path / "r"), mirror=mirror)
    assert not osp.exists(tmp_path / "r" / "Cora" / "raw")
    os.remove(path)
    with pytest.raises(FileNotFoundError, match=r"ind\.cora\.y"):
        load_planetoid("Cora", root=str(tmp_path / "r"), mirror=mirror)


def test_unknown_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Cora"):
        load_planetoid("Karate", root=str(tmp_path))
