r"""Every script in examples/ runs, at a tiny size, as a user would start it
(a subprocess in a fresh folder), and prints what it promises; and reads
the library through its public API only."""
import ast
import os
import os.path as osp
import re
import subprocess
import sys
from importlib.util import find_spec

import pytest

EXAMPLES = osp.abspath(osp.join(osp.dirname(__file__), "..", "examples"))
NUM = r"(\d+(?:\.\d+)?)"

# script -> (launcher, arguments, data it needs, lines it must print: regex
# and how many times).  {tu}, {planetoid} and {tmp} are filled in by the
# test.  Sizes are tiny: the point is that the loop runs end to end.
CASES = {
    "graphcl_tu.py": (
        [], ["--tu-mirror", "{tu}", "--root", "{tmp}/TU", "--epochs", "2"],
        "tu", [(r"^epoch \d/2 \(2 steps\) loss " + NUM + "$", 2),
               (r"^MUTAG: SVC accuracy " + NUM, 1)]),
    "mvgrl_tu.py": (
        [], ["--tu-mirror", "{tu}", "--root", "{tmp}/TU", "--epochs", "2",
             "--hidden", "16", "--layers", "2"],
        "tu", [(r"^step \d/4 loss " + NUM + "$", 2),
               (r"^MUTAG: LinearSVC accuracy " + NUM, 1)]),
    "ddp_graphcl.py": (
        ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
         "2"],
        ["--tu-mirror", "{tu}", "--root", "{tmp}/TU", "--epochs", "2"],
        "tu", [(r"^epoch \d/2: loss " + NUM, 2),
               (r"^MUTAG \(2 processes\): SVC accuracy " + NUM, 1)]),
    "grace_neighbor_loader.py": (
        [], ["--planetoid-mirror", "{planetoid}", "--root",
             "{tmp}/Planetoid", "--epochs", "2", "--batch-size", "512",
             "--num-neighbors", "5", "5", "--hidden", "32"],
        "planetoid", [(r"^epoch \d/2 \(6 batches\) loss " + NUM + "$", 2),
                      (r"^Cora: logistic regression accuracy " + NUM, 1)]),
    "node_level_sbm.py": (
        [], ["--blocks", "4", "--block-size", "50", "--epochs", "2"],
        None, [(r"^epoch \d: loss " + NUM, 2),
               (r"^prosampler: block probe accuracy " + NUM, 1)]),
    "tensor_dataset.py": (
        [], ["--num", "600", "--epochs", "2"],
        None, [(r"^(uniform|prosampler) epoch \d: loss " + NUM, 4),
               (r"^same-cluster pairs per batch, last epoch: uniform "
                + NUM + ", prosampler " + NUM, 1)]),
}


def test_every_example_is_run():
    scripts = {f for f in os.listdir(EXAMPLES) if f.endswith(".py")}
    assert scripts == set(CASES)


def _mirror(kind: str, request) -> str:
    if kind == "tu":
        return request.getfixturevalue("tu_mirror")  # skips without one
    if kind == "planetoid":
        if not (find_spec("torch_sparse") or find_spec("pyg_lib")):
            pytest.skip("NeighborLoader needs torch-sparse or pyg-lib "
                        "(the `node` extra)")
        return request.getfixturevalue("planetoid_mirror")
    return ""


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs(script, request, tmp_path):
    launcher, args, data, expect = CASES[script]
    mirror = _mirror(data, request) if data else ""
    args = [a.format(tu=mirror, planetoid=mirror, tmp=tmp_path)
            for a in args]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # From an empty folder, as a user would: relative defaults land there.
    out = subprocess.run(
        [sys.executable, *launcher, osp.join(EXAMPLES, script), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    lines = out.stdout.splitlines()
    for pattern, count in expect:
        found = [m for m in map(re.compile(pattern).search, lines) if m]
        assert len(found) == count, (pattern, out.stdout[-2000:])
        for m in found:  # losses finite, accuracies percentages
            for value in m.groups():
                if value is not None and value[0].isdigit():
                    assert 0.0 <= float(value) <= (
                        100.0 if "accuracy" in pattern else 1e4), m.group(0)


def _private_uses(tree: ast.AST):
    r"""Underscored names reached through the library: attributes like
    `dataset._data` and imports from (or of) private modules/names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            yield f"line {node.lineno}: .{node.attr}"
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".") + [a.name for a in node.names]
            if any(p.startswith("_") for p in parts):
                yield f"line {node.lineno}: from {node.module} import ..."
        if isinstance(node, ast.Import):
            for a in node.names:
                if any(p.startswith("_") for p in a.name.split(".")):
                    yield f"line {node.lineno}: import {a.name}"


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_uses_the_public_api_only(script):
    with open(osp.join(EXAMPLES, script)) as f:
        tree = ast.parse(f.read())
    assert list(_private_uses(tree)) == []
