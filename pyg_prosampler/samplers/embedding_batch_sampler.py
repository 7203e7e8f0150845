r"""The machinery the batch samplers share: an embedding table fed by the
training loop, uniform and coverage epochs, seeding and resumable state."""
from __future__ import annotations

import math
import time
import warnings
from typing import Any, Dict, Iterator, List, Literal, Optional

import torch
from torch import Tensor
from torch.utils.data import Sampler

from pyg_prosampler._validation import (
    check_batch_size,
    check_bool,
    check_choice,
    check_embeddings,
    check_index,
    check_non_negative_int,
    check_num_instances,
    check_positive_int,
    check_seed,
    draw_seed,
    is_int,
)

Coverage = Literal["cycle", "epoch"]
COVERAGES = ("cycle", "epoch")


class EmbeddingBatchSampler(Sampler[List[int]]):
    r"""Base class of the batch samplers: yields lists of instance indices
    for :obj:`DataLoader(batch_sampler=...)`.

    It keeps one embedding per instance, written by :meth:`update` from the
    training loop (or given up front).  Passes before :obj:`warmup_epochs`,
    and any pass before every instance has an embedding, are uniform
    shuffles.  Later passes draw their batches with :meth:`draw` from start
    instances not yet *covered*, as in the ProSampler paper, so that every
    instance is seen.  Subclasses define :meth:`build` (called before the
    first such batch and then every :obj:`refresh_every` batches) and
    :meth:`draw`.

    By default (:obj:`coverage="cycle"`) the sampler keeps the
    :class:`~torch.utils.data.DataLoader` contract: every pass yields
    exactly :obj:`ceil(N / B)` batches (:obj:`floor(N / B)` with
    :obj:`drop_last`), of :obj:`B` instances each but possibly the last of
    a uniform pass, and :obj:`len()` says so before the pass starts.
    Coverage is then a cycle that runs across passes: walks start from
    instances the cycle has not covered, the instances left when fewer
    than :obj:`B` remain form one batch completed by a walk from one of
    them, and a new cycle starts once everything is covered.  A cycle
    takes somewhat more than :obj:`N / B` batches, since walk batches
    overlap.  :obj:`coverage="epoch"` is the paper's coverage epoch: a pass
    ends when its own cycle does, so it has a variable number of batches
    (2-8 times :obj:`N / B` on TU data sets once the embeddings are
    trained), which changes the compute of a loop that counts passes, and
    :obj:`len()` only reports the last such pass.

    Each pass is seeded by :obj:`(seed, epoch)`, so a run is reproducible
    given the same :meth:`update` calls, and :meth:`state_dict` captures the
    middle of a pass (and of a cycle): a sampler that loads it yields the
    same remaining batches.  (With :obj:`num_workers > 0` a
    :obj:`DataLoader` draws a few batches ahead of the training step; save
    the state between passes, or with :obj:`num_workers=0`, to resume
    exactly.)  If a pass of a sampler that needs embeddings had no
    :meth:`update` call, the next pass warns once: the loader looks used
    for evaluation, where it repeats instances; embed a data set in order
    instead (e.g. :meth:`ProximityLoader.sequential`).  A fixed embedding
    set given up front and never updated does not warn.

    Args:
        num_instances (int): Number of instances :obj:`N` (e.g.
            :obj:`len(dataset)`).
        batch_size (int): Batch size :obj:`B`, at most :obj:`N`.
        warmup_epochs (int, optional): Uniform passes before the first
            walk batches. (default: :obj:`1`)
        refresh_every (int, optional): Batches between two :meth:`build`
            calls. (default: :obj:`100`)
        embeddings (torch.Tensor, optional): Initial table :obj:`[N, d]`,
            e.g. to sample a fixed embedding set with
            :obj:`warmup_epochs=0`. (default: :obj:`None`)
        drop_last (bool, optional): :obj:`floor(N / B)` batches per pass
            instead of :obj:`ceil(N / B)` (uniform passes drop their last,
            smaller batch; walk batches always hold :obj:`B`). (default:
            :obj:`False`)
        coverage (str, optional): :obj:`"cycle"` (passes of
            :obj:`ceil(N / B)` batches, coverage across passes) or
            :obj:`"epoch"` (the paper's coverage epoch, a pass per cycle).
            (default: :obj:`"cycle"`)
        seed (int, optional): Seed of every random choice; :obj:`None`
            draws one from torch's global generator at construction, as
            :class:`~torch.utils.data.DataLoader` does, so
            :obj:`torch.manual_seed` decides it. (default: :obj:`None`)
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
        coverage: Coverage = "cycle",
        seed: Optional[int] = None,
    ) -> None:
        check_num_instances(num_instances)
        check_batch_size(batch_size, num_instances)
        check_non_negative_int(warmup_epochs, "warmup_epochs")
        check_positive_int(refresh_every, "refresh_every")
        check_bool(drop_last, "drop_last")
        check_choice(coverage, "coverage", COVERAGES)
        self.num_instances = int(num_instances)
        self.batch_size = int(batch_size)
        self.warmup_epochs = int(warmup_epochs)
        self.refresh_every = int(refresh_every)
        self.drop_last = drop_last
        self.coverage = coverage
        self.seed = draw_seed() if seed is None else check_seed(seed)

        self.embeddings: Optional[Tensor] = None
        self.seen = torch.zeros(self.num_instances, dtype=torch.bool)
        self._changed = torch.zeros(self.num_instances, dtype=torch.bool)
        self._num_updates = 0  # this pass's update calls
        if embeddings is not None:
            self.update(torch.arange(self.num_instances), embeddings)

        self.epoch = 0
        self.generator = torch.Generator()
        self.stats: Dict[str, float] = {}
        self.totals: Dict[str, float] = {}
        self._in_epoch = False
        self._coverage = False
        self._covered = torch.zeros(self.num_instances, dtype=torch.bool)
        self._num_covered = 0
        self._queue: List[Tensor] = []
        self._num_yielded = 0
        self._since_build = 0
        self._built = False
        self._new_fraction = 1.0
        self._last_len: Optional[int] = None
        self._scratch: Optional[Tensor] = None
        self._num_updates = 0  # the constructor's own update does not count
        # A fixed embedding set given up front and never fed is a legitimate
        # use without update calls; anything else that passes without one
        # is probably an evaluation pass.
        self._static = embeddings is not None
        self._warned_unused = False

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
        check_embeddings(z, "embeddings (after the cast to float32)")
        table = self.embeddings
        if table is not None and z.size(1) != table.size(1):
            raise ValueError(
                f"`update` got embeddings of dimension {z.size(1)}, the table "
                f"holds dimension {self.embeddings.size(1)}; feed the same "
                f"layer's output every time")
        if self.embeddings is None:
            self.embeddings = torch.zeros(self.num_instances, z.size(1),
                                          device=z.device)
        self.embeddings[index.to(self.embeddings.device)] = self.prepare(
            z.to(self.embeddings.device))
        self.seen[index.cpu()] = True
        self._changed[index.cpu()] = True
        self._num_updates += 1
        self._static = False

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
        r"""Batches of the next (or current) pass: exactly
        :obj:`ceil(N / B)` (:obj:`floor` with :obj:`drop_last`), except
        coverage epochs of :obj:`coverage="epoch"`, for which it is the
        count of the last finished one."""
        if self.coverage == "epoch":
            coverage = self._coverage if self._in_epoch else (
                self.uses_coverage() and not self.is_warmup())
            if coverage:
                return self._last_len or self._pass_len()
        return self._pass_len()

    def __iter__(self) -> Iterator[List[int]]:
        if not self._in_epoch:
            self._start_epoch()
        while True:
            batch = self._next_batch()
            if batch is None:
                break
            yield batch.tolist()
        if self._coverage and self.coverage == "epoch":
            self._last_len = self._num_yielded
        self._in_epoch = False
        self.epoch += 1

    # ----------------------------------------------------- for subclasses
    def uses_coverage(self) -> bool:
        r"""Whether post-warm-up epochs are coverage epochs."""
        return True

    def prepare(self, embeddings: Tensor) -> Tensor:
        r"""Turns fed float32 rows into table rows (the identity here; a
        subclass that only needs directions may normalise them)."""
        return embeddings

    def build(self, embeddings: Tensor,
              changed: Optional[Tensor] = None) -> None:
        r"""Rebuilds the structure :meth:`draw` samples from.
        :obj:`changed` holds the rows written since the last build
        (:obj:`None` at the first build), for a rolling refresh."""
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

    def check_extra_state(self, state: Dict[str, Any]) -> None:
        r"""Raises :class:`ValueError` if :obj:`state` cannot be what
        :meth:`extra_state` returned for this sampler."""

    # --------------------------------------------------------------- state
    def state_dict(self) -> Dict[str, Any]:
        r"""Everything needed to resume, mid-epoch included."""
        return {
            "type": type(self).__name__,
            "coverage_mode": self.coverage,
            "seed": self.seed,
            "num_instances": self.num_instances,
            "batch_size": self.batch_size,
            "epoch": self.epoch,
            "embeddings": (None if self.embeddings is None
                           else self.embeddings.clone()),  # a snapshot
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
            "changed": self._changed.clone(),
            "num_updates": self._num_updates,
            "static": self._static,
            "stats": dict(self.stats),
            "totals": dict(self.totals),
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        r"""Restores a :meth:`state_dict`; sizes must match this sampler.
        Everything is checked before anything changes: a state that does
        not fit (another sampler type or size, missing keys, tensors of the
        wrong shape or range, a foreign generator state) raises
        :class:`ValueError` and leaves this sampler as it was."""
        self._check_state(state)
        self.check_extra_state(state["extra"])
        self.seed = int(state.get("seed", self.seed))
        self.epoch = state["epoch"]
        z = state["embeddings"]
        self.embeddings = None if z is None else self.prepare(
            z.float().clone())  # update() writes into it in place
        self.seen = state["seen"].clone()
        self.generator.set_state(state["generator"])
        self._in_epoch = state["in_epoch"]
        self._coverage = state["coverage"]
        self._covered = state["covered"].clone().cpu()
        self._num_covered = int(self._covered.sum())
        self._queue = [q.clone() for q in state["queue"]]
        self._num_yielded = state["num_yielded"]
        self._since_build = state["since_build"]
        self._built = state["built"]
        self._new_fraction = state["new_fraction"]
        self._last_len = state["last_len"]
        self._changed = state.get("changed", self.seen.clone()).clone()
        self._num_updates = state.get("num_updates", 1)
        self._static = state.get("static", False)
        self.stats = dict(state["stats"])
        self.totals = dict(state["totals"])
        self.load_extra_state(state["extra"])

    # ------------------------------------------------------------ internals
    def _check_state(self, state: Dict[str, Any]) -> None:
        def bad(what: str) -> ValueError:
            return ValueError(
                f"cannot load this state_dict into {type(self).__name__}: "
                f"{what}; pass the state this sampler's `state_dict()` "
                f"saved (same type, data set and batch size)")

        if not isinstance(state, dict):
            raise bad(f"got a {type(state).__name__}, not a dict")
        saved_type = state.get("type", type(self).__name__)
        if saved_type != type(self).__name__:
            raise bad(f"it was saved by a {saved_type}")
        missing = {"num_instances", "batch_size", "epoch", "embeddings",
                   "seen", "generator", "in_epoch", "coverage", "covered",
                   "queue", "num_yielded", "since_build", "built",
                   "new_fraction", "last_len", "stats", "totals",
                   "extra"} - set(state)
        if missing:
            raise bad(f"keys {sorted(missing)} are missing")
        for key in ("num_instances", "batch_size"):
            if state[key] != getattr(self, key):
                raise bad(f"it was saved with {key}={state[key]}, this "
                          f"sampler has {key}={getattr(self, key)}")
        mode = state.get("coverage_mode", "epoch")
        if mode != self.coverage:
            raise bad(f"it was saved with coverage={mode!r}, this sampler "
                      f"has coverage={self.coverage!r}")
        if "seed" in state and (not is_int(state["seed"])
                                or int(state["seed"]) < 0):
            raise bad("`seed` is not a non-negative integer")
        for key in ("stats", "totals", "extra"):
            if not isinstance(state[key], dict):
                raise bad(f"`{key}` is not a dict")
        n = self.num_instances
        for key in ("seen", "covered", "changed"):
            value = state.get(key, self.seen)
            if not isinstance(value, Tensor) or value.dtype != torch.bool \
                    or tuple(value.shape) != (n,):
                raise bad(f"`{key}` is not a bool tensor of shape [{n}]")
        z = state["embeddings"]
        if z is not None and (not isinstance(z, Tensor) or z.dim() != 2
                              or z.size(0) != n
                              or not torch.is_floating_point(z)
                              or not bool(torch.isfinite(z).all())):
            raise bad(f"`embeddings` is not a finite float tensor [{n}, d]")
        if not isinstance(state["queue"], list) or not all(
                isinstance(q, Tensor) and q.dim() == 1 and q.numel() > 0
                and q.dtype == torch.long and int(q.min()) >= 0
                and int(q.max()) < n for q in state["queue"]):
            raise bad(f"`queue` is not a list of index vectors in [0, {n})")
        for key in ("epoch", "num_yielded", "since_build"):
            if not is_int(state[key]) or int(state[key]) < 0:
                raise bad(f"`{key}` is not a non-negative integer")
        try:
            torch.Generator().set_state(state["generator"])
        except (RuntimeError, TypeError) as e:
            raise bad(f"`generator` is not a CPU generator state ({e})") \
                from None

    def _warn_if_unused(self) -> None:
        r"""Warns once if the pass before the one starting had no
        :meth:`update` (checked here rather than when it ends: with
        :obj:`num_workers > 0` a loader reads ahead, so the last updates
        of a pass arrive after the sampler finished it)."""
        if (self._num_yielded > 0 and self.uses_coverage()
                and self._num_updates == 0 and not self._static
                and not self._warned_unused):
            self._warned_unused = True
            warnings.warn(
                f"the last pass of {type(self).__name__} had no `update` "
                f"call: if it embedded the data set for evaluation, it "
                f"repeated instances and advanced the sampler; iterate "
                f"the data set in order instead (e.g. "
                f"`loader.sequential()`)", stacklevel=4)

    def _start_epoch(self) -> None:
        self._warn_if_unused()
        self.generator.manual_seed(
            (self.seed * 1_000_003 + self.epoch) % (1 << 63))
        self._in_epoch = True
        self._num_yielded = 0
        self._num_updates = 0
        self._queue = []
        if self.coverage == "epoch":
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

    def _pass_len(self) -> int:
        n, b = self.num_instances, self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def _next_batch(self) -> Optional[Tensor]:
        if not self._coverage:
            if not self._queue:
                return None
            self._num_yielded += 1
            return self._queue.pop(0)
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
        if self._since_build >= self.refresh_every:
            assert self.embeddings is not None
            t = time.perf_counter()
            changed = (self._changed.nonzero().view(-1) if self._built
                       else None)
            self._changed.zero_()
            self.build(self.embeddings, changed)
            self.add_stat("build_seconds", time.perf_counter() - t)
            self.add_stat("num_builds", 1)
            self._since_build = 0
            self._built = True
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
        # How many new instances a batch brings, to size the next round:
        # the distinct uncovered ones, counted with a scratch slot per
        # instance (whichever duplicate writes last, one position of each
        # value finds itself there) instead of a sort.
        flat = batches.view(-1)
        fresh = flat[~self._covered[flat]]
        if self._scratch is None:
            self._scratch = torch.zeros(self.num_instances, dtype=torch.long)
        position = torch.arange(fresh.numel())
        self._scratch[fresh] = position
        new = int((self._scratch[fresh] == position).sum())
        self._new_fraction = max(0.05, new / (count * self.batch_size))
        self._queue = list(batches.unbind(0))

    def _last_batch(self, num_covered: int) -> Optional[Tensor]:
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
