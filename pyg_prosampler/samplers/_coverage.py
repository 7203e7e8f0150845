r"""The walk batches of coverage passes: batches start at instances the
coverage cycle has not covered yet, are drawn in rounds of parallel walks
between two rebuilds, and a cycle ends with one batch holding every
instance left."""
from __future__ import annotations

import math
import time
from typing import List, Optional

import torch
from torch import Tensor


class CoverageWalks:
    r"""The coverage bookkeeping of
    :class:`~pyg_prosampler.samplers.EmbeddingBatchSampler`, which sets the
    attributes below and defines :meth:`build`, :meth:`draw`,
    :meth:`add_stat` and :meth:`_pass_len`."""

    num_instances: int
    batch_size: int
    refresh_every: int
    coverage: str
    generator: torch.Generator
    embeddings: Optional[Tensor]
    _changed: Tensor  # rows fed since the last build
    _covered: Tensor  # instances the current cycle covered
    _num_covered: int
    _queue: List[Tensor]  # batches drawn and not yet yielded
    _num_yielded: int  # batches yielded this pass
    _since_build: int  # batches yielded since the last build
    _built: bool
    _new_fraction: float  # new instances per walk batch, last round
    _scratch: Optional[Tensor]  # one slot per instance, for counting

    def _next_walk_batch(self) -> Optional[Tensor]:
        r"""The next batch of a coverage pass, or :obj:`None` when the pass
        is over."""
        if self.coverage == "cycle":
            if self._num_yielded >= self._pass_len():
                return None
            if self._num_covered == self.num_instances:  # a new cycle
                self._covered.zero_()
                self._num_covered = 0
                self._new_fraction = 1.0

        num = self.num_instances
        target = num // self.batch_size * self.batch_size
        if self._num_covered >= target:
            return self._last_batch(self._num_covered)
        # As in the paper, a batch starts at an instance not yet covered:
        # batches of the round whose start an earlier one covered are
        # dropped (they were drawn in parallel, before it was known).
        # (numpy views of the CPU masks: per-batch bookkeeping without a
        # torch call each, a fifth of an epoch's time at 100k otherwise)
        covered = self._covered.numpy()
        batch = None
        while batch is None:
            if not self._queue:
                self._refill(target - self._num_covered)
            batch = self._queue.pop(0)
            index = batch.numpy()
            if covered[index[0]]:
                batch = None
                self.add_stat("num_dropped", 1)
        self._num_covered += int(index.size - covered[index].sum())
        covered[index] = True
        self._since_build += 1
        self._num_yielded += 1
        return batch

    def _refill(self, remaining: int) -> None:
        r"""Draws the next round of walk batches from uncovered starts,
        as many as :obj:`remaining` uncovered instances should need (at
        most until the next build), rebuilding first when it is due."""
        if self._since_build >= self.refresh_every:
            self._rebuild()
        uncovered = (~self._covered).nonzero().view(-1)
        expected_new = max(1.0, self.batch_size * self._new_fraction)
        count = min(math.ceil(remaining / expected_new),
                    self.refresh_every - self._since_build, uncovered.numel())
        if self.coverage == "cycle":  # no more walks than the pass needs
            count = min(count, self._pass_len() - self._num_yielded)
            pick = sample_distinct(uncovered.numel(), count, self.generator)
        else:  # the paper-epoch draws, unchanged
            pick = torch.randperm(uncovered.numel(),
                                  generator=self.generator)[:count]
        start = uncovered[pick]
        t = time.perf_counter()
        batches = self.draw(start)
        self.add_stat("draw_seconds", time.perf_counter() - t)
        batches = batches.cpu()
        self._new_fraction = max(
            0.05, self._count_new(batches) / (count * self.batch_size))
        self._queue = list(batches.unbind(0))

    def _rebuild(self) -> None:
        r"""Calls :meth:`build` on the table, with the rows fed since the
        last build (none at the first)."""
        assert self.embeddings is not None
        t = time.perf_counter()
        changed = self._changed.nonzero().view(-1) if self._built else None
        self._changed.zero_()
        self.build(self.embeddings, changed)
        self.add_stat("build_seconds", time.perf_counter() - t)
        self.add_stat("num_builds", 1)
        self._since_build = 0
        self._built = True

    def _count_new(self, batches: Tensor) -> int:
        r"""How many distinct uncovered instances :obj:`batches` hold (to
        size the next round), counted with a scratch slot per instance
        (whichever duplicate writes last, one position of each value finds
        itself there) instead of a sort."""
        flat = batches.view(-1)
        fresh = flat[~self._covered[flat]]
        if self._scratch is None:
            self._scratch = torch.zeros(self.num_instances, dtype=torch.long)
        position = torch.arange(fresh.numel())
        self._scratch[fresh] = position
        return int((self._scratch[fresh] == position).sum())

    def _last_batch(self, num_covered: int) -> Optional[Tensor]:
        r"""The batch that ends a cycle: every instance left, completed to
        :obj:`batch_size` by a walk from the first of them."""
        if num_covered == self.num_instances:
            return None  # only in "epoch" mode: "cycle" started a new one
        rest = (~self._covered).nonzero().view(-1)
        walk = self.draw(rest[:1])[0].cpu()
        extra = walk[self._covered[walk]][:self.batch_size - rest.numel()]
        self._covered[rest] = True
        self._num_covered = self.num_instances
        self._num_yielded += 1
        return torch.cat([rest, extra])


def sample_distinct(num: int, count: int,
                    generator: Optional[torch.Generator] = None) -> Tensor:
    r"""A uniformly random ordered :obj:`count`-subset of :obj:`range(num)`
    in :obj:`O(count)` when :obj:`count` is small against :obj:`num`: the
    first distinct values of i.i.d. uniform draws (a permutation of all
    :obj:`num` otherwise, or if the draws repeat too much)."""
    if 4 * count < num:
        draws = torch.randint(num, (count + count // 2 + 8,),
                              generator=generator)
        values, inverse = torch.unique(draws, return_inverse=True)
        first = torch.full((values.numel(),), draws.numel(), dtype=torch.long)
        first.scatter_reduce_(0, inverse, torch.arange(draws.numel()), "amin")
        if first.numel() >= count:
            return draws[first.sort().values[:count]]
    return torch.randperm(num, generator=generator)[:count]
