r"""What importing the package loads, and what each public module exports.

"Heavy" means any third-party package: a bare ``import pyg_prosampler``
needs none of them (torch alone takes seconds to import, torch_geometric
more), so it must load none; the names it exports are imported from their
modules when first read.  The core (samplers, loaders, proximity graphs,
data set loaders) must not load the contrastive toolkit, the experiment
layer, nor what only those use (scikit-learn, matplotlib, ogb)."""
import ast
import importlib
import inspect
import json
import subprocess
import sys

import pytest

import pyg_prosampler

HEAVY = ("torch", "torch_geometric", "torch_cluster", "numpy", "scipy",
         "sklearn", "matplotlib", "pandas", "ogb", "tqdm", "faiss",
         "networkx")

# What `from pyg_prosampler import X` gave before the package was lazy.
FORMER_EXPORTS = (
    "build_proximity_graph", "random_walk_with_restart",
    "EmbeddingBatchSampler", "ProximityBatchSampler", "UniformBatchSampler",
    "KNNBatchSampler", "AnnealedRestartProb", "DistributedBatchSampler",
    "ProximityLoader", "load_tu", "batch_hardness", "__version__",
    "datasets", "diagnostics", "loader", "proximity_graph", "random_walk",
    "samplers")

# Public modules of the core, the toolkit's augmentations, diffusion and
# models, and the data sets: each declares its API in `__all__`.
PUBLIC_MODULES = (
    "pyg_prosampler", "pyg_prosampler.proximity_graph",
    "pyg_prosampler.random_walk", "pyg_prosampler.diagnostics",
    "pyg_prosampler.distributed", "pyg_prosampler.samplers",
    "pyg_prosampler.samplers.embedding_batch_sampler",
    "pyg_prosampler.samplers.proximity_batch_sampler",
    "pyg_prosampler.samplers.knn_batch_sampler",
    "pyg_prosampler.samplers.uniform_batch_sampler",
    "pyg_prosampler.samplers.schedules",
    "pyg_prosampler.samplers.distributed_batch_sampler",
    "pyg_prosampler.loader", "pyg_prosampler.loader.proximity_loader",
    "pyg_prosampler.loader.storage_collater", "pyg_prosampler.contrastive",
    "pyg_prosampler.contrastive.augment",
    "pyg_prosampler.contrastive.diffusion",
    "pyg_prosampler.contrastive.models",
    "pyg_prosampler.contrastive.models.gin_encoder",
    "pyg_prosampler.contrastive.models.graphcl",
    "pyg_prosampler.contrastive.models.mvgrl",
    "pyg_prosampler.contrastive.models.grace", "pyg_prosampler.datasets",
    "pyg_prosampler.datasets.tu", "pyg_prosampler.datasets.ogb",
    "pyg_prosampler.datasets.mirror",
    "pyg_prosampler.datasets.diffusion_view")

# Public names deliberately left out of `__all__`: the functional form of
# RandomAugment, kept until the experiment layer calls the transform.
NOT_IN_ALL = {"pyg_prosampler.contrastive.augment": {"random_augment"}}


def modules_after(code: str) -> list:
    r"""The modules loaded by a fresh interpreter that runs :obj:`code`."""
    out = subprocess.run(
        [sys.executable, "-c",
         f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.splitlines()[-1])


def top_level(modules: list) -> set:
    return {name.split(".")[0] for name in modules}


def test_a_bare_import_loads_nothing_heavy():
    loaded = modules_after("import pyg_prosampler")
    assert not top_level(loaded) & set(HEAVY)
    ours = {m for m in loaded if m.startswith("pyg_prosampler")}
    assert ours == {"pyg_prosampler", "pyg_prosampler._lazy"}


@pytest.mark.slow
def test_the_core_loads_neither_toolkit_nor_experiments():
    loaded = modules_after("from pyg_prosampler import *")
    assert "torch_geometric" in top_level(loaded)  # it did load the core
    assert not top_level(loaded) & {"sklearn", "matplotlib", "ogb"}
    assert not {m for m in loaded if m.startswith((
        "pyg_prosampler.contrastive", "pyg_prosampler.experiments"))}


def test_every_exported_name_resolves_where_it_is_defined():
    assert set(pyg_prosampler.__all__) == set(pyg_prosampler._EXPORTS)
    for name in pyg_prosampler.__all__:
        module = importlib.import_module(pyg_prosampler._EXPORTS[name])
        assert getattr(pyg_prosampler, name) is getattr(module, name)
        assert name in dir(pyg_prosampler)
    for name in FORMER_EXPORTS:
        exec(f"from pyg_prosampler import {name}", {})
    assert isinstance(vars(pyg_prosampler)["__version__"], str)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        pyg_prosampler.nothing  # noqa: B018
    with pytest.raises(ImportError):
        exec("from pyg_prosampler import nothing", {})


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_modules_declare_their_api(name):
    r"""Every public module has an `__all__` of existing public names, and
    every public function or class it defines is in it (helpers are
    private)."""
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__)
    for item in exported:
        assert not item.startswith("_")
        getattr(module, item)
    if module.__file__.endswith("__init__.py"):
        return
    tree = ast.parse(inspect.getsource(module))
    defined = {node.name for node in tree.body if isinstance(
        node, (ast.FunctionDef, ast.ClassDef))}
    public = {item for item in defined if not item.startswith("_")}
    assert public - exported == NOT_IN_ALL.get(name, set())
