r"""The machinery the batch samplers share: an embedding table fed by the
training loop, uniform and coverage epochs, seeding and resumable state."""
from __future__ import annotations

import math
import time
import warnings
from typing import Any, Dict, Iterator, List, Optional

import torch
from torch import Tensor
from torch.utils.data import Sampler

from pyg_prosampler._validation import (
    check_batch_size,
    check_embeddings,
    check_index,
    check_non_negative_int,
    check_positive_int,
)


class EmbeddingBatchSampler(Sampler[List[int]]):
    r"""Base class of the batch samplers: yields lists of instance indices
    for :obj:`DataLoader(batch_sampler=...)`.

    It keeps one embedding per instance, written by :meth:`update` from the
    training loop (or given up front).  Epochs before :obj:`warmup_epochs`,
    and any epoch before every instance has an embedding, are uniform
    shuffles.  Later epochs are *coverage* epochs as in the ProSampler paper:
    batches are drawn by :meth:`draw` from start instances not yet covered
    this epoch until at least :obj:`floor(N / B) * B` instances are covered;
    the uncovered rest forms the last batch, completed to :obj:`B` by a
    batch drawn from one of them, so every instance is seen once per epoch.
    Subclasses define :meth:`build` (called before the first coverage batch
    and then every :obj:`refresh_every` batches) and :meth:`draw`.

    Each epoch is seeded by :obj:`(seed, epoch)`, so a run is reproducible
    given the same :meth:`update` calls, and :meth:`state_dict` captures the
    middle of an epoch: a sampler that loads it yields the same remaining
    batches.  (With :obj:`num_workers > 0` a :obj:`DataLoader` draws a few
    batches ahead of the training step; save the state between epochs, or
    with :obj:`num_workers=0`, to resume exactly.)

    Args:
        num_instances (int): Number of instances :obj:`N` (e.g.
            :obj:`len(dataset)`).
        batch_size (int): Batch size :obj:`B`, at most :obj:`N`.
        warmup_epochs (int, optional): Uniform epochs before the first
            coverage epoch. (default: :obj:`1`)
        refresh_every (int, optional): Batches between two :meth:`build`
            calls. (default: :obj:`100`)
        embeddings (torch.Tensor, optional): Initial table :obj:`[N, d]`,
            e.g. to sample a fixed embedding set with
            :obj:`warmup_epochs=0`. (default: :obj:`None`)
        drop_last (bool, optional): Drop the last, smaller batch of uniform
            epochs (coverage epochs always complete it). (default:
            :obj:`False`)
        seed (int, optional): Seed of every random choice. (default:
            :obj:`0`)
    """

    def __init__(
        self,
        num_instances: int,
        batch_size: int,
        *,
        warmup_epochs: int = 1,
        refresh_every: int = 100,
        embeddings: Optional[Tensor] = None,
        drop_last: bool = False,
        seed: int = 0,
    ) -> None:
        check_positive_int(num_instances, "num_instances")
        check_batch_size(batch_size, num_instances)
        check_non_negative_int(warmup_epochs, "warmup_epochs")
        check_positive_int(refresh_every, "refresh_every")
        check_non_negative_int(seed, "seed")
        self.num_instances = num_instances
        self.batch_size = batch_size
        self.warmup_epochs = warmup_epochs
        self.refresh_every = refresh_every
        self.drop_last = drop_last
        self.seed = seed

        self.embeddings: Optional[Tensor] = None
        self.seen = torch.zeros(num_instances, dtype=torch.bool)
        if embeddings is not None:
            self.update(torch.arange(num_instances), embeddings)

        self.epoch = 0
        self.generator = torch.Generator()
        self.stats: Dict[str, float] = {}
        self.totals: Dict[str, float] = {}
        self._in_epoch = False
        self._coverage = False
        self._covered = torch.zeros(num_instances, dtype=torch.bool)
        self._num_covered = 0
        self._queue: List[Tensor] = []
        self._num_yielded = 0
        self._since_build = 0
        self._built = False
        self._new_fraction = 1.0
        self._last_len: Optional[int] = None

    # ------------------------------------------------------------------ API
    def update(self, index: Tensor, embeddings: Tensor) -> None:
        r"""Writes :obj:`embeddings[r]` as the embedding of instance
        :obj:`index[r]`.  Takes effect at the next graph rebuild.

        Args:
            index (torch.Tensor): Dataset indices :obj:`[b]` (e.g.
                :obj:`batch.idx`).
            embeddings (torch.Tensor): Their embeddings :obj:`[b, d]`; kept
                detached, on their device.
        """
        check_index(index, self.num_instances)
        check_embeddings(embeddings)
        if embeddings.size(0) != index.numel():
            raise ValueError(
                f"`update` got {index.numel()} indices but "
                f"{embeddings.size(0)} embeddings; pass one embedding row "
                f"per index")
        z = embeddings.detach().float()
        if self.embeddings is None:
            self.embeddings = torch.zeros(self.num_instances, z.size(1),
                                          device=z.device)
        elif z.size(1) != self.embeddings.size(1):
            raise ValueError(
                f"`update` got embeddings of dimension {z.size(1)}, the table "
                f"holds dimension {self.embeddings.size(1)}; feed the same "
                f"layer's output every time")
        self.embeddings[index.to(self.embeddings.device)] = z.to(
            self.embeddings.device)
        self.seen[index.cpu()] = True

    def set_epoch(self, epoch: int) -> None:
        r"""Sets the epoch of the next :obj:`__iter__` (its seed, warm-up and
        schedules).  Without calls the epoch advances after every full pass."""
        check_non_negative_int(epoch, "epoch")
        if epoch != self.epoch:
            self._in_epoch = False
        self.epoch = epoch

    def is_warmup(self) -> bool:
        r"""Whether the next (or current) epoch is a uniform shuffle."""
        return self.epoch < self.warmup_epochs or not bool(self.seen.all())

    def __len__(self) -> int:
        r"""Batches per epoch: exact for uniform epochs; for coverage epochs
        the count of the last finished one (at least :obj:`ceil(N / B)`)."""
        uniform = (self.num_instances // self.batch_size if self.drop_last
                   else math.ceil(self.num_instances / self.batch_size))
        coverage = self._coverage if self._in_epoch else (
            self.uses_coverage() and not self.is_warmup())
        return (self._last_len or uniform) if coverage else uniform

    def __iter__(self) -> Iterator[List[int]]:
        if not self._in_epoch:
            self._start_epoch()
        while True:
            batch = self._next_batch()
            if batch is None:
                break
            yield batch.tolist()
        if self._coverage:
            self._last_len = self._num_yielded
        self._in_epoch = False
        self.epoch += 1

    # ----------------------------------------------------- for subclasses
    def uses_coverage(self) -> bool:
        r"""Whether post-warm-up epochs are coverage epochs."""
        return True

    def build(self, embeddings: Tensor) -> None:
        r"""Rebuilds the structure :meth:`draw` samples from."""
        raise NotImplementedError

    def draw(self, start: Tensor) -> Tensor:
        r"""Returns one batch :obj:`[len(start), batch_size]` per start."""
        raise NotImplementedError

    def add_stat(self, key: str, value: float) -> None:
        r"""Adds to a counter of this epoch (:obj:`stats`) and of the
        sampler's life (:obj:`totals`)."""
        self.stats[key] = self.stats.get(key, 0.0) + value
        self.totals[key] = self.totals.get(key, 0.0) + value

    def extra_state(self) -> Dict[str, Any]:
        r"""Subclass state to save beside the base state."""
        return {}

    def load_extra_state(self, state: Dict[str, Any]) -> None:
        r"""Restores what :meth:`extra_state` returned."""

    # --------------------------------------------------------------- state
    def state_dict(self) -> Dict[str, Any]:
        r"""Everything needed to resume, mid-epoch included."""
        return {
            "num_instances": self.num_instances,
            "batch_size": self.batch_size,
            "epoch": self.epoch,
            "embeddings": self.embeddings,
            "seen": self.seen.clone(),
            "generator": self.generator.get_state(),
            "in_epoch": self._in_epoch,
            "coverage": self._coverage,
            "covered": self._covered.clone(),
            "queue": [q.clone() for q in self._queue],
            "num_yielded": self._num_yielded,
            "since_build": self._since_build,
            "built": self._built,
            "new_fraction": self._new_fraction,
            "last_len": self._last_len,
            "stats": dict(self.stats),
            "totals": dict(self.totals),
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        r"""Restores a :meth:`state_dict`; sizes must match this sampler."""
        for key in ("num_instances", "batch_size"):
            if state.get(key) != getattr(self, key):
                raise ValueError(
                    f"state_dict was saved with {key}={state.get(key)}, this "
                    f"sampler has {key}={getattr(self, key)}; build the "
                    f"sampler with the same data set and batch size")
        self.epoch = state["epoch"]
        self.embeddings = state["embeddings"]
        self.seen = state["seen"].clone()
        self.generator.set_state(state["generator"])
        self._in_epoch = state["in_epoch"]
        self._coverage = state["coverage"]
        self._covered = state["covered"].clone()
        self._num_covered = int(self._covered.sum())
        self._queue = [q.clone() for q in state["queue"]]
        self._num_yielded = state["num_yielded"]
        self._since_build = state["since_build"]
        self._built = state["built"]
        self._new_fraction = state["new_fraction"]
        self._last_len = state["last_len"]
        self.stats = dict(state["stats"])
        self.totals = dict(state["totals"])
        self.load_extra_state(state["extra"])

    # ------------------------------------------------------------ internals
    def _start_epoch(self) -> None:
        self.generator.manual_seed(self.seed * 1_000_003 + self.epoch)
        self._in_epoch = True
        self._num_yielded = 0
        self._queue = []
        self._covered.zero_()
        self._num_covered = 0
        self._new_fraction = 1.0
        self.stats = {"build_seconds": 0.0, "draw_seconds": 0.0,
                      "num_filled": 0.0, "num_builds": 0.0}
        self._coverage = self.uses_coverage() and not self.is_warmup()
        if (self.uses_coverage() and self.epoch >= self.warmup_epochs
                and not self._coverage):
            warnings.warn(
                f"{int((~self.seen).sum())} of {self.num_instances} instances "
                f"have no embedding yet, so epoch {self.epoch} is uniform; "
                f"call `update(batch.idx, z)` for every batch", stacklevel=3)
        if not self._coverage:
            perm = torch.randperm(self.num_instances, generator=self.generator)
            batches = list(perm.split(self.batch_size))
            if self.drop_last and batches[-1].numel() < self.batch_size:
                batches = batches[:-1]
            self._queue = batches
        elif not self._built:
            self._since_build = self.refresh_every  # build before drawing

    def _next_batch(self) -> Optional[Tensor]:
        if not self._coverage:
            if not self._queue:
                return None
            self._num_yielded += 1
            return self._queue.pop(0)

        num = self.num_instances
        target = num // self.batch_size * self.batch_size
        if self._num_covered >= target:
            return self._last_batch(self._num_covered)
        # As in the paper, a batch starts at an instance not yet covered:
        # batches of the round whose start an earlier one covered are
        # dropped (they were drawn in parallel, before it was known).
        batch = None
        while batch is None:
            if not self._queue:
                self._refill(target - self._num_covered)
            batch = self._queue.pop(0)
            if bool(self._covered[batch[0]]):
                batch = None
                self.add_stat("num_dropped", 1)
        self._num_covered += int((~self._covered[batch]).sum())
        self._covered[batch] = True
        self._since_build += 1
        self._num_yielded += 1
        return batch

    def _refill(self, remaining: int) -> None:
        if self._since_build >= self.refresh_every:
            assert self.embeddings is not None
            t = time.perf_counter()
            self.build(self.embeddings)
            self.add_stat("build_seconds", time.perf_counter() - t)
            self.add_stat("num_builds", 1)
            self._since_build = 0
            self._built = True
        uncovered = (~self._covered).nonzero().view(-1)
        expected_new = max(1.0, self.batch_size * self._new_fraction)
        count = min(math.ceil(remaining / expected_new),
                    self.refresh_every - self._since_build, uncovered.numel())
        pick = torch.randperm(uncovered.numel(), generator=self.generator)
        start = uncovered[pick[:count]]
        t = time.perf_counter()
        batches = self.draw(start)
        self.add_stat("draw_seconds", time.perf_counter() - t)
        batches = batches.cpu()
        # How many new instances a batch brings, to size the next round.
        union = batches.unique()
        new = int((~self._covered[union]).sum())
        self._new_fraction = max(0.05, new / (count * self.batch_size))
        self._queue = list(batches.unbind(0))

    def _last_batch(self, num_covered: int) -> Optional[Tensor]:
        if num_covered == self.num_instances:
            return None
        rest = (~self._covered).nonzero().view(-1)
        walk = self.draw(rest[:1])[0].cpu()
        extra = walk[self._covered[walk]][:self.batch_size - rest.numel()]
        self._covered[rest] = True
        self._num_covered = self.num_instances
        self._num_yielded += 1
        return torch.cat([rest, extra])
