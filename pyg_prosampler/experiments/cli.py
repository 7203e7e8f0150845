r"""Command line: ``python -m pyg_prosampler <command> ...``; the options
of each command, and the checks they share.  The commands themselves are
in :mod:`~pyg_prosampler.experiments.train_command`,
:mod:`~pyg_prosampler.experiments.batches_command` and
:mod:`~pyg_prosampler.experiments.grace_cli`; the choices of the options
come from :mod:`pyg_prosampler.contrastive.registry` and the modules that
define them."""
from __future__ import annotations

import argparse
from typing import List, Optional, Sequence

import torch

from pyg_prosampler.contrastive.negatives import ANNEALING, POOLS
from pyg_prosampler.contrastive.registry import LOSSES, NEGATIVES, SAMPLERS
from pyg_prosampler.datasets.tu import FEATURES
from pyg_prosampler.samplers.embedding_batch_sampler import COVERAGES
from pyg_prosampler.samplers.proximity_batch_sampler import REFRESHES

__all__ = ["main", "build_parser", "check_run_args", "add_output_args"]


def main(argv: Optional[List[str]] = None) -> None:
    r"""Runs the command :obj:`argv` (default: :obj:`sys.argv[1:]`)
    names."""
    args = build_parser().parse_args(argv)
    args.func(args)


def build_parser() -> argparse.ArgumentParser:
    r"""The parser of every command."""
    from pyg_prosampler.experiments.batches_command import cmd_batches
    from pyg_prosampler.experiments.grace_cli import add_grace_parser
    from pyg_prosampler.experiments.graphcl import FEEDS, HIDDEN, NUM_LAYERS
    from pyg_prosampler.experiments.mvgrl import MVGRL_LOSSES

    parser = argparse.ArgumentParser(prog="python -m pyg_prosampler")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("batches", help="sample one epoch with each sampler "
                       "and print how hard the batches are")
    _add_sampler_args(p)
    p.add_argument("--out", default=None, help="write the table as JSON")
    p.set_defaults(func=cmd_batches)

    p = sub.add_parser("graphcl", help="GraphCL pre-training + SVC "
                       "evaluation with a chosen sampler and loss")
    _add_training_args(p, losses=list(LOSSES), lr=0.01,
                       out="results/graphcl.json")
    _add_graphcl_args(p, FEEDS, HIDDEN, NUM_LAYERS)
    p = sub.add_parser("mvgrl", help="MVGRL pre-training + LinearSVC "
                       "evaluation with a chosen sampler")
    _add_training_args(p, losses=list(MVGRL_LOSSES), lr=0.001,
                       out="results/mvgrl.json")
    _add_model_size_args(p, hidden=512, layers=4)
    p.add_argument("--ppr-alpha", type=float, default=0.2)
    p.add_argument("--ppr-topk", type=int, default=32,
                   help="PPR entries kept per node")
    p.add_argument("--max-degree", type=int, default=64,
                   help="cap of the one-hot degree features")
    p = sub.add_parser("ogb", help="GraphCL pre-training on an ogbg-mol* "
                       "set + linear probe, test ROC-AUC (OGB Evaluator, "
                       "scaffold split)")
    _add_training_args(p, losses=list(LOSSES), lr=0.01,
                       out="results/ogb.json")
    _add_graphcl_args(p, FEEDS, HIDDEN, NUM_LAYERS)
    p.add_argument("--ogb-mirror", default=None,
                   help="folder of ogbg_NAME.zip archives (else "
                        "$PYG_PROSAMPLER_OGB_MIRROR, else download)")
    p.set_defaults(dataset="ogbg-molbace", root="data/OGB")
    add_grace_parser(sub)
    return parser


def check_run_args(args: argparse.Namespace) -> None:
    r"""Refuses, before any work, what would train nothing or record a run
    twice: epochs below 1, an unavailable device; repeated seeds and
    samplers are collapsed in :obj:`args` (each configuration and seed
    runs once)."""
    if args.epochs < 1:
        raise SystemExit(f"--epochs {args.epochs}: train at least 1 epoch "
                         f"(an untrained model's accuracy is not a record)")
    for name in ("seeds", "sampler"):
        values = getattr(args, name)
        unique = list(dict.fromkeys(values))
        if len(unique) != len(values):
            print(f"--{name} {' '.join(map(str, values))}: repeats "
                  f"dropped, running {' '.join(map(str, unique))}")
            setattr(args, name, unique)
    _check_device(args.device)


def _check_device(name: str) -> None:
    r"""Refuses a :obj:`--device` this process cannot use."""
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise SystemExit(f"--device {name}: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {name}: this torch build has no "
                         f"usable CUDA device; pass --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise SystemExit(f"--device {name}: MPS is not available "
                         f"here; pass --device cpu")
    if device.type == "cuda" and device.index is not None \
            and device.index >= torch.cuda.device_count():
        raise SystemExit(f"--device {name}: only "
                         f"{torch.cuda.device_count()} CUDA device(s)")


