import json

import pytest
import torch
import torch.nn.functional as F

from pyg_prosampler.contrastive.losses import grace_loss
from pyg_prosampler.experiments.grace import (
    embed_nodes,
    evaluate_grace,
    grace_config,
    grace_views,
    train_grace,
)
from pyg_prosampler.experiments.grace_cli import node_sampler
from pyg_prosampler.loader import ProximityNeighborLoader


def _reference_loss(h1, h2, tau):
    r"""GRACE's semi-loss as its public code writes it (exp, no log-sum)."""
    def semi(a, b):
        a, b = F.normalize(a), F.normalize(b)
        refl = torch.exp(a @ a.t() / tau)
        between = torch.exp(a @ b.t() / tau)
        return -torch.log(between.diag() / (refl.sum(1) + between.sum(1)
                                            - refl.diag()))
    return ((semi(h1, h2) + semi(h2, h1)) * 0.5).mean()


def test_grace_loss_matches_the_reference_formula():
    g = torch.Generator().manual_seed(0)
    h1, h2 = torch.randn(50, 16, generator=g), torch.randn(50, 16, generator=g)
    for tau in (0.4, 0.9):
        assert torch.allclose(grace_loss(h1, h2, tau),
                              _reference_loss(h1, h2, tau), atol=1e-5)
    # finite where exp overflows
    assert torch.isfinite(grace_loss(h1, h2, 1e-3))
    with pytest.raises(ValueError, match="B >= 2"):
        grace_loss(h1[:1], h2[:1])


def test_views_drop_edges_and_feature_columns_at_their_rates():
    g = torch.Generator().manual_seed(0)
    x = torch.ones(100, 2000)
    edge_index = torch.randint(100, (2, 20000), generator=g)
    (x1, e1), (x2, e2) = grace_views(x, edge_index, (0.2, 0.0), (0.3, 0.0), g)
    # binomial: std sqrt(n p (1-p)) -> 5 sigma bounds
    assert abs(e1.size(1) - 16000) < 5 * (20000 * 0.16) ** 0.5
    assert abs(int((x1[0] == 0).sum()) - 600) < 5 * (2000 * 0.21) ** 0.5
    assert (x1 == 0).all(0).sum() == (x1[0] == 0).sum()  # whole columns
    assert torch.equal(x2, x) and torch.equal(e2, edge_index)


@pytest.mark.parametrize("name", ["uniform", "knn", "prosampler"])
def test_minibatch_grace_trains_on_cora_with_each_sampler(cora, name):
    import argparse
    args = argparse.Namespace(batch_size=512, refresh_every=2,
                              warmup_epochs=1, coverage="cycle",
                              num_candidates=200, restart_prob=0.1,
                              refresh="rolling")
    config = grace_config("Cora", hidden=32, proj_hidden=32)

    def run():
        loader = ProximityNeighborLoader(
            cora, [5, 5], batch_sampler=node_sampler(name, cora.num_nodes,
                                                     args, seed=0))
        return train_grace(cora, config, loader=loader, epochs=2, seed=0,
                           progress=False)

    state = torch.get_rng_state()
    model, logs = run()
    assert torch.equal(torch.get_rng_state(), state)  # no global side effect
    assert len(logs) == 2 and all(e["steps"] == 6 for e in logs)
    assert all(torch.isfinite(torch.tensor(e["loss"])) for e in logs)
    assert 0 <= logs[-1]["same_class"] <= 1
    _, again = run()
    assert [e["loss"] for e in again] == [e["loss"] for e in logs]
    z = embed_nodes(model, cora)
    assert z.shape == (cora.num_nodes, 32) and torch.isfinite(z).all()


def test_full_graph_grace_learns_on_cora(cora):
    config = grace_config("Cora", hidden=32, proj_hidden=32)
    model, logs = train_grace(cora, config, epochs=3, seed=0, progress=False)
    assert logs[-1]["loss"] < logs[0]["loss"]
    assert logs[0]["steps"] == 1


def test_protocol_scores_separable_embeddings_high_and_noise_at_chance():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(600) % 3
    good = F.one_hot(y).float() * 3 + torch.randn(600, 3, generator=g)
    noise = torch.randn(600, 8, generator=g)
    assert evaluate_grace(good, y, seed=0, repeats=2)["accuracy"] > 0.9
    # chance 1/3; std of accuracy over 540 test nodes ~ 0.02
    assert evaluate_grace(noise, y, seed=0, repeats=2)["accuracy"] < 0.45


def test_cli_records_each_sampler_and_skips_them_when_run_again(
        planetoid_mirror, tmp_path, capsys):
    from pyg_prosampler.experiments.cli import main

    out = tmp_path / "grace.json"
    argv = ["grace", "--dataset", "Cora", "--root", str(tmp_path / "data"),
            "--planetoid-mirror", planetoid_mirror, "--sampler", "full",
            "prosampler", "--seeds", "0", "--epochs", "1", "--batch-size",
            "1024", "--eval-splits", "1", "--quiet", "--out", str(out)]
    main(argv)
    records = json.loads(out.read_text())
    assert [r["sampler"] for r in records] == ["full", "prosampler"]
    assert [r["batch_size"] for r in records] == [None, 1024]
    assert all(0 <= r["accuracy"] <= 1 for r in records)
    main(argv)
    assert "already in" in capsys.readouterr().out
    assert len(json.loads(out.read_text())) == 2
