r"""The records of the training commands: what identifies a run (its key,
from the command line's options), what its record holds, where its
checkpoint goes, and how runs are printed."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from pyg_prosampler.experiments.evaluate import mean_std
from pyg_prosampler.experiments.graphcl import HIDDEN, NUM_LAYERS
from pyg_prosampler.experiments.memory import peak_memory
from pyg_prosampler.experiments.results import (
    append_record,
    loss_label,
    machine,
)

__all__ = ["Record", "NEGATIVES_FLAGS", "RunClock", "num_candidates_of",
           "sampler_params", "negatives_params", "model_params",
           "record_key", "run_record", "run_checkpoint", "report", "score",
           "score_line", "print_accuracy_table"]

Record = Dict[str, Any]
r"""A result record: a JSON object."""

NEGATIVES_FLAGS: Dict[str, Dict[str, str]] = {
    "inbatch": {},
    "ring": {"inner": "ring_inner", "outer": "ring_outer",
             "anneal": "ring_anneal", "pool": "ring_pool"},
    "sogclr": {"gamma": "gamma"},
    "emc2": {"gamma": "gamma", "burn_in": "burn_in"},
}
r"""Per negative sampler of the registry, the option (:obj:`args`
attribute) of each knob a record holds."""


@dataclass
class RunClock:
    r"""When a run started, and what its time and peak memory cover.

    Args:
        start (float): :func:`time.perf_counter` at the start.
        resumed_at_epoch (int): Epochs a checkpoint held (0: none).
        peak_since_run (bool): Whether the peak memory was reset at the
            start (else it counts from the process's start).
    """
    start: float
    resumed_at_epoch: int = 0
    peak_since_run: bool = False


def num_candidates_of(args: argparse.Namespace) -> Optional[int]:
    r""":obj:`--num-candidates`, 0 meaning the exact kNN graph
    (:obj:`None`)."""
    return None if args.num_candidates == 0 else args.num_candidates


def sampler_params(name: str, args: argparse.Namespace) -> Record:
    r"""The knobs that define a sampler's configuration, for the records."""
    if name == "uniform":
        return {}
    out = {"refresh_every": args.refresh_every,
           "warmup_epochs": args.warmup_epochs}
    # Records made before passes kept the DataLoader's length are the
    # "epoch" coverage with full rebuilds; only other values are recorded,
    # so those records still match their configuration.
    if args.coverage != "epoch":
        out["coverage"] = args.coverage
    if name == "prosampler":
        out.update(num_neighbors=args.num_neighbors,
                   num_candidates=num_candidates_of(args),
                   restart_prob=args.restart_prob)
        if args.refresh != "full":
            out["refresh"] = args.refresh
    return out


def negatives_params(args: argparse.Namespace) -> Record:
    r"""The knobs of the chosen negative sampler, for the records and
    :func:`~pyg_prosampler.contrastive.registry.make_negatives`."""
    return {knob: getattr(args, flag)
            for knob, flag in NEGATIVES_FLAGS[args.negatives].items()}


def model_params(args: argparse.Namespace) -> Optional[Record]:
    r"""The model's knobs for the records: MVGRL's size and diffusion;
    GraphCL's size only where it is not the default (records made before
    it was an option are of the default size, and still match)."""
    if args.command == "mvgrl":
        return {"hidden": args.hidden, "layers": args.layers,
                "ppr_alpha": args.ppr_alpha, "ppr_topk": args.ppr_topk}
    if (args.hidden, args.layers) == (HIDDEN, NUM_LAYERS):
        return None
    return {"hidden": args.hidden, "layers": args.layers}


def record_key(args: argparse.Namespace, name: str, seed: int) -> Record:
    r"""What identifies the run of sampler :obj:`name` and :obj:`seed`
    (see :func:`~pyg_prosampler.experiments.results.same_config`)."""
    key = {"dataset": args.dataset, "method": args.command, "sampler": name,
           "loss": args.loss, "seed": seed, "epochs": args.epochs,
           "batch_size": args.batch_size, "lr": args.lr,
           "sampler_params": sampler_params(name, args),
           "negatives": args.negatives,
           "negatives_params": negatives_params(args),
           "temperature": args.temperature}
    if args.command != "mvgrl":
        key["feed"] = args.feed
    params = model_params(args)
    if params is not None:
        key["model_params"] = params
    return key


def run_record(args: argparse.Namespace, key: Record,
               scores: Dict[str, Any], logs: List[Dict[str, float]],
               clock: RunClock) -> Record:
    r"""The record of a run (or of its first :obj:`len(logs)` epochs):
    :obj:`key`, the evaluation's :obj:`scores`, the logs, and the time and
    peak memory since :obj:`clock.start`."""
    wall = time.perf_counter() - clock.start
    record = {**key, **scores,
              "train_seconds": sum(e["train_seconds"] for e in logs),
              "sampling_seconds": sum(e["sampling_seconds"] for e in logs),
              "rebuild_seconds": sum(e["rebuild_seconds"] for e in logs),
              "wall_seconds": wall,
              **_run_peaks(logs, peak_memory(args.device)),
              "peak_memory_since": "run" if clock.peak_since_run
              else "process",
              "features": args.features, "epoch_logs": list(logs),
              "machine": machine()}
    if clock.resumed_at_epoch:  # wall_seconds covers this part only
        record["resumed_at_epoch"] = clock.resumed_at_epoch
    return record


def _run_peaks(logs: List[Dict[str, float]],
               now: Dict[str, float]) -> Dict[str, float]:
    r"""A run's peak memory: the highest of its epochs' logs (those of a
    resumed run's earlier process included) and of :obj:`now`, read after
    its evaluation."""
    return {k: max([v] + [e[k] for e in logs if k in e])
            for k, v in now.items()}


def run_checkpoint(folder: Optional[str], key: Record) -> Optional[str]:
    r"""The checkpoint file of the run whose record key is :obj:`key` in
    :obj:`folder` (named by data set, sampler, seed and a digest of the
    whole configuration), or :obj:`None` without a folder."""
    if not folder:
        return None
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode())
    return os.path.join(folder, f"{key['method']}-{key['dataset']}-"
                        f"{key['sampler']}-seed{key['seed']}-"
                        f"{digest.hexdigest()[:12]}.pt")


