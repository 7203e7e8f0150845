r"""The contrastive training loop: batches from a batch sampler, a step that
returns the loss and the embeddings to feed back, an optimiser, and hooks
(:mod:`~pyg_prosampler.experiments.hooks`) for everything else."""
from __future__ import annotations

import math
import numbers
import time
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
)

import torch
from torch import Tensor
from torch_geometric.data import Batch

from pyg_prosampler._validation import check_positive_int
from pyg_prosampler.experiments.checkpoint import Checkpointer, run_config
from pyg_prosampler.experiments.hooks import (
    BatchMeasures,
    EpochCallback,
    EpochLog,
    Hook,
    LoopState,
    OnEpoch,
    ProgressBar,
    StepOutput,
)
from pyg_prosampler.loader import ProximityLoader
from pyg_prosampler.samplers import EmbeddingBatchSampler

__all__ = ["Step", "fit", "run_loop"]

Step = Callable[[Batch], Tuple[Tensor, Tensor]]


def fit(
    model: torch.nn.Module,
    dataset: Any,
    sampler: EmbeddingBatchSampler,
    step: Step,
    *,
    optimizer: Optional[torch.optim.Optimizer] = None,
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
    hooks: Sequence[Hook] = (),
) -> List[EpochLog]:
    r"""Trains :obj:`model` for :obj:`epochs * ceil(N / B)` steps on
    batches from :obj:`sampler` (through a :class:`ProximityLoader`):
    :obj:`step(batch)` returns the loss and the :obj:`[B, d]` embeddings
    fed back to the sampler, the optimiser steps, and the hooks log.  The
    budget is the same whatever the sampler, as in the ProSampler code,
    so samplers compare at equal compute.

    The hooks (:mod:`~pyg_prosampler.experiments.hooks`), in order:
    :class:`BatchMeasures` (the logs), :class:`ProgressBar`, :obj:`hooks`,
    :obj:`on_epoch` (as :class:`EpochCallback`: what it draws from the
    global generators is undone, so a run with it trains exactly as one
    without) and, with :obj:`checkpoint`, a
    :class:`~pyg_prosampler.experiments.checkpoint.Checkpointer` (saved
    after every epoch, resumed when the file exists, to the last bit; a
    finished checkpoint loads the final weights and returns at once).
    :func:`~pyg_prosampler.experiments.training.fit` seeds nothing and never
    resets the peak memory it logs.

    Args:
        model (torch.nn.Module): The model :obj:`step` trains.
        dataset: PyG data set (or any data set the loader collates).
        sampler (EmbeddingBatchSampler): Batch sampler over the data set.
        step (callable): :obj:`step(batch) -> (loss, embeddings)`.
        optimizer (torch.optim.Optimizer, optional): (default: Adam over
            all of :obj:`model`'s parameters at :obj:`lr`)
        epochs (int, optional): Budget in uniform epochs. (default: 20)
        lr (float, optional): Adam's learning rate, without
            :obj:`optimizer`. (default: 0.01)
        device (str, optional): Where batches go. (default: :obj:`"cpu"`)
        labels (torch.Tensor, optional): Instance classes, for the
            same-class log only (never used to train).
        progress (bool, optional): Show a progress bar. (default: True)
        desc (str, optional): The bar's label.
        checkpoint (str, optional): File to save to and resume from.
        state (dict, optional): The step's other stateful objects, by name
            (modules, :class:`torch.Generator` objects), saved with the run.
        on_epoch (callable, optional): :obj:`on_epoch(model, logs)` after
            every epoch.
        config (dict, optional): What else defines the run (seed, loss,
            ...), compared with a checkpoint's before resuming it.
        hooks (sequence of Hook, optional): More hooks.

    Returns:
        One log per epoch (see
        :class:`~pyg_prosampler.experiments.hooks.BatchMeasures`).
    """
    lr, epochs = _checked_budget(lr, epochs)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"`optimizer` must be a torch.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")
    else:
        lr = [group["lr"] for group in optimizer.param_groups]
    loop = LoopState(model, optimizer, sampler,
                     ProximityLoader(dataset, batch_sampler=sampler), epochs,
                     -(-len(dataset) // sampler.batch_size), device)
    pieces = [BatchMeasures(labels), ProgressBar(desc, progress), *hooks]
    if on_epoch is not None:
        pieces.append(EpochCallback(on_epoch))
    if checkpoint:
        pieces.append(Checkpointer(
            checkpoint, run_config(model, dataset, sampler, lr, config),
            state))
    return run_loop(loop, step, pieces)


def run_loop(state: LoopState, step: Step,
             hooks: Sequence[Hook] = ()) -> List[EpochLog]:
    r"""The loop of :func:`~pyg_prosampler.experiments.training.fit`: from
    :obj:`len(state.logs)` to
    :obj:`state.epochs`, every epoch in training mode, its
    :obj:`state.steps_per_epoch` steps (forward through :obj:`step`,
    backward, optimiser step, embeddings fed to the sampler), then the
    epoch's log, built by the hooks.

    Args:
        state (LoopState): Model, optimiser, sampler and loader, budget.
        step (callable): :obj:`step(batch) -> (loss, embeddings)`.
        hooks (sequence of Hook, optional): Called in order.

    Returns:
        :obj:`state.logs`.
    """
    for hook in hooks:
        if not isinstance(hook, Hook):
            raise TypeError(f"hooks must be Hook instances, got "
                            f"{type(hook).__name__}")
    for hook in hooks:
        hook.on_fit_start(state)
    batches = _forever(state.loader, state.resumed_batches)
    epochs: Any = range(len(state.logs), state.epochs)
    for hook in hooks:
        epochs = hook.wrap_epochs(epochs, state)
    for epoch in epochs:
        state.model.train()
        for hook in hooks:
            hook.on_epoch_start(state)
        for done in _steps(batches, state, step):
            for hook in hooks:
                hook.on_step_end(state, done)
        log: EpochLog = {"epoch": epoch}
        for hook in hooks:
            log.update(hook.epoch_log(state))
        state.logs.append(log)
        for hook in hooks:
            hook.on_epoch_end(state)
    return state.logs


def _steps(batches: Iterator[Any], state: LoopState,
           step: Step) -> Iterator[StepOutput]:
    r"""One epoch's optimisation steps on :obj:`batches`, each one's
    embeddings fed to the sampler; yields what each did."""
    for _ in range(state.steps_per_epoch):
        t0 = time.perf_counter()
        batch = next(batches).to(state.device)
        t1 = time.perf_counter()
        loss, z = step(batch)
        state.optimizer.zero_grad()
        loss.backward()
        state.optimizer.step()
        z = z.detach()
        state.loader.update(batch.idx, z)
        t2 = time.perf_counter()
        yield StepOutput(batch, loss, z, t1 - t0, t2 - t1)


def _forever(loader: ProximityLoader,
             first: Optional[Iterator[Any]] = None) -> Iterator[Any]:
    r"""The loader's batches pass after pass, after those left in
    :obj:`first`."""
    if first is not None:
        yield from first
    while True:
        yield from loader


def _checked_budget(lr: Any, epochs: Any) -> Tuple[float, int]:
    r""":obj:`lr` and :obj:`epochs` as plain numbers (as a checkpoint
    stores them), refused unless positive and finite."""
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) \
            or not 0 < float(lr) < math.inf:
        raise ValueError(f"`lr` must be a finite number > 0, got {lr!r}")
    check_positive_int(epochs, "epochs")
    return float(lr), int(epochs)
