import os.path as osp
import subprocess
import sys

import pytest

from tests.conftest import SHARED_TU

EXAMPLES = osp.join(osp.dirname(__file__), "..", "examples")


@pytest.mark.parametrize("script,args,expect", [
    ("tensor_dataset.py", ["--num", "600", "--epochs", "2"],
     "prosampler epoch 1"),
    ("node_level_sbm.py", ["--blocks", "4", "--block-size", "50",
                           "--epochs", "2"], "block probe accuracy"),
    ("graphcl_tu.py", ["--tu-mirror", SHARED_TU, "--epochs", "2",
                       "--root", "{tmp}"],
     "SVC accuracy"),
    ("mvgrl_tu.py", ["--tu-mirror", SHARED_TU, "--hidden", "16",
                     "--layers", "2", "--epochs", "2", "--root", "{tmp}"],
     "LinearSVC accuracy"),
])
def test_example_runs(script, args, expect, tmp_path):
    if "--tu-mirror" in args and not osp.isfile(osp.join(SHARED_TU,
                                                         "MUTAG.zip")):
        pytest.skip("no TU mirror")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = subprocess.run([sys.executable, osp.join(EXAMPLES, script), *args],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert expect in out.stdout