def report(args: argparse.Namespace, name: str, record: Record) -> None:
    r"""Prints a finished (part of a) run and appends its record to
    :obj:`--out`."""
    peak = (f", peak {record['peak_rss_gb']:.2f} GB"
            if "peak_rss_gb" in record else "")
    part = ("" if "evaluated_in_run_of_epochs" not in record
            else f" after {record['epochs']} epochs")
    print(f"{name} seed {record['seed']}{part}: {score_line(record)}, "
          f"{record['wall_seconds']:.1f} s{peak}")
    if args.out:
        append_record(args.out, record)


def score(record: Record) -> float:
    r"""The headline metric of a record: SVM accuracy, or test ROC-AUC of
    the OGB linear probe."""
    return record["accuracy"] if "accuracy" in record else record["rocauc"]


def score_line(scores: Record) -> str:
    r"""The headline metric of a record or evaluation, in words."""
    if "accuracy" in scores:
        return (f"accuracy {100 * scores['accuracy']:.2f} (± "
                f"{100 * scores['accuracy_std_folds']:.2f} over folds)")
    return (f"test ROC-AUC {100 * scores['rocauc']:.2f} (valid "
            f"{100 * scores['valid_rocauc']:.2f})")


def print_accuracy_table(records: List[Record]) -> None:
    r"""Score (mean ± std over seeds) per data set, sampler and loss."""
    groups: Dict[tuple, List[Record]] = {}
    for record in records:
        group = (record["dataset"], record["sampler"], loss_label(record))
        groups.setdefault(group, []).append(record)
    print(f"{'data set':<14}{'sampler':<12}{'loss':<9}{'seeds':>6}"
          f"{'score %':>16}{'same-class':>12}")
    for (dataset, sampler, loss), runs in groups.items():
        mean, std = mean_std([100 * score(r) for r in runs])
        same = [e.get("same_class", float("nan"))
                for r in runs for e in r["epoch_logs"]]
        print(f"{dataset:<14}{sampler:<12}{loss:<9}{len(runs):>6}"
              f"{mean:>10.2f} ± {std:<4.2f}{sum(same) / len(same):>12.3f}")
