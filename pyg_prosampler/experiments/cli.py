r"""Command line: ``python -m pyg_prosampler <command> ...``."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from typing import TYPE_CHECKING, Dict, List, Optional

import torch
from torch import Tensor
from torch_geometric.loader import DataLoader

from pyg_prosampler.contrastive.models import GINEncoder
from pyg_prosampler.datasets import load_tu
from pyg_prosampler.diagnostics import batch_hardness
from pyg_prosampler.experiments.checkpoint import saved_epochs
from pyg_prosampler.experiments.memory import peak_memory, reset_peak_memory
from pyg_prosampler.experiments.results import write_new_json
from pyg_prosampler.samplers import (
    EmbeddingBatchSampler,
    KNNBatchSampler,
    ProximityBatchSampler,
    UniformBatchSampler,
)
from pyg_prosampler.samplers.embedding_batch_sampler import COVERAGES
from pyg_prosampler.samplers.proximity_batch_sampler import REFRESHES

if TYPE_CHECKING:
    from pyg_prosampler.experiments.training import OnEpoch


@torch.no_grad()
def embed_dataset(dataset, seed: int = 0, batch_size: int = 256) -> Tensor:
    r"""Graph embeddings of a data set from a GraphCL GIN encoder at its
    seeded random initialisation (no training), standardised per dimension
    (raw sum-pooled ReLU outputs all point the same way)."""
    torch.manual_seed(seed)
    encoder = GINEncoder(dataset.num_features).eval()
    out = [encoder(b.x, b.edge_index, b.batch)[0]
           for b in DataLoader(dataset, batch_size=batch_size)]
    z = torch.cat(out)
    return (z - z.mean(0)) / z.std(0).clamp(min=1e-6)


def make_sampler(name: str, num: int, args: argparse.Namespace,
                 embeddings: Optional[Tensor] = None,
                 warmup_epochs: int = 0) -> EmbeddingBatchSampler:
    r"""The sampler named on the command line, with its knobs."""
    if name == "uniform":
        return UniformBatchSampler(num, args.batch_size, seed=args.seed)
    if name == "knn":
        return KNNBatchSampler(num, args.batch_size,
                               refresh_every=args.refresh_every,
                               warmup_epochs=warmup_epochs,
                               embeddings=embeddings,
                               coverage=args.coverage, seed=args.seed)
    if name == "prosampler":
        return ProximityBatchSampler(
            num, args.batch_size,
            num_neighbors=min(args.num_neighbors, num - 1),
            num_candidates=args.num_candidates,
            restart_prob=args.restart_prob,
            refresh_every=args.refresh_every, refresh=args.refresh,
            warmup_epochs=warmup_epochs, embeddings=embeddings,
            coverage=args.coverage, seed=args.seed)
    raise ValueError(f"unknown sampler {name!r}")


def add_sampler_args(p: argparse.ArgumentParser) -> None:
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


def cmd_batches(args: argparse.Namespace) -> List[dict]:
    r"""One epoch of each sampler over the graph embeddings of a TU set, and
    how hard its batches are."""
    if args.num_candidates == 0:
        args.num_candidates = None
    if args.out and os.path.exists(args.out):
        raise SystemExit(f"--out {args.out} exists; this command writes a "
                         f"new file and never overwrites one: pass another "
                         f"path or move that file")
    dataset = load_tu(args.dataset, args.root, args.tu_mirror)
    z = embed_dataset(dataset, args.seed)
    y = dataset._data.y
    rows = []
    for name in ("uniform", "prosampler", "knn"):
        sampler = make_sampler(name, len(dataset), args, embeddings=z)
        t = time.perf_counter()
        batches = list(sampler)
        seconds = time.perf_counter() - t
        rows.append({"sampler": name, "batches": len(batches),
                     **batch_hardness(batches, z, y), "seconds": seconds,
                     "filled_batches": sampler.stats.get("num_filled", 0.0)})
    print(f"{args.dataset}: {len(dataset)} graphs, embeddings "
          f"{tuple(z.shape)} (GIN at random init, seed {args.seed}), "
          f"batch size {args.batch_size}")
    print(f"{'sampler':<12}{'batches':>8}{'mean cos':>10}{'same class':>12}"
          f"{'seconds':>9}")
    for r in rows:
        print(f"{r['sampler']:<12}{r['batches']:>8}{r['mean_cosine']:>10.3f}"
              f"{r['same_class']:>12.3f}{r['seconds']:>9.3f}")
    if args.out:
        write_new_json(args.out, rows)
    return rows


def load_for(args: argparse.Namespace):
    r"""The data set of a training command: GraphCL's node features, or
    MVGRL's (one-hot degree where a set has no node labels) with the
    cached PPR view."""
    if args.command == "graphcl":
        return load_tu(args.dataset, args.root, args.tu_mirror,
                       features=args.features)
    if args.command == "ogb":
        from pyg_prosampler.datasets import load_ogb
        return load_ogb(args.dataset, args.root, args.ogb_mirror)
    import os.path as osp

    from pyg_prosampler.datasets import DiffusionViewDataset

    features = args.features
    if features == "auto":
        probe = load_tu(args.dataset, args.root, args.tu_mirror, "none")
        features = "none" if probe.num_node_features > 0 else "degree"
    base = load_tu(args.dataset, args.root, args.tu_mirror, features,
                   max_degree=args.max_degree)
    cache = osp.join(args.root, args.dataset, "processed",
                     f"ppr_alpha{args.ppr_alpha}_top{args.ppr_topk}.pt")
    return DiffusionViewDataset(base, cache, args.ppr_alpha, args.ppr_topk)


def train_for(args: argparse.Namespace, dataset, sampler, seed: int,
              labels, checkpoint: Optional[str] = None,
              on_epoch: Optional[OnEpoch] = None) -> tuple:
    r"""Trains the command's model (saved to and resumed from
    :obj:`checkpoint` when given, :obj:`on_epoch` as in
    :func:`~pyg_prosampler.experiments.training.fit`); returns it, its logs and
    its
    evaluation."""
    from pyg_prosampler.experiments import training

    common = dict(loss=args.loss, negatives=args.negatives,
                  negatives_params=negatives_params(args),
                  temperature=args.temperature, epochs=args.epochs,
                  lr=args.lr, seed=seed, device=args.device, labels=labels,
                  progress=not args.quiet, checkpoint=checkpoint,
                  on_epoch=on_epoch)
    if args.command in ("graphcl", "ogb"):
        model, logs = training.train_graphcl(dataset, sampler,
                                             feed=args.feed, **common)
    else:
        model, logs = training.train_mvgrl(
            dataset, sampler, hidden=args.hidden, num_layers=args.layers,
            **common)
    return model, logs, evaluate_for(args, model, dataset, seed)


def evaluate_for(args: argparse.Namespace, model, dataset,
                 seed: int) -> dict:
    r"""The command's evaluation of a (part-)trained model: the SVM
    protocol, or the OGB linear probe."""
    from pyg_prosampler.experiments import training

    if args.command == "graphcl":
        return training.evaluate_graphcl(model, dataset, seed, args.device,
                                         progress=not args.quiet)
    if args.command == "ogb":
        from pyg_prosampler.experiments.evaluate import linear_probe_rocauc

        z = training.embed_graphs(model, dataset, args.device)
        return linear_probe_rocauc(z, dataset._data.y,
                                   dataset.get_idx_split(), args.dataset,
                                   seed)
    return training.evaluate_mvgrl(model, dataset, seed, args.device,
                                   progress=not args.quiet)


def check_run_args(args: argparse.Namespace) -> None:
    r"""Refuses, before any work, what would train nothing or record a run
    twice: epochs below 1, an unavailable device; repeated seeds and
    samplers are collapsed (each configuration and seed runs once)."""
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
    try:
        device = torch.device(args.device)
    except RuntimeError as e:
        raise SystemExit(f"--device {args.device}: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: this torch build has no "
                         f"usable CUDA device; pass --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise SystemExit(f"--device {args.device}: MPS is not available "
                         f"here; pass --device cpu")
    if device.type == "cuda" and device.index is not None \
            and device.index >= torch.cuda.device_count():
        raise SystemExit(f"--device {args.device}: only "
                         f"{torch.cuda.device_count()} CUDA device(s)")


def cmd_train(args: argparse.Namespace) -> List[dict]:
    r"""Pre-training (GraphCL or MVGRL) with each sampler named, then the
    SVM protocol, for each seed; records appended to :obj:`--out`; prints
    the accuracy table of the requested samplers and seeds."""
    from pyg_prosampler.datasets import graph_labels
    from pyg_prosampler.experiments.results import load_records, same_config

    if args.num_candidates == 0:
        args.num_candidates = None
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
    dataset = load_for(args)
    if args.command == "ogb":  # single-task sets: log same-class pairs
        y = dataset._data.y
        labels = y.view(-1).long() if y.size(1) == 1 \
            and not y.isnan().any() else None
    else:
        labels = graph_labels(dataset)
    existing = load_records(args.out) if args.out else []
    model_params = None if args.command in ("graphcl", "ogb") else {
        "hidden": args.hidden, "layers": args.layers,
        "ppr_alpha": args.ppr_alpha, "ppr_topk": args.ppr_topk}
    table: List[dict] = []
    for name in args.sampler:
        params = sampler_params(name, args)
        for seed in args.seeds:
            args.seed = seed
            key = {"dataset": args.dataset, "method": args.command,
                   "sampler": name, "loss": args.loss, "seed": seed,
                   "epochs": args.epochs, "batch_size": args.batch_size,
                   "lr": args.lr, "sampler_params": params,
                   "negatives": args.negatives,
                   "negatives_params": negatives_params(args),
                   "temperature": args.temperature}
            if model_params is not None:
                key["model_params"] = model_params
            else:
                key["feed"] = args.feed
            keys = [{**key, "epochs": e} for e in args.eval_epochs] + [key]
            old = [r for r in existing if same_config(r, key)]
            if old and all(any(same_config(r, k) for r in existing)
                           for k in keys):
                print(f"{name} seed {seed}: already in {args.out}, skipped")
                table.append(old[0])
                continue
            sampler = make_sampler(name, len(dataset), args,
                                   warmup_epochs=args.warmup_epochs)
            checkpoint = run_checkpoint(args.checkpoint_dir, key)
            resumed_at = saved_epochs(checkpoint) if checkpoint else 0
            from_run = reset_peak_memory(args.device)
            t = time.perf_counter()
            run = {"resumed_at": resumed_at, "from_run": from_run,
                   "start": t}
            _, logs, res = train_for(
                args, dataset, sampler, seed, labels, checkpoint,
                milestone_recorder(args, dataset, name, key, run, existing)
                if args.eval_epochs else None)
            record = run_record(args, key, res, logs, run)
            if old:
                print(f"{name} seed {seed}: {args.epochs} epochs already in "
                      f"{args.out}, not appended again")
            else:
                report(args, name, record)
            if checkpoint:
                os.remove(checkpoint)
            table.append(old[0] if old else record)
    print_accuracy_table(table)
    if args.plot and args.out:
        from pyg_prosampler.experiments.plots import plot_results
        print(f"plot: {plot_results(args.out, args.plot)}")
    return table


def milestone_recorder(args: argparse.Namespace, dataset, name: str,
                       key: dict, run: dict,
                       existing: List[dict]) -> OnEpoch:
    r"""The :obj:`on_epoch` callback of :obj:`--eval-epochs`: after each
    of those epochs, the model is evaluated and recorded as the run of
    that many epochs (unless :obj:`existing`, the records of
    :obj:`--out`, hold it already, e.g. from a resumed run), marked with
    the length of the run it was taken from."""
    from pyg_prosampler.experiments.results import same_config

    def record(model: torch.nn.Module, logs: List[dict]) -> None:
        if len(logs) not in args.eval_epochs:
            return
        part = {**key, "epochs": len(logs)}
        if any(same_config(r, part) for r in existing):
            return
        res = evaluate_for(args, model, dataset, key["seed"])
        out = run_record(args, part, res, logs, run)
        out["evaluated_in_run_of_epochs"] = args.epochs
        report(args, name, out)

    return record


def run_record(args: argparse.Namespace, key: dict, res: dict,
               logs: List[dict], run: dict) -> dict:
    r"""The record of a run (or of its first :obj:`len(logs)` epochs):
    :obj:`key`, the evaluation :obj:`res`, the logs, and the time and
    peak memory since :obj:`run["start"]`."""
    from pyg_prosampler.experiments.results import machine

    wall = time.perf_counter() - run["start"]
    record = {**key, **res,
              "train_seconds": sum(e["train_seconds"] for e in logs),
              "sampling_seconds": sum(e["sampling_seconds"] for e in logs),
              "rebuild_seconds": sum(e["rebuild_seconds"] for e in logs),
              "wall_seconds": wall,
              **run_peaks(logs, peak_memory(args.device)),
              "peak_memory_since": "run" if run["from_run"] else "process",
              "features": args.features, "epoch_logs": list(logs),
              "machine": machine()}
    if run["resumed_at"]:  # wall_seconds covers this part only
        record["resumed_at_epoch"] = run["resumed_at"]
    return record


def report(args: argparse.Namespace, name: str, record: dict) -> None:
    r"""Prints a finished (part of a) run and appends its record to
    :obj:`--out`."""
    from pyg_prosampler.experiments.results import append_record

    peak = (f", peak {record['peak_rss_gb']:.2f} GB"
            if "peak_rss_gb" in record else "")
    part = ("" if "evaluated_in_run_of_epochs" not in record
            else f" after {record['epochs']} epochs")
    print(f"{name} seed {record['seed']}{part}: {score_line(record)}, "
          f"{record['wall_seconds']:.1f} s{peak}")
    if args.out:
        append_record(args.out, record)


def run_peaks(logs: List[dict], now: Dict[str, float]) -> Dict[str, float]:
    r"""A run's peak memory: the highest of its epochs' logs (those of a
    resumed run's earlier process included) and of :obj:`now`, read after
    its evaluation."""
    return {k: max([v] + [e[k] for e in logs if k in e])
            for k, v in now.items()}


def run_checkpoint(folder: Optional[str], key: dict) -> Optional[str]:
    r"""The checkpoint file of the run whose record key is :obj:`key` in
    :obj:`folder` (named by data set, sampler, seed and a digest of the
    whole configuration), or :obj:`None` without a folder."""
    if not folder:
        return None
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode())
    return os.path.join(folder, f"{key['method']}-{key['dataset']}-"
                        f"{key['sampler']}-seed{key['seed']}-"
                        f"{digest.hexdigest()[:12]}.pt")


def score(record: dict) -> float:
    r"""The headline metric of a record: SVM accuracy, or test ROC-AUC of
    the OGB linear probe."""
    return record["accuracy"] if "accuracy" in record else record["rocauc"]


def score_line(res: dict) -> str:
    if "accuracy" in res:
        return (f"accuracy {100 * res['accuracy']:.2f} (± "
                f"{100 * res['accuracy_std_folds']:.2f} over folds)")
    return (f"test ROC-AUC {100 * res['rocauc']:.2f} (valid "
            f"{100 * res['valid_rocauc']:.2f})")


def print_accuracy_table(records: List[dict]) -> None:
    r"""Accuracy (mean ± std over seeds) per data set, sampler and loss."""
    from pyg_prosampler.experiments.evaluate import mean_std
    from pyg_prosampler.experiments.results import loss_label

    groups: dict = {}
    for r in records:
        key = (r["dataset"], r["sampler"], loss_label(r))
        groups.setdefault(key, []).append(r)
    print(f"{'data set':<14}{'sampler':<12}{'loss':<9}{'seeds':>6}"
          f"{'score %':>16}{'same-class':>12}")
    for (ds, sampler, loss), recs in groups.items():
        mean, std = mean_std([100 * score(r) for r in recs])
        same = [e.get("same_class", float("nan"))
                for r in recs for e in r["epoch_logs"]]
        print(f"{ds:<14}{sampler:<12}{loss:<9}{len(recs):>6}"
              f"{mean:>10.2f} ± {std:<4.2f}{sum(same) / len(same):>12.3f}")


def negatives_params(args: argparse.Namespace) -> dict:
    r"""The knobs of the chosen negative sampler, for the records and
    :func:`make_negatives`."""
    if args.negatives == "ring":
        return {"inner": args.ring_inner, "outer": args.ring_outer,
                "anneal": args.ring_anneal, "pool": args.ring_pool}
    if args.negatives == "sogclr":
        return {"gamma": args.gamma}
    if args.negatives == "emc2":
        return {"gamma": args.gamma, "burn_in": args.burn_in}
    return {}


def sampler_params(name: str, args: argparse.Namespace) -> dict:
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
                   num_candidates=args.num_candidates,
                   restart_prob=args.restart_prob)
        if args.refresh != "full":
            out["refresh"] = args.refresh
    return out


def add_training_args(p: argparse.ArgumentParser, losses: List[str],
                      lr: float, out: str) -> None:
    r"""The options the training commands share."""
    add_sampler_args(p)
    p.add_argument("--sampler", nargs="+", default=["prosampler"],
                   choices=["uniform", "knn", "prosampler"],
                   help="one or more samplers, run one after the other")
    p.add_argument("--loss", default=losses[0], choices=losses)
    p.add_argument("--temperature", type=float, default=0.2)
    p.add_argument("--negatives", default="inbatch",
                   choices=["inbatch", "ring", "sogclr", "emc2"],
                   help="in-batch (the batch sampler decides), Ring, "
                        "SogCLR or EMC2 negatives (the last three with "
                        "--loss infonce)")
    p.add_argument("--ring-inner", type=float, default=0.01,
                   help="Ring: inner fraction of the similarity ranks")
    p.add_argument("--ring-outer", type=float, default=0.1,
                   help="Ring: final outer fraction")
    p.add_argument("--ring-anneal", default="linear",
                   choices=["none", "linear", "exp", "step"],
                   help="Ring: annealing of the outer fraction from 100%%")
    p.add_argument("--ring-pool", default="bank", choices=["bank", "batch"],
                   help="Ring: the sampler's embedding table or the batch")
    p.add_argument("--gamma", type=float, default=0.9,
                   help="SogCLR/EMC2: moving-average weight of u")
    p.add_argument("--burn-in", type=float, default=0.5,
                   help="EMC2: fraction of each sweep discarded")
    p.add_argument("--warmup-epochs", type=int, default=1)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--eval-epochs", type=int, nargs="+", default=[],
                   help="also evaluate after these epochs, each recorded "
                        "as the run of that many epochs (the training is "
                        "the same: only Ring's annealing depends on "
                        "--epochs, and is refused)")
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--features", default="auto",
                   choices=["auto", "constant", "degree", "none"])
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=out,
                   help="JSON records file (appended; existing "
                        "configuration+seed records are skipped)")
    p.add_argument("--plot", default=None,
                   help="write a PNG of hardness per epoch and accuracy "
                        "per configuration from --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--checkpoint-dir", default=None,
                   help="save each run there after every epoch and resume "
                        "it from there when started again (the file is "
                        "removed once the run's record is written)")
    p.set_defaults(func=cmd_train)


def add_feed_arg(p: argparse.ArgumentParser) -> None:
    r"""GraphCL's choice of the embeddings fed to the sampler."""
    p.add_argument("--feed", default="projection",
                   choices=["projection", "encoder"],
                   help="embeddings fed to the sampler: the projection "
                        "head's (the loss's space, default) or the "
                        "encoder's")


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pyg_prosampler")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("batches", help="sample one epoch with each sampler "
                       "and print how hard the batches are")
    add_sampler_args(p)
    p.add_argument("--out", default=None, help="write the table as JSON")
    p.set_defaults(func=cmd_batches)

    p = sub.add_parser("graphcl", help="GraphCL pre-training + SVC "
                       "evaluation with a chosen sampler and loss")
    add_training_args(p, losses=["infonce", "dcl", "hcl"], lr=0.01,
                      out="results/graphcl.json")
    add_feed_arg(p)
    p = sub.add_parser("mvgrl", help="MVGRL pre-training + LinearSVC "
                       "evaluation with a chosen sampler")
    add_training_args(p, losses=["jsd", "infonce"], lr=0.001,
                      out="results/mvgrl.json")
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--ppr-alpha", type=float, default=0.2)
    p.add_argument("--ppr-topk", type=int, default=32,
                   help="PPR entries kept per node")
    p.add_argument("--max-degree", type=int, default=64,
                   help="cap of the one-hot degree features")
    p = sub.add_parser("ogb", help="GraphCL pre-training on an ogbg-mol* "
                       "set + linear probe, test ROC-AUC (OGB Evaluator, "
                       "scaffold split)")
    add_training_args(p, losses=["infonce", "dcl", "hcl"], lr=0.01,
                      out="results/ogb.json")
    add_feed_arg(p)
    p.add_argument("--ogb-mirror", default=None,
                   help="folder of ogbg_NAME.zip archives (else "
                        "$PYG_PROSAMPLER_OGB_MIRROR, else download)")
    p.set_defaults(dataset="ogbg-molbace", root="data/OGB")
    from pyg_prosampler.experiments.grace_cli import add_grace_parser
    add_grace_parser(sub)
    args = parser.parse_args(argv)
    args.func(args)
