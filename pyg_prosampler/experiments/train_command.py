r"""``python -m pyg_prosampler graphcl|mvgrl|ogb``: pre-training with each
sampler named and each seed, its evaluation, one record per run appended
to :obj:`--out` (runs already there are skipped), and the score table."""
from __future__ import annotations

import argparse
import os
import time
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from pyg_prosampler.contrastive.registry import make_sampler
from pyg_prosampler.datasets import graph_labels, load_tu
from pyg_prosampler.experiments.checkpoint import saved_epochs
from pyg_prosampler.experiments.cli import check_run_args
from pyg_prosampler.experiments.hooks import EpochLog, OnEpoch
from pyg_prosampler.experiments.memory import reset_peak_memory
from pyg_prosampler.experiments.results import load_records, same_config
from pyg_prosampler.experiments.run_records import (
    Record,
    RunClock,
    negatives_params,
    num_candidates_of,
    print_accuracy_table,
    record_key,
    report,
    run_checkpoint,
    run_record,
)
from pyg_prosampler.samplers import EmbeddingBatchSampler

__all__ = ["cmd_train", "load_for", "labels_for", "sampler_for",
           "train_for", "evaluate_for", "milestone_recorder"]


def cmd_train(args: argparse.Namespace) -> List[Record]:
    r"""Pre-training (GraphCL or MVGRL) with each sampler named, then its
    evaluation, for each seed; records appended to :obj:`--out`; prints
    the score table of the requested samplers and seeds."""
    _check_train_args(args)
    dataset = load_for(args)
    labels = labels_for(args, dataset)
    existing = load_records(args.out) if args.out else []
    table = [_run_or_skip(args, dataset, labels, name, seed, existing)
             for name in args.sampler for seed in args.seeds]
    print_accuracy_table(table)
    if args.plot and args.out:
        from pyg_prosampler.experiments.plots import plot_results
        print(f"plot: {plot_results(args.out, args.plot)}")
    return table


def _check_train_args(args: argparse.Namespace) -> None:
    r"""Refuses, before any work, what :func:`check_run_args` refuses and
    part-way evaluations that would not be the shorter runs."""
    check_run_args(args)
    if any(not 0 < e < args.epochs for e in args.eval_epochs):
        raise SystemExit(f"--eval-epochs {args.eval_epochs}: each must lie "
                         f"between 1 and --epochs - 1 ({args.epochs - 1}); "
                         f"the last epoch is always evaluated")
    if args.eval_epochs and args.negatives == "ring" \
            and args.ring_anneal != "none":
        raise SystemExit("--eval-epochs with Ring negatives needs "
                         "--ring-anneal none: the annealing spans --epochs, "
                         "so a part-way evaluation is not the shorter run")


def _run_or_skip(args: argparse.Namespace, dataset: Any,
                 labels: Optional[Tensor], name: str, seed: int,
                 existing: List[Record]) -> Record:
    r"""The record of the run of sampler :obj:`name` and :obj:`seed`:
    the one in :obj:`existing` (the records of :obj:`--out`) if it holds
    it and every part-way one asked for, else a new run's (appended)."""
    key = record_key(args, name, seed)
    keys = [{**key, "epochs": e} for e in args.eval_epochs] + [key]
    old = [r for r in existing if same_config(r, key)]
    if old and all(any(same_config(r, k) for r in existing) for k in keys):
        print(f"{name} seed {seed}: already in {args.out}, skipped")
        return old[0]
    sampler = sampler_for(args, name, len(dataset), seed)
    checkpoint = run_checkpoint(args.checkpoint_dir, key)
    clock = RunClock(
        resumed_at_epoch=saved_epochs(checkpoint) if checkpoint else 0,
        peak_since_run=reset_peak_memory(args.device),
        start=time.perf_counter())
    on_epoch = (milestone_recorder(args, dataset, name, key, clock,
                                   existing) if args.eval_epochs else None)
    _, logs, scores = train_for(args, dataset, sampler, seed, labels,
                                checkpoint, on_epoch)
    record = run_record(args, key, scores, logs, clock)
    if old:
        print(f"{name} seed {seed}: {args.epochs} epochs already in "
              f"{args.out}, not appended again")
    else:
        report(args, name, record)
    if checkpoint:
        os.remove(checkpoint)
    return old[0] if old else record