def _add_sampler_args(p: argparse.ArgumentParser) -> None:
    r"""The data set and batch sampler options."""
    p.add_argument("--dataset", default="MUTAG")
    p.add_argument("--root", default="data/TU",
                   help="where data sets are extracted and processed")
    p.add_argument("--tu-mirror", default=None,
                   help="folder of NAME.zip TU archives (else "
                        "$PYG_PROSAMPLER_TU_MIRROR, else download)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--num-neighbors", type=int, default=100)
    p.add_argument("--num-candidates", type=int, default=1000,
                   help="candidates M per node; 0 for the exact kNN graph")
    p.add_argument("--restart-prob", type=float, default=0.1)
    p.add_argument("--refresh-every", type=int, default=100)
    p.add_argument("--refresh", default="rolling", choices=REFRESHES,
                   help="rolling: recompute the rows fed since the last "
                        "refresh; full: rebuild the whole graph")
    p.add_argument("--coverage", default="cycle", choices=COVERAGES,
                   help="cycle: ceil(N/B) batches a pass, coverage across "
                        "passes; epoch: the paper's coverage epoch")
    p.add_argument("--seed", type=int, default=0)


def _add_negatives_args(p: argparse.ArgumentParser) -> None:
    r"""The negative sampler and its knobs."""
    p.add_argument("--negatives", default="inbatch", choices=list(NEGATIVES),
                   help="in-batch (the batch sampler decides), Ring, "
                        "SogCLR or EMC2 negatives (the last three with "
                        "--loss infonce)")
    p.add_argument("--ring-inner", type=float, default=0.01,
                   help="Ring: inner fraction of the similarity ranks")
    p.add_argument("--ring-outer", type=float, default=0.1,
                   help="Ring: final outer fraction")
    p.add_argument("--ring-anneal", default="linear", choices=ANNEALING,
                   help="Ring: annealing of the outer fraction from 100%%")
    p.add_argument("--ring-pool", default="bank", choices=POOLS,
                   help="Ring: the sampler's embedding table or the batch")
    p.add_argument("--gamma", type=float, default=0.9,
                   help="SogCLR/EMC2: moving-average weight of u")
    p.add_argument("--burn-in", type=float, default=0.5,
                   help="EMC2: fraction of each sweep discarded")


def add_output_args(p: argparse.ArgumentParser, out: str) -> None:
    r"""The options of a training command's records: :obj:`--out`,
    :obj:`--plot` and :obj:`--quiet`."""
    p.add_argument("--out", default=out,
                   help="JSON records file (appended; existing "
                        "configuration+seed records are skipped)")
    p.add_argument("--plot", default=None,
                   help="write a PNG of hardness per epoch and accuracy "
                        "per configuration from --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_training_args(p: argparse.ArgumentParser, losses: List[str],
                       lr: float, out: str) -> None:
    r"""The options the training commands share."""
    from pyg_prosampler.experiments.train_command import cmd_train

    _add_sampler_args(p)
    p.add_argument("--sampler", nargs="+", default=["prosampler"],
                   choices=list(SAMPLERS),
                   help="one or more samplers, run one after the other")
    p.add_argument("--loss", default=losses[0], choices=losses)
    p.add_argument("--temperature", type=float, default=0.2)
    _add_negatives_args(p)
    p.add_argument("--warmup-epochs", type=int, default=1)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--eval-epochs", type=int, nargs="+", default=[],
                   help="also evaluate after these epochs, each recorded "
                        "as the run of that many epochs (the training is "
                        "the same: only Ring's annealing depends on "
                        "--epochs, and is refused)")
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--features", default="auto", choices=FEATURES)
    p.add_argument("--device", default="cpu")
    add_output_args(p, out)
    p.add_argument("--checkpoint-dir", default=None,
                   help="save each run there after every epoch and resume "
                        "it from there when started again (the file is "
                        "removed once the run's record is written)")
    p.set_defaults(func=cmd_train)


def _add_model_size_args(p: argparse.ArgumentParser, hidden: int,
                         layers: int) -> None:
    r"""The model's width and depth."""
    p.add_argument("--hidden", type=int, default=hidden,
                   help=f"hidden width (default {hidden})")
    p.add_argument("--layers", type=int, default=layers,
                   help=f"layers (default {layers})")


def _add_graphcl_args(p: argparse.ArgumentParser, feeds: Sequence[str],
                      hidden: int, layers: int) -> None:
    r"""GraphCL's model size and choice of the embeddings fed to the
    sampler."""
    _add_model_size_args(p, hidden, layers)
    p.add_argument("--feed", default=feeds[0], choices=list(feeds),
                   help="embeddings fed to the sampler: the projection "
                        "head's (the loss's space, default) or the "
                        "encoder's")
