import pytest
import torch

from pyg_prosampler import load_tu
from pyg_prosampler.contrastive.models import GraphCL
from pyg_prosampler.experiments.graphcl import train_graphcl
from pyg_prosampler.experiments.rng import (
    global_rng_state,
    seeded_global_rng,
    set_global_rng_state,
)
from pyg_prosampler.samplers import UniformBatchSampler


def test_seeded_block_draws_as_after_manual_seed_and_restores():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    with seeded_global_rng(3):
        model = GraphCL(7)
        draw = torch.rand(5)
    assert torch.equal(torch.get_rng_state(), before)  # caller untouched
    torch.manual_seed(3)  # what the block stands for
    ref = GraphCL(7)
    assert torch.equal(torch.rand(5), draw)
    for a, b in zip(model.parameters(), ref.parameters()):
        assert torch.equal(a, b)


def test_seeded_block_restores_after_an_error_and_checks_the_seed():
    state = global_rng_state()
    with pytest.raises(KeyError):
        with seeded_global_rng(0):
            raise KeyError("inside")
    assert torch.equal(torch.get_rng_state(), state["cpu"])
    with pytest.raises(TypeError, match="seed"):
        with seeded_global_rng(0.5):
            pass
    torch.rand(3)
    set_global_rng_state(state)
    assert torch.equal(torch.get_rng_state(), state["cpu"])


def test_training_seeds_itself_and_leaves_the_caller_generator(
        tu_mirror, tmp_path):
    mutag = load_tu("MUTAG", root=str(tmp_path / "tu"), mirror=tu_mirror)

    def run():
        return train_graphcl(mutag, UniformBatchSampler(188, 64, seed=0),
                             hidden=16, num_layers=2, epochs=1, seed=4,
                             progress=False)

    torch.manual_seed(123)
    before = torch.get_rng_state()
    model, logs = run()
    assert torch.equal(torch.get_rng_state(), before)
    assert model.encoder.out_channels == 32  # 2 layers of 16
    torch.manual_seed(7)  # another caller state: the same run
    again, again_logs = run()
    assert [e["loss"] for e in logs] == [e["loss"] for e in again_logs]
    for a, b in zip(model.parameters(), again.parameters()):
        assert torch.equal(a, b)


def test_mvgrl_seeds_itself_and_leaves_the_caller_generator(tu_mirror,
                                                            tmp_path):
    from pyg_prosampler.datasets import DiffusionViewDataset
    from pyg_prosampler.experiments.mvgrl import train_mvgrl

    mutag = load_tu("MUTAG", root=str(tmp_path / "tu"), mirror=tu_mirror)
    ds = DiffusionViewDataset(mutag, str(tmp_path / "ppr.pt"), alpha=0.2,
                              topk=8)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    _, logs = train_mvgrl(ds, UniformBatchSampler(188, 64, seed=0),
                          hidden=8, num_layers=1, epochs=1, progress=False)
    assert torch.equal(torch.get_rng_state(), before)
    _, again = train_mvgrl(ds, UniformBatchSampler(188, 64, seed=0),
                           hidden=8, num_layers=1, epochs=1, progress=False)
    assert logs[0]["loss"] == again[0]["loss"]
    with pytest.raises(ValueError, match="`loss` must be one of"):
        train_mvgrl(ds, UniformBatchSampler(188, 64), loss="dcl")
