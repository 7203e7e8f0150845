import math
import sys

import pytest
import torch

from pyg_prosampler import load_tu
from pyg_prosampler.datasets import graph_labels
from pyg_prosampler.experiments.cli import main
from pyg_prosampler.experiments.graphcl import evaluate_graphcl, train_graphcl
from pyg_prosampler.experiments.results import load_records
from pyg_prosampler.samplers import (
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)


@pytest.fixture
def mutag(tu_mirror, tmp_path_factory):
    root = tmp_path_factory.mktemp("tu")
    return load_tu("MUTAG", root=str(root), mirror=tu_mirror)


def test_graphcl_prosampler_learns_above_majority(mutag):
    r"""MUTAG: 125 of 188 graphs are in the majority class (66.5 %).  A
    representation carrying no class information scores at most that in
    expectation; the 10-fold mean accuracy over 188 graphs then has standard
    error sqrt(0.665 * 0.335 / 188) = 0.034, so we require 66.5 % + 3 se =
    76.8 % (a chance-level pipeline passes with probability < 0.2 %)."""
    labels = graph_labels(mutag)
    majority = float(torch.bincount(labels).max()) / len(labels)
    assert abs(majority - 0.665) < 1e-3
    bound = majority + 3 * math.sqrt(majority * (1 - majority) / 188)
    sampler = ProximityBatchSampler(188, 128, num_neighbors=50,
                                    num_candidates=100, warmup_epochs=1,
                                    seed=0)
    model, logs = train_graphcl(mutag, sampler, epochs=2, seed=0,
                                labels=labels, progress=False)
    assert len(logs) == 2 and all(math.isfinite(e["loss"]) for e in logs)
    acc = evaluate_graphcl(model, mutag, seed=0)["accuracy"]
    assert acc > bound, (acc, bound)


@pytest.mark.parametrize("sampler_name", ["uniform", "knn", "prosampler"])
@pytest.mark.parametrize("loss", ["infonce", "dcl", "hcl"])
def test_all_samplers_and_losses_run(mutag, sampler_name, loss):
    sampler = {
        "uniform": lambda: UniformBatchSampler(188, 64),
        "knn": lambda: KNNBatchSampler(188, 64, warmup_epochs=1),
        "prosampler": lambda: ProximityBatchSampler(
            188, 64, num_neighbors=20, num_candidates=50, warmup_epochs=1),
    }[sampler_name]()
    _, logs = train_graphcl(mutag, sampler, loss=loss, epochs=2,
                            progress=False)
    assert all(math.isfinite(e["loss"]) for e in logs)
    assert {"train_seconds", "sampling_seconds", "rebuild_seconds",
            "mean_cosine"} <= set(logs[0])


@pytest.mark.parametrize("negatives", ["ring", "sogclr", "emc2"])
def test_negative_samplers_train_and_learn(mutag, negatives):
    r"""Each negative sampler trains GraphCL on MUTAG, with a ProSampler
    (ring: on the batch) or uniform batches, and learns above the bound of
    :func:`test_graphcl_prosampler_learns_above_majority` (76.8 %)."""
    sampler = ProximityBatchSampler(188, 64, num_neighbors=30,
                                    num_candidates=100, warmup_epochs=1)
    params = {"pool": "batch", "inner": 0.0, "outer": 0.5} \
        if negatives == "ring" else {}
    model, logs = train_graphcl(mutag, sampler, negatives=negatives,
                                negatives_params=params, epochs=2,
                                progress=False)
    assert all(math.isfinite(e["loss"]) for e in logs)
    acc = evaluate_graphcl(model, mutag, seed=0)["accuracy"]
    assert acc > 0.665 + 3 * math.sqrt(0.665 * 0.335 / 188), acc
    with pytest.raises(ValueError, match="own loss"):
        train_graphcl(mutag, sampler, loss="dcl", negatives=negatives,
                      epochs=1, progress=False)


