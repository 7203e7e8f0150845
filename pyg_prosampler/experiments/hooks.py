r"""The pieces :func:`~pyg_prosampler.experiments.training.fit` runs around
its loop: the loop's shared state, the :class:`Hook` interface, and the
standard hooks (per-epoch measures of the batches, a progress bar, a
callback that leaves the random stream alone).  Checkpointing is
:class:`~pyg_prosampler.experiments.checkpoint.Checkpointer`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Batch
from tqdm.auto import tqdm

from pyg_prosampler.diagnostics import pair_mean
from pyg_prosampler.experiments.memory import peak_memory
from pyg_prosampler.experiments.rng import (
    global_rng_state,
    set_global_rng_state,
)
from pyg_prosampler.loader import ProximityLoader
from pyg_prosampler.samplers import EmbeddingBatchSampler

__all__ = ["EpochLog", "OnEpoch", "LoopState", "StepOutput", "Hook",
           "BatchMeasures", "ProgressBar", "EpochCallback"]

EpochLog = Dict[str, float]
OnEpoch = Callable[[torch.nn.Module, List[EpochLog]], None]


@dataclass
class LoopState:
    r"""What the training loop and its hooks share.

    Args:
        model (torch.nn.Module): The model trained.
        optimizer (torch.optim.Optimizer): Its optimiser.
        sampler (EmbeddingBatchSampler): The batch sampler.
        loader (ProximityLoader): The loader over :obj:`sampler`.
        epochs (int): The budget, in epochs of :obj:`steps_per_epoch`.
        steps_per_epoch (int): :obj:`ceil(N / B)`.
        device (str or torch.device): Where batches go.
        logs (list of dict): One log per epoch done (a resumed run's
            earlier epochs included).
        resumed_batches (iterator, optional): A resumed run's batch
            iterator, opened mid-epoch, to go on with.
    """
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    sampler: EmbeddingBatchSampler
    loader: ProximityLoader
    epochs: int
    steps_per_epoch: int
    device: str | torch.device
    logs: List[EpochLog] = field(default_factory=list)
    resumed_batches: Optional[Iterator[Any]] = None


@dataclass
class StepOutput:
    r"""One optimisation step, as the hooks see it.

    Args:
        batch (Batch): The batch (on the device), :obj:`batch.idx` its
            instances.
        loss (torch.Tensor): The step's loss.
        embeddings (torch.Tensor): The detached :obj:`[B, d]` embeddings
            fed to the sampler.
        load_seconds (float): Seconds to draw, collate and move the batch.
        train_seconds (float): Seconds of forward, backward, optimiser
            step and sampler update.
    """
    batch: Batch
    loss: Tensor
    embeddings: Tensor
    load_seconds: float
    train_seconds: float


class Hook:
    r"""Called by the training loop at fixed points; every method does
    nothing unless overridden.  The loop calls, in order:
    :meth:`on_fit_start` once, :meth:`wrap_epochs` once on the epochs to
    run, then per epoch :meth:`on_epoch_start`, :meth:`on_step_end` after
    every step, :meth:`epoch_log` (whose measures join the epoch's log),
    and :meth:`on_epoch_end` once the log is in :obj:`state.logs`.
    Hooks run in the order given."""

    def on_fit_start(self, state: LoopState) -> None:
        r"""Before the first epoch (e.g. to resume a run)."""

    def wrap_epochs(self, epochs: Iterable[int],
                    state: LoopState) -> Iterable[int]:
        r"""The epochs to run, possibly wrapped (e.g. in a bar)."""
        return epochs

    def on_epoch_start(self, state: LoopState) -> None:
        r"""Before the first step of an epoch."""

    def on_step_end(self, state: LoopState, step: StepOutput) -> None:
        r"""After every optimisation step."""

    def epoch_log(self, state: LoopState) -> EpochLog:
        r"""Measures of the epoch just done, for its log."""
        return {}

    def on_epoch_end(self, state: LoopState) -> None:
        r"""After the epoch's log is appended to :obj:`state.logs`."""


class BatchMeasures(Hook):
    r"""The per-epoch measures of
    :func:`~pyg_prosampler.experiments.training.fit`'s logs: mean loss, mean
    in-batch cosine of the fed embeddings, same-class pair fraction (with
    :obj:`labels`, never used to train), seconds of training, sampling,
    graph rebuilding and collation, mean and largest node count of a
    batch, and the process's peak memory so far
    (:func:`~pyg_prosampler.experiments.memory.peak_memory`).

    Args:
        labels (torch.Tensor, optional): Class of every instance.
    """

    def __init__(self, labels: Optional[Tensor] = None) -> None:
        self.labels = labels
        self.num_classes = int(labels.max()) + 1 if labels is not None \
            else 0
        self.sums: Dict[str, float] = {}
        self.sampler_before: Dict[str, float] = {}

    def on_epoch_start(self, state: LoopState) -> None:
        self.sums = dict(loss=0.0, cos=0.0, same=0.0, train=0.0, load=0.0,
                         nodes=0, nodes_max=0)
        self.sampler_before = dict(state.sampler.totals)

    def on_step_end(self, state: LoopState, step: StepOutput) -> None:
        sums, z = self.sums, step.embeddings
        sums["loss"] += step.loss.item()
        pairs = torch.arange(z.size(0), device=z.device).view(1, -1)
        sums["cos"] += float(pair_mean(F.normalize(z, dim=1), pairs))
        if self.labels is not None:
            onehot = F.one_hot(self.labels[step.batch.idx.cpu()],
                               self.num_classes).float()
            sums["same"] += float(pair_mean(onehot, pairs.cpu()))
        sums["train"] += step.train_seconds
        sums["load"] += step.load_seconds
        sums["nodes"] += step.batch.num_nodes
        sums["nodes_max"] = max(sums["nodes_max"], step.batch.num_nodes)

    def epoch_log(self, state: LoopState) -> EpochLog:
        sums, steps = self.sums, state.steps_per_epoch
        spent = {k: state.sampler.totals.get(k, 0.0)
                 - self.sampler_before.get(k, 0.0)
                 for k in ("build_seconds", "draw_seconds")}
        log = {
            "loss": sums["loss"] / steps,
            "mean_cosine": sums["cos"] / steps,
            "train_seconds": sums["train"],
            "sampling_seconds": spent["draw_seconds"],
            "rebuild_seconds": spent["build_seconds"],
            "collate_seconds": max(0.0, sums["load"] - spent["draw_seconds"]
                                   - spent["build_seconds"]),
            "batch_nodes_mean": sums["nodes"] / steps,
            "batch_nodes_max": sums["nodes_max"],
        }
        if self.labels is not None:
            log["same_class"] = sums["same"] / steps
        log.update(peak_memory(state.device))
        return log


class ProgressBar(Hook):
    r"""A bar over the epochs with the last epoch's loss, mean cosine and
    same-class fraction.

    Args:
        desc (str, optional): The bar's label. (default: :obj:`"train"`)
        enabled (bool, optional): Show it. (default: :obj:`True`)
    """

    def __init__(self, desc: str = "train", enabled: bool = True) -> None:
        self.desc = desc
        self.enabled = enabled
        self.bar: Any = None

    def wrap_epochs(self, epochs: Iterable[int],
                    state: LoopState) -> Iterable[int]:
        self.bar = tqdm(epochs, disable=not self.enabled, desc=self.desc,
                        dynamic_ncols=True, initial=len(state.logs),
                        total=state.epochs)
        return self.bar

    def on_epoch_end(self, state: LoopState) -> None:
        log = state.logs[-1]
        shown = {"loss": f"{log['loss']:.3f}",
                 "cos": f"{log['mean_cosine']:.3f}"}
        if "same_class" in log:
            shown["same"] = f"{log['same_class']:.3f}"
        self.bar.set_postfix(**shown)


class EpochCallback(Hook):
    r"""Calls :obj:`callback(model, logs)` after every epoch (the number
    done is :obj:`len(logs)`), e.g. to evaluate the model part-way.  What
    it draws from the global random generators is undone, and the loop
    puts the model back in training mode, so a run with it trains exactly
    as one without.

    Args:
        callback (callable): :obj:`callback(model, logs)`.
    """

    def __init__(self, callback: OnEpoch) -> None:
        if not callable(callback):
            raise TypeError(f"`on_epoch` must be callable as "
                            f"on_epoch(model, logs), got {callback!r}")
        self.callback = callback

    def on_epoch_end(self, state: LoopState) -> None:
        rng = global_rng_state()
        self.callback(state.model, state.logs)
        set_global_rng_state(rng)

