import math
import os
import os.path as osp

import pytest
import torch
from torch_geometric.data import Data

from pyg_prosampler.datasets import load_ogb
from pyg_prosampler.experiments.evaluate import linear_probe_rocauc

SHARED_OGB = osp.join(osp.dirname(__file__), "..", "..", "..", "shared",
                      "data", "OGB")


@pytest.fixture
def ogb_mirror() -> str:
    pytest.importorskip("ogb")
    mirror = os.environ.get("PYG_PROSAMPLER_OGB_MIRROR", SHARED_OGB)
    if not osp.isfile(osp.join(mirror, "ogbg_molbace.zip")):
        pytest.skip(f"no OGB mirror with ogbg_molbace.zip at {mirror}")
    return mirror


def test_load_ogb_from_mirror(ogb_mirror, tmp_path):
    ds = load_ogb("ogbg-molbace", str(tmp_path), ogb_mirror)
    assert len(ds) == 1513 and ds.num_features == 174
    x = ds[0].x
    assert x.dtype == torch.float32 and torch.all(x.sum(1) == 9)
    split = ds.get_idx_split()
    assert sum(len(v) for v in split.values()) == len(ds)
    again = load_ogb("ogbg-molbace", str(tmp_path), ogb_mirror)  # cached
    assert torch.equal(again[7].x, ds[7].x)


def test_load_ogb_keeps_pyg_safe_globals(ogb_mirror, tmp_path):
    r"""PyG allow-lists :class:`Data` for :obj:`torch.load` at import;
    loading an OGB set must leave that registration in place, or every
    later :class:`TUDataset` load warns and unpickles unrestricted."""
    before = set(map(str, torch.serialization.get_safe_globals()))
    assert str(Data) in before
    load_ogb("ogbg-molbace", str(tmp_path), ogb_mirror)
    after = set(map(str, torch.serialization.get_safe_globals()))
    assert after == before


def test_load_ogb_errors(ogb_mirror, tmp_path):
    with pytest.raises(FileNotFoundError, match="ogbg_molbace"):
        load_ogb("ogbg-molpcba", str(tmp_path), ogb_mirror)
    with pytest.raises(ValueError, match="ogbg-molhiv"):
        load_ogb("MUTAG", str(tmp_path), ogb_mirror)


def test_linear_probe_scores_informative_embeddings(ogb_mirror, tmp_path):
    r"""Embeddings y + N(0, 0.5^2): a linear probe's ROC-AUC is
    Phi(1 / (0.5 sqrt 2)) = 0.92 in expectation; with ~150 test graphs its
    standard error is below 0.03, so > 0.8 holds unless the probe is broken
    (4 standard errors)."""
    ds = load_ogb("ogbg-molbace", str(tmp_path), ogb_mirror)
    y = ds._data.y.float()
    g = torch.Generator().manual_seed(0)
    z = torch.cat([y + 0.5 * torch.randn(y.shape, generator=g),
                   torch.randn(len(ds), 3, generator=g)], dim=1)
    res = linear_probe_rocauc(z, y, ds.get_idx_split(), "ogbg-molbace")
    expected = 0.5 * (1 + math.erf(1 / (0.5 * math.sqrt(2)) / math.sqrt(2)))
    assert abs(expected - 0.921) < 1e-3
    assert res["rocauc"] > 0.8 and res["valid_rocauc"] > 0.8
