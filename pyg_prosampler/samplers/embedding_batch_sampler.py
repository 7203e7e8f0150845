r"""The machinery the batch samplers share: an embedding table fed by the
training loop, uniform and coverage epochs, seeding and resumable state."""
from __future__ import annotations

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
)
from pyg_prosampler.samplers._coverage import CoverageWalks
from pyg_prosampler.samplers._sampler_state import (
    check_state,
    load_state,
    save_state,
)

__all__ = ["EmbeddingBatchSampler", "Coverage", "COVERAGES"]

Coverage = Literal["cycle", "epoch"]
COVERAGES = ("cycle", "epoch")


class EmbeddingBatchSampler(CoverageWalks, Sampler[List[int]]):
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
    instead (e.g. :meth:`~pyg_prosampler.loader.ProximityLoader.sequential`).
    A fixed embedding
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
        self._coverage_pass = False
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
            coverage = self._coverage_pass if self._in_epoch else (
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
        if self._coverage_pass and self.coverage == "epoch":
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
        return save_state(self)

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        r"""Restores a :meth:`state_dict`; sizes must match this sampler.
        Everything is checked before anything changes: a state that does
        not fit (another sampler type or size, missing keys, tensors of the
        wrong shape or range, a foreign generator state) raises
        :class:`ValueError` and leaves this sampler as it was."""
        check_state(self, state)
        self.check_extra_state(state["extra"])
        load_state(self, state)
        self.load_extra_state(state["extra"])

    # ------------------------------------------------------------ internals
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
        self._coverage_pass = self.uses_coverage() and not self.is_warmup()
        if (self.uses_coverage() and self.epoch >= self.warmup_epochs
                and not self._coverage_pass):
            warnings.warn(
                f"{int((~self.seen).sum())} of {self.num_instances} instances "
                f"have no embedding yet, so epoch {self.epoch} is uniform; "
                f"call `update(batch.idx, z)` for every batch", stacklevel=3)
        if not self._coverage_pass:
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
        if self._coverage_pass:
            return self._next_walk_batch()
        if not self._queue:
            return None
        self._num_yielded += 1
        return self._queue.pop(0)