@pytest.mark.parametrize("feed", ["projection", "encoder"])
def test_feed_chooses_the_embeddings_the_sampler_sees(mutag, feed,
                                                      monkeypatch):
    r"""Every sampler update is the output, of the chosen kind, of the step's
    forward pass on the original graphs (the first of its two passes)."""
    from pyg_prosampler.contrastive.models import GraphCL

    outputs, updates = [], []
    forward = GraphCL.forward

    def spy_forward(self, *args, **kwargs):
        out = forward(self, *args, **kwargs)
        outputs.append(tuple(t.detach().clone() for t in out))
        return out

    class SpySampler(UniformBatchSampler):
        def update(self, index, embeddings):
            updates.append(embeddings.clone())
            super().update(index, embeddings)

    monkeypatch.setattr(GraphCL, "forward", spy_forward)
    train_graphcl(mutag, SpySampler(188, 64), feed=feed, epochs=1,
                  progress=False)
    assert len(updates) == 3 and len(outputs) == 6  # 2 passes per step
    kind = 0 if feed == "encoder" else 1
    for step, z in enumerate(updates):
        assert torch.equal(z, outputs[2 * step][kind])
        assert not torch.equal(z, outputs[2 * step][1 - kind])
    with pytest.raises(ValueError, match="feed"):
        train_graphcl(mutag, UniformBatchSampler(188, 64), feed="head")


def test_cli_appends_and_skips_records(tu_mirror, tmp_path, capsys):
    out = tmp_path / "res.json"
    args = ["graphcl", "--dataset", "MUTAG", "--root", str(tmp_path / "tu"),
            "--tu-mirror", tu_mirror, "--sampler", "prosampler",
            "--num-neighbors", "20", "--num-candidates", "50",
            "--epochs", "1", "--seeds", "0", "--out", str(out), "--quiet"]
    main(args)
    records = load_records(str(out))
    assert len(records) == 1
    assert {"dataset", "method", "sampler", "loss", "seed", "accuracy",
            "accuracy_std_folds", "epochs", "batch_size", "sampler_params",
            "train_seconds", "sampling_seconds"} <= set(records[0])
    peaks = [e["peak_rss_gb"] for e in records[0]["epoch_logs"]]
    assert peaks and all(p > 0 for p in peaks)
    assert records[0]["peak_rss_gb"] >= max(peaks)  # evaluation included
    if sys.platform.startswith("linux"):  # reset before the run
        assert records[0]["peak_memory_since"] == "run"
    main(args)  # same configuration and seed: skipped
    assert len(load_records(str(out))) == 1
    assert "skipped" in capsys.readouterr().out
    main(args + ["--negatives", "emc2", "--sampler", "uniform"])
    records = load_records(str(out))
    assert len(records) == 2
    assert records[1]["negatives"] == "emc2"
    assert records[1]["negatives_params"] == {"gamma": 0.9, "burn_in": 0.5}
    assert "emc2" in capsys.readouterr().out
    assert records[0]["feed"] == "projection"
    main(args + ["--feed", "encoder"])  # another configuration: run
    records = load_records(str(out))
    assert len(records) == 3 and records[2]["feed"] == "encoder"
    # The pass and refresh modes are part of the configuration; records
    # made before they existed are the "epoch" / "full" ones.
    assert records[0]["sampler_params"]["coverage"] == "cycle"
    assert records[0]["sampler_params"]["refresh"] == "rolling"
    main(args + ["--coverage", "epoch", "--refresh", "full"])
    records = load_records(str(out))
    assert len(records) == 4
    assert {"coverage", "refresh"}.isdisjoint(records[3]["sampler_params"])


def test_cli_eval_epochs_records_the_shorter_runs(tu_mirror, tmp_path,
                                                 capsys):
    r"""A run of 3 epochs evaluated after epochs 1 and 2 records exactly
    what runs of 1 and 2 epochs record (the evaluation's draws from the
    global generator are undone), and is skipped once all three exist."""
    args = ["graphcl", "--dataset", "MUTAG", "--root", str(tmp_path / "tu"),
            "--tu-mirror", tu_mirror, "--sampler", "prosampler",
            "--num-neighbors", "20", "--num-candidates", "50",
            "--batch-size", "64", "--seeds", "0", "--quiet"]
    long_out, short_out = str(tmp_path / "long.json"), str(tmp_path / "s.json")
    main(args + ["--epochs", "3", "--eval-epochs", "1", "2",
                 "--out", long_out])
    for epochs in ("1", "2"):
        main(args + ["--epochs", epochs, "--out", short_out])
    runs = {r["epochs"]: r for r in load_records(long_out)}
    assert sorted(runs) == [1, 2, 3]
    assert [runs[e].get("evaluated_in_run_of_epochs") for e in (1, 2, 3)] \
        == [3, 3, None]
    for short in load_records(short_out):
        part = runs[short["epochs"]]
        assert part["accuracy"] == short["accuracy"]
        assert part["fold_inner_accuracies"] == short["fold_inner_accuracies"]
        assert [e["loss"] for e in part["epoch_logs"]] == \
            [e["loss"] for e in short["epoch_logs"]]
    capsys.readouterr()
    main(args + ["--epochs", "3", "--eval-epochs", "1", "2",
                 "--out", long_out])
    assert "skipped" in capsys.readouterr().out
    assert len(load_records(long_out)) == 3
    with pytest.raises(SystemExit, match="eval-epochs"):
        main(args + ["--epochs", "3", "--eval-epochs", "3",
                     "--out", long_out])
    with pytest.raises(SystemExit, match="ring-anneal none"):
        main(args + ["--epochs", "3", "--eval-epochs", "1", "--loss",
                     "infonce", "--negatives", "ring", "--out", long_out])


