import pytest
import torch
from torch_geometric.nn import global_add_pool

from pyg_prosampler import load_tu
from pyg_prosampler.experiments.hooks import Hook
from pyg_prosampler.experiments.training import fit
from pyg_prosampler.samplers import UniformBatchSampler


@pytest.fixture
def mutag(tu_mirror, tmp_path_factory):
    root = tmp_path_factory.mktemp("tu")
    return load_tu("MUTAG", root=str(root), mirror=tu_mirror)


class CountSteps(Hook):
    r"""Counts steps per epoch and logs them, and records the calls."""

    def __init__(self):
        self.calls = []

    def on_fit_start(self, state):
        self.calls.append("start")

    def on_epoch_start(self, state):
        self.steps = 0

    def on_step_end(self, state, step):
        self.steps += 1
        assert not step.embeddings.requires_grad
        assert step.batch.num_graphs == step.embeddings.size(0)

    def epoch_log(self, state):
        return {"steps": self.steps}

    def on_epoch_end(self, state):
        self.calls.append(len(state.logs))


def test_fit_takes_an_optimizer_and_hooks(mutag):
    torch.manual_seed(0)
    model = torch.nn.Linear(mutag.num_features, 8)

    def step(batch):
        h = global_add_pool(model(batch.x), batch.batch)
        return h.pow(2).mean(), h

    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().clone()
    hook = CountSteps()
    logs = fit(model, mutag, UniformBatchSampler(188, 50, seed=0), step,
               optimizer=opt, epochs=2, progress=False, hooks=[hook])
    assert [e["steps"] for e in logs] == [4, 4]  # ceil(188 / 50)
    assert hook.calls == ["start", 1, 2]
    assert {"loss", "mean_cosine", "peak_rss_gb"} <= set(logs[0])
    assert not torch.equal(model.weight, before)  # the SGD stepped
    with pytest.raises(TypeError, match="Optimizer"):
        fit(model, mutag, UniformBatchSampler(188, 50), step,
            optimizer="adam", progress=False)
    with pytest.raises(TypeError, match="Hook"):
        fit(model, mutag, UniformBatchSampler(188, 50), step, epochs=1,
            progress=False, hooks=[print])
    with pytest.raises(TypeError, match="cannot checkpoint"):
        fit(model, mutag, UniformBatchSampler(188, 50), step, epochs=1,
            progress=False, checkpoint="unused.pt", state={"x": 3})
