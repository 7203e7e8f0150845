import argparse
import copy

from pyg_prosampler.contrastive.negatives import ANNEALING, POOLS
from pyg_prosampler.contrastive.registry import LOSSES, NEGATIVES, SAMPLERS
from pyg_prosampler.experiments.cli import build_parser
from pyg_prosampler.experiments.graphcl import FEEDS
from pyg_prosampler.experiments.mvgrl import MVGRL_LOSSES
from pyg_prosampler.experiments.results import load_records
from pyg_prosampler.experiments.run_records import (
    NEGATIVES_FLAGS,
    negatives_params,
    record_key,
)


def choices(command):
    sub = next(a for a in build_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    return {a.dest: list(a.choices) for a in sub.choices[command]._actions
            if a.choices is not None}


def test_choices_come_from_the_registry():
    for command, losses in (("graphcl", LOSSES), ("ogb", LOSSES),
                            ("mvgrl", MVGRL_LOSSES)):
        got = choices(command)
        assert got["sampler"] == list(SAMPLERS)
        assert got["negatives"] == list(NEGATIVES)
        assert got["loss"] == list(losses)
        assert got["ring_anneal"] == list(ANNEALING)
        assert got["ring_pool"] == list(POOLS)
    assert choices("graphcl")["feed"] == list(FEEDS)


def test_every_negative_sampler_records_its_own_knobs():
    assert set(NEGATIVES_FLAGS) == set(NEGATIVES)
    args = build_parser().parse_args(["graphcl"])
    for name, flags in NEGATIVES_FLAGS.items():
        assert set(flags) <= set(NEGATIVES[name].knobs)
        assert all(hasattr(args, dest) for dest in flags.values())
    # the values records hold, as before the registry
    expected = {"inbatch": {}, "sogclr": {"gamma": 0.9},
                "emc2": {"gamma": 0.9, "burn_in": 0.5},
                "ring": {"inner": 0.01, "outer": 0.1, "anneal": "linear",
                         "pool": "bank"}}
    for name, params in expected.items():
        args.negatives = name
        assert negatives_params(args) == params


def test_model_size_is_in_the_key_only_when_not_the_default():
    parse = build_parser().parse_args
    for command in ("graphcl", "ogb"):
        key = record_key(parse([command]), "prosampler", 0)
        assert "model_params" not in key and key["feed"] == "projection"
        key = record_key(parse([command, "--layers", "2"]), "uniform", 0)
        assert key["model_params"] == {"hidden": 32, "layers": 2}
    key = record_key(parse(["mvgrl"]), "uniform", 0)
    assert key["model_params"] == {"hidden": 512, "layers": 4,
                                   "ppr_alpha": 0.2, "ppr_topk": 32}
    assert "feed" not in key


def test_train_command_leaves_its_arguments_alone(tu_mirror, tmp_path):
    r"""Several seeds and the exact kNN graph (--num-candidates 0) once
    rewrote the parsed options; a GraphCL of another size is recorded as
    such."""
    out = str(tmp_path / "r.json")
    args = build_parser().parse_args([
        "graphcl", "--dataset", "MUTAG", "--root", str(tmp_path / "tu"),
        "--tu-mirror", tu_mirror, "--sampler", "prosampler",
        "--num-neighbors", "20", "--num-candidates", "0", "--epochs", "1",
        "--batch-size", "94", "--seeds", "0", "1", "--hidden", "16",
        "--layers", "2", "--out", out, "--quiet"])
    before = copy.deepcopy(vars(args))
    args.func(args)
    assert vars(args) == before
    records = load_records(out)
    assert [r["seed"] for r in records] == [0, 1]
    for r in records:
        assert r["sampler_params"]["num_candidates"] is None
        assert r["model_params"] == {"hidden": 16, "layers": 2}