def test_mvgrl_learns_above_majority_and_caches_views(mutag, tmp_path):
    r"""Same bound as for GraphCL (MUTAG majority 66.5 % + 3 standard
    errors = 76.8 %), with LinearSVC, after 2 epochs of a small MVGRL."""
    from pyg_prosampler.datasets import DiffusionViewDataset
    from pyg_prosampler.experiments.mvgrl import evaluate_mvgrl, train_mvgrl

    cache = str(tmp_path / "ppr.pt")
    ds = DiffusionViewDataset(mutag, cache, alpha=0.2, topk=8)
    again = DiffusionViewDataset(mutag, cache, alpha=0.2, topk=8)
    assert torch.equal(ds[5].diff_edge_index, again[5].diff_edge_index)
    assert ds[5].diff_edge_index.size(1) == 8 * ds[5].num_nodes
    sampler = ProximityBatchSampler(188, 64, num_neighbors=30,
                                    num_candidates=100, warmup_epochs=1)
    model, logs = train_mvgrl(ds, sampler, hidden=32, num_layers=2,
                              epochs=2, progress=False,
                              labels=graph_labels(mutag))
    assert all(math.isfinite(e["loss"]) for e in logs)
    acc = evaluate_mvgrl(model, ds, seed=0)["accuracy"]
    assert acc > 0.665 + 3 * math.sqrt(0.665 * 0.335 / 188), acc
    for negatives in ("inbatch", "emc2"):
        _, logs = train_mvgrl(ds, UniformBatchSampler(188, 64),
                              loss="infonce", negatives=negatives,
                              hidden=16, num_layers=1, epochs=1,
                              progress=False)
        assert math.isfinite(logs[0]["loss"])


def test_emc2_reencodes_single_node_graphs():
    r"""Out-of-batch chain states may be one-node graphs (PROTEINS has
    some): re-encoding them must not hit batch norm's one-value error."""
    from torch_geometric.data import Data

    g = torch.Generator().manual_seed(0)
    graphs = []
    for i in range(40):
        n = 1 if i % 3 == 0 else 4
        ring = torch.arange(n)
        edge_index = torch.stack([ring, (ring + 1) % n]) if n > 1 else \
            torch.empty(2, 0, dtype=torch.long)
        graphs.append(Data(x=torch.randn(n, 3, generator=g),
                           edge_index=edge_index, y=torch.tensor([i % 2])))
    dataset = type("Graphs", (list,), {"num_features": 3})(graphs)
    _, logs = train_graphcl(dataset, UniformBatchSampler(40, 4),
                            negatives="emc2", epochs=3, progress=False)
    assert all(math.isfinite(e["loss"]) for e in logs)


class _StopAfter:
    r"""Stands in for :func:`tqdm`: yields the first :obj:`n` epochs, then
    stops the run as a kill between two epochs would."""

    def __init__(self, n: int):
        self.n = n

    def __call__(self, iterable, **kwargs):
        self.iterable = iterable
        return self

    def __iter__(self):
        for i, epoch in enumerate(self.iterable):
            if i == self.n:
                raise KeyboardInterrupt
            yield epoch

    def set_postfix(self, **kwargs):
        pass


