r"""GraphCL pre-training with any batch sampler, and its evaluation."""
from __future__ import annotations

import dataclasses
import math
import numbers
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader
from tqdm.auto import tqdm

from pyg_prosampler._validation import check_positive_int
from pyg_prosampler.contrastive.augment import Graphs, random_augment
from pyg_prosampler.contrastive.losses import local_global_jsd
from pyg_prosampler.contrastive.models import MVGRL, GraphCL
from pyg_prosampler.contrastive.negatives import (
    NEGATIVES,
    EMC2Loss,
    InBatchNegatives,
    RingNegatives,
    SogCLRLoss,
)
from pyg_prosampler.datasets import graph_labels
from pyg_prosampler.diagnostics import pair_mean
from pyg_prosampler.experiments.checkpoint import (
    capture,
    global_rng_state,
    load_checkpoint,
    restore,
    save_checkpoint,
    set_global_rng_state,
)
from pyg_prosampler.experiments.evaluate import svm_accuracy
from pyg_prosampler.experiments.memory import peak_memory
from pyg_prosampler.loader import ProximityLoader
from pyg_prosampler.samplers import EmbeddingBatchSampler


def _forever(loader: ProximityLoader,
             first: Optional[Iterator[Any]] = None) -> Iterator[Any]:
    if first is not None:
        yield from first
    while True:
        yield from loader


Step = Callable[[Batch], Tuple[Tensor, Tensor]]
OnEpoch = Callable[[torch.nn.Module, List[Dict[str, float]]], None]
FEEDS = ("projection", "encoder")


