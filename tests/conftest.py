import os
import os.path as osp

import pytest
import torch

SHARED_TU = osp.join(osp.dirname(__file__), "..", "..", "shared", "data", "TU")
SHARED_PLANETOID = osp.join(osp.dirname(__file__), "..", "..", "shared",
                            "data", "Planetoid")


def gaussian_mixture(seed: int, num: int = 2000, classes: int = 10,
                     dim: int = 16, sep: float = 1.0):
    r"""Labelled embeddings: class means ~ N(0, sep^2 I), points
    ~ N(mean, I)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(classes, (num,), generator=g)
    mu = torch.randn(classes, dim, generator=g) * sep
    return mu[y] + torch.randn(num, dim, generator=g), y


@pytest.fixture
def tu_mirror() -> str:
    mirror = os.environ.get("PYG_PROSAMPLER_TU_MIRROR", SHARED_TU)
    if not osp.isfile(osp.join(mirror, "MUTAG.zip")):
        pytest.skip(f"no TU mirror with MUTAG.zip at {mirror}")
    return mirror


@pytest.fixture(scope="session")
def planetoid_mirror() -> str:
    mirror = os.environ.get("PYG_PROSAMPLER_PLANETOID_MIRROR",
                            SHARED_PLANETOID)
    if not osp.isfile(osp.join(mirror, "Cora", "raw", "ind.cora.x")):
        pytest.skip(f"no Planetoid mirror with Cora at {mirror}")
    return mirror


@pytest.fixture(scope="session")
def cora(planetoid_mirror, tmp_path_factory):
    r"""Cora (row-normalised features), processed once per session."""
    from pyg_prosampler.datasets import load_planetoid

    root = str(tmp_path_factory.mktemp("planetoid"))
    return load_planetoid("Cora", root=root, mirror=planetoid_mirror)[0]


@pytest.fixture(autouse=True)
def _seed_torch():
    r"""Samplers built without a seed draw it from torch's global generator;
    every test starts from the same global state."""
    torch.manual_seed(0)