def test_run_stopped_and_resumed_ends_as_an_unbroken_run(mutag, tmp_path,
                                                         monkeypatch):
    r"""ProSampler batches (coverage epochs longer than the step budget's
    epochs, so the checkpoint falls mid sampler epoch), GraphCL's
    augmentation generator, EMC²'s chains: a run stopped after 2 of 4
    epochs and resumed from its checkpoint ends with the same weights and
    logs, to the last bit, as a run never stopped."""
    from pyg_prosampler.experiments import hooks
    from pyg_prosampler.experiments.checkpoint import load_checkpoint

    def run(checkpoint=None, epochs=4, seed=3, lr=0.01, restart=0.1):
        sampler = ProximityBatchSampler(188, 32, num_neighbors=20,
                                        num_candidates=60, warmup_epochs=1,
                                        refresh_every=4, restart_prob=restart,
                                        coverage="epoch", seed=3)
        return train_graphcl(mutag, sampler, negatives="emc2", epochs=epochs,
                             seed=seed, lr=lr, checkpoint=checkpoint,
                             progress=False)

    ref_model, ref_logs = run()
    path = str(tmp_path / "run.pt")
    with monkeypatch.context() as m:
        m.setattr(hooks, "tqdm", _StopAfter(2))
        with pytest.raises(KeyboardInterrupt):
            run(path)
    saved = load_checkpoint(path)
    assert len(saved["logs"]) == 2
    assert saved["sampler"]["in_epoch"] and saved["sampler"]["coverage"]

    model, logs = run(path)
    assert [e["loss"] for e in logs] == [e["loss"] for e in ref_logs]
    assert [e["mean_cosine"] for e in logs] == \
        [e["mean_cosine"] for e in ref_logs]
    for a, b in zip(model.parameters(), ref_model.parameters()):
        assert torch.equal(a, b)
    again, _ = run(path)  # finished checkpoint: final weights, no training
    assert all(torch.equal(a, b) for a, b in
               zip(again.parameters(), model.parameters()))
    with pytest.raises(ValueError, match="another checkpoint"):
        run(path, epochs=5)
    # another seed, learning rate or sampler knob: refused, not resumed
    for change, key in ((dict(seed=4), "seed"), (dict(lr=0.02), "lr"),
                        (dict(restart=0.3), "restart_prob")):
        with pytest.raises(ValueError, match=f"another configuration.*{key}"):
            run(path, **change)
    # a truncated or foreign file names itself
    bad = tmp_path / "bad.pt"
    bad.write_bytes(open(path, "rb").read()[:100])
    with pytest.raises(ValueError, match="bad.pt cannot be read"):
        run(str(bad))


def _dropout_run(mutag, **fit_kwargs):
    r"""Losses of a 3-epoch :func:`fit` whose step draws from the global
    generator (dropout)."""
    from torch_geometric.nn import global_add_pool

    from pyg_prosampler.experiments import training

    torch.manual_seed(0)
    model = torch.nn.Linear(mutag.num_features, 8)

    def step(batch):
        h = global_add_pool(model(batch.x), batch.batch)
        z = torch.nn.functional.dropout(h, 0.5, training=model.training)
        return z.pow(2).mean(), z

    logs = training.fit(model, mutag, UniformBatchSampler(188, 64), step,
                        epochs=3, progress=False, **fit_kwargs)
    return [e["loss"] for e in logs]


def test_resumed_run_continues_the_global_random_stream(mutag, tmp_path,
                                                        monkeypatch):
    r"""A step that draws from the global generator (dropout) gets the same
    draws after a resume as in an unbroken run."""
    from pyg_prosampler.experiments import hooks

    ref = _dropout_run(mutag)
    path = str(tmp_path / "run.pt")
    with monkeypatch.context() as m:
        m.setattr(hooks, "tqdm", _StopAfter(1))
        with pytest.raises(KeyboardInterrupt):
            _dropout_run(mutag, checkpoint=path)
    assert _dropout_run(mutag, checkpoint=path) == ref


def test_on_epoch_leaves_the_training_unchanged(mutag):
    r"""A callback that draws from the global generator and switches the
    model to evaluation mode (as an evaluation does) changes nothing in
    the training that follows: its draws are undone, the mode restored."""
    seen = []

    def evaluate(model, logs):
        seen.append(len(logs))
        torch.rand(100)
        model.eval()

    ref = _dropout_run(mutag)
    assert _dropout_run(mutag, on_epoch=evaluate) == ref
    assert seen == [1, 2, 3]