def fit(
    model: torch.nn.Module,
    dataset,
    sampler: EmbeddingBatchSampler,
    step: Step,
    *,
    epochs: int = 20,
    lr: float = 0.01,
    device: str | torch.device = "cpu",
    labels: Optional[Tensor] = None,
    progress: bool = True,
    desc: str = "train",
    checkpoint: Optional[str] = None,
    state: Optional[Dict[str, Any]] = None,
    on_epoch: Optional[OnEpoch] = None,
    config: Optional[Dict[str, Any]] = None,
) -> List[Dict[str, float]]:
    r"""The contrastive training loop shared by the models: batches from
    :obj:`sampler` (through a :class:`ProximityLoader`), :obj:`step(batch)`
    returning the loss and the :obj:`[B, d]` embeddings to feed back to the
    sampler, Adam, and per-epoch logs.

    The budget is :obj:`epochs * ceil(N / B)` steps whatever the sampler,
    as in the ProSampler code, so samplers are compared at equal compute (a
    ProSampler coverage epoch has more batches than :obj:`N / B`).

    With :obj:`checkpoint`, the run is saved to that file after every
    epoch (model, optimiser, sampler mid-epoch included, the global random
    generators, the objects of :obj:`state` and the logs) and resumed from
    it when it exists, so that a run stopped and started again ends with
    the same weights and logs as one that was never stopped (tested).  The
    file is left in place at the end; a finished checkpoint makes
    :func:`fit` load the final weights and return at once.

    :obj:`on_epoch(model, logs)` is called after every epoch (the number
    done is :obj:`len(logs)`), before the checkpoint is saved, e.g. to
    evaluate the model part-way.  What it draws from the global random
    generators is undone (and every epoch starts in training mode), so a
    run with it trains exactly as one without (tested).

    Args:
        model (torch.nn.Module): The model :obj:`step` trains (Adam over all
            its parameters).
        dataset: PyG data set of graphs.
        sampler (EmbeddingBatchSampler): Batch sampler over the data set.
        step (callable): :obj:`step(batch) -> (loss, embeddings)`.
        epochs (int, optional): Budget in uniform epochs. (default: 20)
        lr (float, optional): Adam learning rate. (default: 0.01)
        device (str, optional): Where batches go. (default: :obj:`"cpu"`)
        labels (torch.Tensor, optional): Graph labels, for the same-class
            log only.
        progress (bool, optional): Show a progress bar. (default: True)
        desc (str, optional): The bar's label.
        checkpoint (str, optional): File to save to and resume from.
        state (dict, optional): The step's other stateful objects, by name:
            modules (e.g. a loss with buffers) and :class:`torch.Generator`
            objects (e.g. of the augmentations), saved with the run.
        on_epoch (callable, optional): :obj:`on_epoch(model, logs)` after
            every epoch.
        config (dict, optional): What else defines the run (seed, loss,
            negatives, ...), saved with the checkpoint beside the learning
            rate, budget, sampler knobs and parameter shapes; a checkpoint
            of another configuration is refused instead of resumed.

    Returns:
        One dict per epoch: loss, mean in-batch cosine of the fed
        embeddings, same-class pair fraction (with :obj:`labels`, which are
        never used to train), seconds of training, sampling, graph
        rebuilding and collation, the mean and largest node count of a
        batch (what activation memory grows with), and the process's peak
        memory so far
        (:func:`pyg_prosampler.experiments.memory.peak_memory`: host, and CUDA
        when
        training there; :obj:`fit` never resets it, the caller may).
    """
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) \
            or not 0 < float(lr) < math.inf:
        raise ValueError(f"`lr` must be a finite number > 0, got {lr!r}")
    check_positive_int(epochs, "epochs")
    lr, epochs = float(lr), int(epochs)  # plain numbers in the checkpoint
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = ProximityLoader(dataset, batch_sampler=sampler)
    steps = -(-len(dataset) // sampler.batch_size)
    num_classes = int(labels.max()) + 1 if labels is not None else 0
    state = dict(state or {})
    logs: List[Dict[str, float]] = []
    first = None
    run_config = plain({"lr": lr, **sampler_config(sampler),
                  "dataset": {"len": len(dataset), "num_features": getattr(
                      dataset, "num_features", None)},
                  "parameters": {k: list(v.shape)
                                 for k, v in model.state_dict().items()},
                  **(config or {})})
    saved = load_checkpoint(checkpoint) if checkpoint else None
    if saved is not None:
        if (saved["epochs"], saved["steps_per_epoch"]) != (epochs, steps):
            raise ValueError(
                f"{checkpoint} holds a run of {saved['epochs']} epochs of "
                f"{saved['steps_per_epoch']} steps, this one has {epochs} of "
                f"{steps}; pass another checkpoint file for another run")
        old = saved.get("config", run_config)  # older files lack it
        differ = sorted(k for k in set(old) | set(run_config)
                        if old.get(k) != run_config.get(k))
        if differ:
            raise ValueError(
                f"{checkpoint} holds a run of another configuration ("
                + ", ".join(f"{k}: saved {old.get(k)!r}, now "
                            f"{run_config.get(k)!r}" for k in differ)
                + "); pass another checkpoint file, or delete this one to "
                  "start afresh")
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        sampler.load_state_dict(saved["sampler"])
        for name, obj in state.items():
            restore(obj, saved["state"][name])
        logs = saved["logs"]
        # An unbroken run keeps its batch iterator across epochs; the one
        # opened here to go on mid-epoch draws a loader seed from the global
        # generator, so the generator is restored after opening it.
        first = iter(loader)
        set_global_rng_state(saved["rng"])
    batches = _forever(loader, first)
    bar = tqdm(range(len(logs), epochs), disable=not progress, desc=desc,
               dynamic_ncols=True, initial=len(logs), total=epochs)
    for epoch in bar:
        model.train()
        totals = dict(loss=0.0, cos=0.0, same=0.0, train=0.0, load=0.0,
                      nodes=0, nodes_max=0)
        sampler_before = dict(sampler.totals)
        for _ in range(steps):
            t0 = time.perf_counter()
            batch = next(batches).to(device)
            t1 = time.perf_counter()
            value, z = step(batch)
            opt.zero_grad()
            value.backward()
            opt.step()
            z = z.detach()
            loader.update(batch.idx, z)
            t2 = time.perf_counter()
            totals["loss"] += value.item()
            idx = torch.arange(z.size(0), device=z.device).view(1, -1)
            totals["cos"] += float(pair_mean(F.normalize(z, dim=1), idx))
            if labels is not None:
                onehot = F.one_hot(labels[batch.idx.cpu()],
                                   num_classes).float()
                totals["same"] += float(pair_mean(onehot, idx.cpu()))
            totals["train"] += t2 - t1
            totals["load"] += t1 - t0
            totals["nodes"] += batch.num_nodes
            totals["nodes_max"] = max(totals["nodes_max"], batch.num_nodes)
        delta = {k: sampler.totals.get(k, 0.0) - sampler_before.get(k, 0.0)
                 for k in ("build_seconds", "draw_seconds")}
        log = {
            "epoch": epoch,
            "loss": totals["loss"] / steps,
            "mean_cosine": totals["cos"] / steps,
            "train_seconds": totals["train"],
            "sampling_seconds": delta["draw_seconds"],
            "rebuild_seconds": delta["build_seconds"],
            "collate_seconds": max(0.0, totals["load"] - delta["draw_seconds"]
                                   - delta["build_seconds"]),
            "batch_nodes_mean": totals["nodes"] / steps,
            "batch_nodes_max": totals["nodes_max"],
        }
        if labels is not None:
            log["same_class"] = totals["same"] / steps
        log.update(peak_memory(device))
        logs.append(log)
        bar.set_postfix(loss=f"{log['loss']:.3f}",
                        cos=f"{log['mean_cosine']:.3f}",
                        **({"same": f"{log['same_class']:.3f}"}
                           if labels is not None else {}))
        if on_epoch is not None:
            rng = global_rng_state()
            on_epoch(model, logs)
            set_global_rng_state(rng)
        if checkpoint:
            save_checkpoint(checkpoint, {
                "epochs": epochs, "steps_per_epoch": steps, "logs": logs,
                "config": run_config,
                "model": model.state_dict(), "optimizer": opt.state_dict(),
                "sampler": sampler.state_dict(),
                "state": {k: capture(v) for k, v in state.items()},
                "rng": global_rng_state()})
    return logs


def sampler_config(sampler: Any) -> Dict[str, Any]:
    r"""The knobs of a batch sampler that change which batches it draws
    (its type, size, seed, schedule and graph knobs)."""
    inner = getattr(sampler, "sampler", sampler)
    out: Dict[str, Any] = {"sampler": type(inner).__name__}
    # (the seed is not compared: a sampler's state restores its own)
    for key in ("num_instances", "batch_size", "warmup_epochs",
                "refresh_every", "drop_last", "coverage", "num_neighbors",
                "num_candidates", "refresh", "engine", "max_rounds"):
        if hasattr(inner, key):
            out[f"sampler.{key}"] = getattr(inner, key)
    restart = getattr(inner, "restart_prob", None)
    if restart is not None:
        if isinstance(restart, float) or dataclasses.is_dataclass(restart):
            out["sampler.restart_prob"] = repr(restart)  # stable reprs
        else:  # a function: its name (a repr holds its address)
            out["sampler.restart_prob"] = getattr(
                restart, "__qualname__", type(restart).__name__)
    return out


def plain(value: Any) -> Any:
    r""":obj:`value` with numpy and 0-d torch scalars turned into Python
    numbers and tuples into lists, recursively: what a checkpoint stores
    and compares (a :obj:`weights_only` load refuses numpy scalars)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Tensor) and value.numel() == 1:
        return value.item()
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalar
        return value.item()
    return value


def make_negatives(name: str, sampler: EmbeddingBatchSampler, *,
                   loss: str = "infonce", temperature: float = 0.2,
                   total_steps: int = 1, seed: int = 0,
                   **params: Any) -> torch.nn.Module:
    r"""The negative sampler named :obj:`name` (one of
    :obj:`pyg_prosampler.contrastive.negatives.NEGATIVES`) for a run of
    :obj:`total_steps` steps over :obj:`sampler`'s data set.  :obj:`loss`
    applies to in-batch negatives only (Ring, SogCLR and EMC² define their
    own loss); :obj:`params` are the chosen sampler's knobs (Ring's
    annealing spans the whole run unless :obj:`anneal_steps` is given)."""
    if name not in NEGATIVES:
        raise ValueError(f"`negatives` must be one of {NEGATIVES}, got "
                         f"{name!r}")
    if name != "inbatch" and loss != "infonce":
        raise ValueError(f"{name} negatives define their own loss: use "
                         f"loss='infonce' (got {loss!r})")
    n = sampler.num_instances
    if name == "inbatch":
        return InBatchNegatives(loss, temperature, **params)
    if name == "ring":
        params.setdefault("anneal_steps", total_steps)
        return RingNegatives(sampler, temperature=temperature, **params)
    if name == "sogclr":
        return SogCLRLoss(n, temperature=temperature, **params)
    return EMC2Loss(n, temperature=temperature, seed=seed, **params)


@contextmanager
def _batchnorm_running_stats(model: torch.nn.Module) -> Iterator[None]:
    r"""Batch norm layers of :obj:`model` use (and leave untouched) their
    running statistics for the duration."""
    norms = [m for m in model.modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
             and m.training]
    for m in norms:
        m.eval()
    try:
        yield
    finally:
        for m in norms:
            m.train()


def reencoder(dataset, model: torch.nn.Module,
              encode: Callable[[Batch], Tensor],
              device: str | torch.device) -> Callable[[Tensor], Tensor]:
    r"""A function mapping instance indices to :obj:`encode(batch)` of
    their graphs, for negatives (EMC²) that need instances outside the
    batch.  :obj:`model`'s batch norms use their running statistics for
    these few graphs (a handful of graphs, possibly a single node after
    augmentation, has no usable batch statistics)."""
    def run(index: Tensor) -> Tensor:
        graphs = [dataset[int(i)] for i in index.tolist()]
        with _batchnorm_running_stats(model):
            return encode(Batch.from_data_list(graphs).to(device))
    return run


def train_graphcl(
    dataset,
    sampler: EmbeddingBatchSampler,
    *,
    loss: str = "infonce",
    negatives: str = "inbatch",
    negatives_params: Optional[Dict[str, Any]] = None,
    epochs: int = 20,
    lr: float = 0.01,
    temperature: float = 0.2,
    seed: int = 0,
    feed: str = "projection",
    device: str | torch.device = "cpu",
    labels: Optional[Tensor] = None,
    progress: bool = True,
    checkpoint: Optional[str] = None,
    on_epoch: Optional[OnEpoch] = None,
) -> tuple[GraphCL, List[Dict[str, float]]]:
    r"""Pre-trains :class:`GraphCL` on :obj:`dataset` with batches from
    :obj:`sampler`, GraphCL's random augmentation against the original graph
    and the chosen in-batch loss, for :obj:`epochs * ceil(N / B)` steps
    (see :func:`fit`).

    After each step the *projection* of the original graphs is fed to the
    sampler (:meth:`update`), as the reference code does: it is the space in
    which the loss measures how hard a negative is.  :obj:`feed="encoder"`
    feeds the encoder's graph embeddings instead (the evaluated
    representation), to compare the two.

    Args:
        dataset: PyG data set of graphs.
        sampler (EmbeddingBatchSampler): Batch sampler over the data set.
        loss (str, optional): :obj:`"infonce"` (NT-Xent), :obj:`"dcl"` or
            :obj:`"hcl"`. (default: :obj:`"infonce"`)
        negatives (str, optional): :obj:`"inbatch"`, :obj:`"ring"`,
            :obj:`"sogclr"` or :obj:`"emc2"` (see :func:`make_negatives`;
            EMC² re-encodes an augmented view of its out-of-batch states).
            (default: :obj:`"inbatch"`)
        negatives_params (dict, optional): Knobs of the negative sampler.
        epochs (int, optional): Budget in uniform epochs. (default: 20)
        lr (float, optional): Adam learning rate. (default: 0.01)
        temperature (float, optional): Loss temperature. (default: 0.2)
        seed (int, optional): Seed of the model and augmentations.
        feed (str, optional): Embeddings fed to the sampler,
            :obj:`"projection"` or :obj:`"encoder"`.
            (default: :obj:`"projection"`)
        device (str, optional): Training device. (default: :obj:`"cpu"`)
        labels (torch.Tensor, optional): Graph labels, only to log the
            same-class pair fraction of the batches (never used to train).
        progress (bool, optional): Show a progress bar. (default: True)
        checkpoint (str, optional): File to save the run to after every
            epoch and resume it from (see :func:`fit`).
        on_epoch (callable, optional): Called after every epoch (see
            :func:`fit`).

    Returns:
        The trained model and the per-epoch logs of :func:`fit`.
    """
    if feed not in FEEDS:
        raise ValueError(f"`feed` must be one of {FEEDS}, got {feed!r}")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = GraphCL(dataset.num_features).to(device)
    total = epochs * -(-len(dataset) // sampler.batch_size)
    loss_fn = make_negatives(negatives, sampler, loss=loss,
                             temperature=temperature, total_steps=total,
                             seed=seed, **(negatives_params or {})
                             ).to(device)

    def augmented(batch: Batch) -> Tensor:
        g = Graphs(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
        return model(*random_augment(g, generator=gen))[1]

    encode = reencoder(dataset, model, augmented, device)

    def step(batch: Batch) -> Tuple[Tensor, Tensor]:
        g, z = model(batch.x, batch.edge_index, batch.batch,
                     batch.num_graphs)
        value = loss_fn(z, augmented(batch), batch.idx, encode)
        return value, z if feed == "projection" else g

    logs = fit(model, dataset, sampler, step, epochs=epochs, lr=lr,
               device=device, labels=labels, progress=progress,
               desc="GraphCL", checkpoint=checkpoint,
               state={"loss": loss_fn, "augment": gen}, on_epoch=on_epoch,
               config={"method": "graphcl", "seed": seed, "loss": loss,
                       "negatives": negatives,
                       "negatives_params": dict(negatives_params or {}),
                       "temperature": temperature, "feed": feed})
    return model, logs


def train_mvgrl(
    dataset,
    sampler: EmbeddingBatchSampler,
    *,
    loss: str = "jsd",
    negatives: str = "inbatch",
    negatives_params: Optional[Dict[str, Any]] = None,
    hidden: int = 512,
    num_layers: int = 4,
    epochs: int = 20,
    lr: float = 0.001,
    temperature: float = 0.2,
    seed: int = 0,
    device: str | torch.device = "cpu",
    labels: Optional[Tensor] = None,
    progress: bool = True,
    checkpoint: Optional[str] = None,
    on_epoch: Optional[OnEpoch] = None,
) -> tuple[MVGRL, List[Dict[str, float]]]:
    r"""Pre-trains :class:`MVGRL` on a :class:`DiffusionViewDataset` with
    batches from :obj:`sampler` (see :func:`fit`).

    :obj:`loss="jsd"`: the local-global JSD estimator both ways (nodes of
    the adjacency view against graphs of the diffusion view, and the
    reverse), the other graphs of the batch being the negatives;
    :obj:`loss="infonce"`: the two views' graph embeddings contrasted with
    the chosen :obj:`negatives` (see :func:`make_negatives`; in-batch is
    NT-Xent; EMC² re-encodes the diffusion view of its out-of-batch
    states).  The sum of both views' graph embeddings (the evaluated
    representation) is fed to the sampler, so a bank Ring compares the
    adjacency view's graph vector with those sums.  :obj:`checkpoint`
    saves and resumes the run and :obj:`on_epoch` is called after every
    epoch, as in :func:`fit`.
    """
    if loss not in ("jsd", "infonce"):
        raise ValueError(f"`loss` must be 'jsd' or 'infonce', got {loss!r}")
    if loss == "jsd" and negatives != "inbatch":
        raise ValueError("the JSD loss takes in-batch negatives only: use "
                         "loss='infonce' with other negatives")
    torch.manual_seed(seed)
    model = MVGRL(dataset.num_features, hidden, num_layers).to(device)
    total = epochs * -(-len(dataset) // sampler.batch_size)
    loss_fn = make_negatives(negatives, sampler, temperature=temperature,
                             total_steps=total, seed=seed,
                             **(negatives_params or {})).to(device)
    encode = reencoder(dataset, model, lambda b: model(b)[3], device)

    def step(batch: Batch) -> Tuple[Tensor, Tensor]:
        h1, h2, g1, g2 = model(batch)
        if loss == "jsd":
            value = (local_global_jsd(h1, g2, batch.batch)
                     + local_global_jsd(h2, g1, batch.batch))
        else:
            value = loss_fn(g1, g2, batch.idx, encode)
        return value, g1 + g2

    logs = fit(model, dataset, sampler, step, epochs=epochs, lr=lr,
               device=device, labels=labels, progress=progress, desc="MVGRL",
               checkpoint=checkpoint, state={"loss": loss_fn},
               on_epoch=on_epoch,
               config={"method": "mvgrl", "seed": seed, "loss": loss,
                       "negatives": negatives,
                       "negatives_params": dict(negatives_params or {}),
                       "temperature": temperature})
    return model, logs


def evaluate_mvgrl(model: MVGRL, dataset, seed: int = 0,
                   device: str | torch.device = "cpu",
                   batch_size: int = 128,
                   progress: bool = False) -> Dict[str, float]:
    r"""LinearSVC protocol accuracy of :meth:`MVGRL.embed` (a bar over the
    outer folds with :obj:`progress`)."""
    model.eval()
    z = torch.cat([model.embed(b.to(device)).cpu() for b in
                   DataLoader(dataset, batch_size=batch_size)])
    return svm_accuracy(z, graph_labels(dataset), seed=seed, linear=True,
                        progress=progress)


@torch.no_grad()
def embed_graphs(model: GraphCL, dataset, device: str | torch.device = "cpu",
                 batch_size: int = 256) -> Tensor:
    r"""Encoder embeddings (not the projection) of the un-augmented graphs,
    in data set order."""
    model.eval()
    out = []
    for batch in DataLoader(dataset, batch_size=batch_size):
        batch = batch.to(device)
        g, _ = model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
        out.append(g.cpu())
    return torch.cat(out)


def evaluate_graphcl(model: GraphCL, dataset, seed: int = 0,
                     device: str | torch.device = "cpu",
                     progress: bool = False) -> Dict[str, float]:
    r"""SVC protocol accuracy of the model's encoder embeddings (a bar over
    the outer folds with :obj:`progress`)."""
    z = embed_graphs(model, dataset, device)
    return svm_accuracy(z, graph_labels(dataset), seed=seed,
                        progress=progress)