def load_for(args: argparse.Namespace) -> Any:
    r"""The data set of a training command: GraphCL's node features, an
    OGB set, or MVGRL's (one-hot degree where a set has no node labels)
    with the cached PPR view."""
    if args.command == "graphcl":
        return load_tu(args.dataset, args.root, args.tu_mirror,
                       features=args.features)
    if args.command == "ogb":
        from pyg_prosampler.datasets import load_ogb
        return load_ogb(args.dataset, args.root, args.ogb_mirror)
    from pyg_prosampler.datasets import DiffusionViewDataset

    features = args.features
    if features == "auto":
        probe = load_tu(args.dataset, args.root, args.tu_mirror, "none")
        features = "none" if probe.num_node_features > 0 else "degree"
    base = load_tu(args.dataset, args.root, args.tu_mirror, features,
                   max_degree=args.max_degree)
    cache = os.path.join(args.root, args.dataset, "processed",
                         f"ppr_alpha{args.ppr_alpha}_top{args.ppr_topk}.pt")
    return DiffusionViewDataset(base, cache, args.ppr_alpha, args.ppr_topk)


def labels_for(args: argparse.Namespace, dataset: Any) -> Optional[Tensor]:
    r"""The classes the same-class log counts: the graph labels, or an
    OGB set's single task's (none for multi-task or partly labelled
    sets)."""
    if args.command != "ogb":
        return graph_labels(dataset)
    y = dataset._data.y
    if y.size(1) == 1 and not y.isnan().any():
        return y.view(-1).long()
    return None


def sampler_for(args: argparse.Namespace, name: str, num_instances: int,
                seed: int) -> EmbeddingBatchSampler:
    r"""The batch sampler :obj:`name` with the command line's knobs."""
    return make_sampler(
        name, num_instances, args.batch_size, seed=seed,
        warmup_epochs=args.warmup_epochs, refresh_every=args.refresh_every,
        coverage=args.coverage, num_neighbors=args.num_neighbors,
        num_candidates=num_candidates_of(args),
        restart_prob=args.restart_prob, refresh=args.refresh)


def train_for(args: argparse.Namespace, dataset: Any,
              sampler: EmbeddingBatchSampler, seed: int,
              labels: Optional[Tensor], checkpoint: Optional[str] = None,
              on_epoch: Optional[OnEpoch] = None
              ) -> Tuple[torch.nn.Module, List[EpochLog], Dict[str, Any]]:
    r"""Trains the command's model (saved to and resumed from
    :obj:`checkpoint` when given, :obj:`on_epoch` after every epoch);
    returns it, its logs and its evaluation."""
    common = dict(loss=args.loss, negatives=args.negatives,
                  negatives_params=negatives_params(args),
                  hidden=args.hidden, num_layers=args.layers,
                  temperature=args.temperature, epochs=args.epochs,
                  lr=args.lr, seed=seed, device=args.device, labels=labels,
                  progress=not args.quiet, checkpoint=checkpoint,
                  on_epoch=on_epoch)
    if args.command == "mvgrl":
        from pyg_prosampler.experiments.mvgrl import train_mvgrl
        model, logs = train_mvgrl(dataset, sampler, **common)
    else:
        from pyg_prosampler.experiments.graphcl import train_graphcl
        model, logs = train_graphcl(dataset, sampler, feed=args.feed,
                                    **common)
    return model, logs, evaluate_for(args, model, dataset, seed)


def evaluate_for(args: argparse.Namespace, model: torch.nn.Module,
                 dataset: Any, seed: int) -> Dict[str, Any]:
    r"""The command's evaluation of a (part-)trained model: the SVM
    protocol, or the OGB linear probe."""
    if args.command == "mvgrl":
        from pyg_prosampler.experiments.mvgrl import evaluate_mvgrl
        return evaluate_mvgrl(model, dataset, seed, args.device,
                              progress=not args.quiet)
    from pyg_prosampler.experiments.graphcl import (
        embed_graphs,
        evaluate_graphcl,
    )
    if args.command == "graphcl":
        return evaluate_graphcl(model, dataset, seed, args.device,
                                progress=not args.quiet)
    from pyg_prosampler.experiments.evaluate import linear_probe_rocauc

    z = embed_graphs(model, dataset, args.device)
    return linear_probe_rocauc(z, dataset._data.y, dataset.get_idx_split(),
                               args.dataset, seed)


def milestone_recorder(args: argparse.Namespace, dataset: Any, name: str,
                       key: Record, clock: RunClock,
                       existing: List[Record]) -> OnEpoch:
    r"""The :obj:`on_epoch` callback of :obj:`--eval-epochs`: after each
    of those epochs, the model is evaluated and recorded as the run of
    that many epochs (unless :obj:`existing`, the records of
    :obj:`--out`, hold it already, e.g. from a resumed run), marked with
    the length of the run it was taken from."""
    def record(model: torch.nn.Module, logs: List[EpochLog]) -> None:
        if len(logs) not in args.eval_epochs:
            return
        part = {**key, "epochs": len(logs)}
        if any(same_config(r, part) for r in existing):
            return
        scores = evaluate_for(args, model, dataset, key["seed"])
        out = run_record(args, part, scores, logs, clock)
        out["evaluated_in_run_of_epochs"] = args.epochs
        report(args, name, out)

    return record