def test_cli_resumes_a_stopped_run_from_its_checkpoint(tu_mirror, tmp_path,
                                                       monkeypatch):
    from pyg_prosampler.experiments import hooks

    folder = tmp_path / "ckpt"
    args = ["graphcl", "--dataset", "MUTAG", "--root", str(tmp_path / "tu"),
            "--tu-mirror", tu_mirror, "--sampler", "prosampler",
            "--num-neighbors", "20", "--num-candidates", "50",
            "--batch-size", "64", "--epochs", "2", "--seeds", "0",
            "--quiet", "--checkpoint-dir", str(folder)]
    main(args + ["--out", str(tmp_path / "unbroken.json")])
    assert list(folder.iterdir()) == []  # removed with the record written
    out = str(tmp_path / "resumed.json")
    with monkeypatch.context() as m:
        m.setattr(hooks, "tqdm", _StopAfter(1))
        with pytest.raises(KeyboardInterrupt):
            main(args + ["--out", out])
    assert len(list(folder.iterdir())) == 1 and not load_records(out)
    main(args + ["--out", out])
    (unbroken,) = load_records(str(tmp_path / "unbroken.json"))
    (resumed,) = load_records(out)
    assert resumed["resumed_at_epoch"] == 1
    assert "resumed_at_epoch" not in unbroken
    assert resumed["accuracy"] == unbroken["accuracy"]
    assert [e["loss"] for e in resumed["epoch_logs"]] == \
        [e["loss"] for e in unbroken["epoch_logs"]]
    assert list(folder.iterdir()) == []


def test_fit_logs_batch_node_counts_and_peak_memory(mutag):
    from torch_geometric.nn import global_add_pool

    from pyg_prosampler.experiments import training

    torch.manual_seed(0)
    model = torch.nn.Linear(mutag.num_features, 8)
    seen = []

    def step(batch):
        seen.append(batch.num_nodes)
        h = global_add_pool(model(batch.x), batch.batch)
        return h.pow(2).mean(), h

    logs = training.fit(model, mutag, UniformBatchSampler(188, 50, seed=0),
                        step, epochs=2, progress=False)
    for epoch, log in enumerate(logs):  # 4 steps of 50 per epoch
        nodes = seen[4 * epoch:4 * epoch + 4]
        assert log["batch_nodes_max"] == max(nodes)
        assert log["batch_nodes_mean"] == pytest.approx(sum(nodes) / 4)
    assert 0 < logs[0]["peak_rss_gb"] <= logs[1]["peak_rss_gb"]


def test_cli_refuses_before_any_work(tu_mirror, tmp_path, capsys):
    import argparse

    from pyg_prosampler.experiments.cli import check_run_args

    base = ["graphcl", "--dataset", "MUTAG", "--root", str(tmp_path / "tu"),
            "--tu-mirror", tu_mirror, "--quiet"]
    with pytest.raises(SystemExit, match="at least 1 epoch"):
        main(base + ["--epochs", "0", "--out", str(tmp_path / "a.json")])
    assert not (tmp_path / "a.json").exists()  # no record of nothing
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="no usable CUDA"):
            main(base + ["--device", "cuda", "--out", str(tmp_path / "a")])
    args = argparse.Namespace(epochs=1, seeds=[0, 0, 1], device="cpu",
                              sampler=["uniform", "uniform"])
    check_run_args(args)
    assert args.seeds == [0, 1] and args.sampler == ["uniform"]
    # a corrupt results file is named, not a bare JSONDecodeError
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('[{"dataset": ')
    with pytest.raises(ValueError, match="corrupt.json"):
        main(base + ["--epochs", "1", "--out", str(corrupt)])
    # `batches` writes a new file and never overwrites one
    table = tmp_path / "table.json"
    table.write_text("[]")
    with pytest.raises(SystemExit, match="never overwrites"):
        main(["batches", "--dataset", "MUTAG", "--root",
              str(tmp_path / "tu"), "--tu-mirror", tu_mirror,
              "--num-neighbors", "20", "--out", str(table)])
    assert table.read_text() == "[]"


def test_resume_with_numpy_knobs_drawn_seed_and_a_schedule(mutag, tmp_path,
                                                           monkeypatch):
    r"""What a user passes (numpy scalars, a sampler seeded from torch's
    generator, a restart schedule) is stored plainly and compares equal
    when the same run resumes."""
    import numpy as np

    from pyg_prosampler import AnnealedRestartProb
    from pyg_prosampler.experiments import hooks

    def run(seed_torch):
        torch.manual_seed(seed_torch)  # the sampler draws its seed here
        sampler = ProximityBatchSampler(
            188, 64, num_neighbors=20, num_candidates=60,
            restart_prob=AnnealedRestartProb(0.3, 0.05))
        return train_graphcl(mutag, sampler, epochs=2, seed=0,
                             temperature=np.float64(0.2), lr=np.float32(0.01),
                             checkpoint=str(tmp_path / "run.pt"),
                             progress=False)

    with monkeypatch.context() as m:
        m.setattr(hooks, "tqdm", _StopAfter(1))
        with pytest.raises(KeyboardInterrupt):
            run(1)
    _, logs = run(2)  # another global seed: the sampler state restores its
    assert len(logs) == 2
