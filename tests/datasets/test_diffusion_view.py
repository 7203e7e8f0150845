import shutil
import threading

import torch
from torch_geometric.data import Data

from pyg_prosampler._locking import file_lock
from pyg_prosampler.datasets import DiffusionViewDataset


def _rings(num_graphs: int = 4) -> list:
    graphs = []
    for n in range(3, 3 + num_graphs):
        src = torch.arange(n)
        ring = torch.stack([src, (src + 1) % n])
        graphs.append(Data(edge_index=torch.cat([ring, ring.flip(0)], 1),
                           num_nodes=n))
    return graphs


def test_views_are_computed_once_and_reloaded(tmp_path, monkeypatch):
    graphs, cache = _rings(), str(tmp_path / "ppr.pt")
    calls = []
    compute = DiffusionViewDataset._compute
    monkeypatch.setattr(DiffusionViewDataset, "_compute",
                        lambda self: calls.append(1) or compute(self))
    ds = DiffusionViewDataset(graphs, cache, alpha=0.2, topk=2)
    again = DiffusionViewDataset(graphs, cache, alpha=0.2, topk=2)
    assert len(calls) == 1
    assert torch.equal(ds[3].diff_edge_weight, again[3].diff_edge_weight)
    assert ds[3].diff_edge_index.size(1) == 2 * graphs[3].num_nodes
    DiffusionViewDataset(graphs, cache, alpha=0.2, topk=3)  # other k
    DiffusionViewDataset(graphs[:3], cache, alpha=0.2, topk=3)  # other set
    assert len(calls) == 3


def test_a_second_run_waits_for_the_first_runs_views(tmp_path, monkeypatch):
    r"""While one run holds the cache's lock (computing), a second run
    started beside it waits and then loads that run's file instead of
    computing the same views again."""
    graphs, cache = _rings(), str(tmp_path / "ppr.pt")
    ready = str(tmp_path / "ready.pt")
    DiffusionViewDataset(graphs, ready, alpha=0.2, topk=2)
    calls = []
    monkeypatch.setattr(DiffusionViewDataset, "_compute",
                        lambda self: calls.append(1))
    done = threading.Event()
    out = {}

    def second():
        out["ds"] = DiffusionViewDataset(graphs, cache, alpha=0.2, topk=2)
        done.set()

    with file_lock(f"{cache}.lock"):  # the first run, mid-computation
        t = threading.Thread(target=second)
        t.start()
        assert not done.wait(0.5)  # the second waits on the lock
        shutil.copy(ready, cache)  # the first run's file lands
    t.join(10)
    assert done.is_set() and calls == []
    first = DiffusionViewDataset(graphs, ready, alpha=0.2, topk=2)
    assert torch.equal(out["ds"][2].diff_edge_weight,
                       first[2].diff_edge_weight)
