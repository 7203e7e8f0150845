r"""ProSampler: mini-batches as random walks with restart on a proximity
graph of the instances' embeddings."""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Literal, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from pyg_prosampler._candidates import knn_candidates
from pyg_prosampler._knn import is_exact, knn_rows, neighbors_to_data
from pyg_prosampler._validation import (
    check_choice,
    check_num_instances,
    check_num_neighbors,
    check_positive_int,
    check_restart_prob,
    is_int,
)
from pyg_prosampler.proximity_graph import (
    ENGINES,
    FAISS_FROM,
    Engine,
    _proximity_neighbors,
)
from pyg_prosampler.random_walk import _rwr_csr
from pyg_prosampler.samplers.embedding_batch_sampler import (
    Coverage,
    EmbeddingBatchSampler,
)

__all__ = ["ProximityBatchSampler", "RestartProb", "Refresh", "REFRESHES"]

RestartProb = Union[float, Callable[[int], float]]
Refresh = Literal["rolling", "full"]
REFRESHES = ("rolling", "full")
# An all-gather of rows in rank order (a distributed refresh).
_RowGather = Callable[[Tensor], Tensor]


def _default_num_neighbors(num_instances: int,
                          num_candidates: Optional[int]) -> int:
    r"""The out-degree :obj:`K` used when none is given:
    :obj:`min(100, N - 1, M)`, the paper's 100 where the data set and the
    candidate pool allow it."""
    k = min(100, int(num_instances) - 1)
    return k if num_candidates is None else min(k, int(num_candidates))


class ProximityBatchSampler(EmbeddingBatchSampler):
    r"""The ProSampler / BatchSampler batch sampler: every batch is the set
    of distinct instances visited by a random walk with restart on a
    proximity graph of the instances' embeddings, so that a batch holds
    mutually similar instances (hard in-batch negatives).

    The training loop feeds embeddings with :meth:`update`; the graph
    (:func:`~pyg_prosampler.build_proximity_graph`) is refreshed from the
    table every :obj:`refresh_every` batches.  Passes follow
    :class:`EmbeddingBatchSampler`: uniform warm-up passes, then walk
    batches from instances not yet covered, :obj:`ceil(N / B)` batches a
    pass.  The two knobs set the hardness: :obj:`num_candidates` (larger =
    closer neighbours) and :obj:`restart_prob` (larger = walks stay nearer
    their start).

    The refresh is *rolling* by default: it recomputes, with fresh
    candidates, the out-neighbour lists of the rows fed since the last
    refresh only, plus the rows whose lists are older than
    :obj:`ceil(N / (refresh_every * B))` refreshes (about one pass), so
    that rows the loop stopped feeding are not left with stale lists.  A
    pass that feeds every batch then costs :obj:`O(N M d)` whatever
    :obj:`refresh_every`, instead of :obj:`O(N^2 M d / (B refresh_every))`
    for full rebuilds (:obj:`refresh="full"`, the paper's).  The exact kNN
    graph (:obj:`num_candidates=None`, or at least :obj:`N - 1`) is
    refreshed the same way by scanning all :obj:`N` rows for each changed
    row; the :obj:`"torch_cluster"` and :obj:`"faiss"` engines always
    rebuild.  In rolling mode the table holds L2-normalised rows (only
    directions matter to a cosine graph).

    .. code-block:: python

        from torch_geometric.loader import DataLoader
        from pyg_prosampler import ProximityBatchSampler

        sampler = ProximityBatchSampler(len(dataset), batch_size=128)
        loader = DataLoader(dataset, batch_sampler=sampler)
        for epoch in range(20):
            for batch in loader:   # batches carry no index here: see
                ...                # ProximityLoader, or track the lists

    Args:
        num_instances (int): Number of instances :obj:`N`, at least 2.
        batch_size (int): Batch size :obj:`B`, at most :obj:`N`.
        num_neighbors (int, optional): Out-degree :obj:`K` of the proximity
            graph, smaller than :obj:`N`; :obj:`None` for
            :obj:`min(100, N - 1, num_candidates)`. (default: :obj:`None`)
        num_candidates (int, optional): Candidates :obj:`M` per node;
            :obj:`None` for the exact kNN graph. (default: :obj:`1000`)
        restart_prob (float or callable, optional): Restart probability in
            :obj:`[0, 1)`, or a function of the pass such as
            :class:`AnnealedRestartProb`. (default: :obj:`0.1`)
        refresh_every (int, optional): Batches between graph refreshes.
            (default: :obj:`100`)
        refresh (str, optional): :obj:`"rolling"` or :obj:`"full"`.
            (default: :obj:`"rolling"`)
        warmup_epochs (int, optional): Uniform passes first. (default:
            :obj:`1`)
        engine (str, optional): Exact kNN engine, see
            :func:`build_proximity_graph`. (default: :obj:`"auto"`)
        max_rounds (int, optional): Walk rounds before a short batch is
            completed uniformly, see :func:`random_walk_with_restart`.
            (default: :obj:`8`)
        embeddings (torch.Tensor, optional): Initial embeddings
            :obj:`[N, d]`. (default: :obj:`None`)
        drop_last (bool, optional): :obj:`floor(N / B)` batches a pass.
            (default: :obj:`False`)
        coverage (str, optional): :obj:`"cycle"` or :obj:`"epoch"`, see
            :class:`EmbeddingBatchSampler`. (default: :obj:`"cycle"`)
        seed (int, optional): Seed; :obj:`None` draws one from torch's
            global generator. (default: :obj:`None`)
    """

    def __init__(
        self,
        num_instances: int,
        batch_size: int,
        *,
        num_neighbors: Optional[int] = None,
        num_candidates: Optional[int] = 1000,
        restart_prob: RestartProb = 0.1,
        refresh_every: int = 100,
        refresh: Refresh = "rolling",
        warmup_epochs: int = 1,
        engine: Engine = "auto",
        max_rounds: int = 8,
        embeddings: Optional[Tensor] = None,
        drop_last: bool = False,
        coverage: Coverage = "cycle",
        seed: Optional[int] = None,
    ) -> None:
        check_num_instances(num_instances)
        if num_candidates is not None:
            check_positive_int(num_candidates, "num_candidates")
            num_candidates = int(num_candidates)
        if num_neighbors is None:
            check_num_neighbors(1, num_instances)  # at least 2 instances
            num_neighbors = _default_num_neighbors(num_instances,
                                                   num_candidates)
        check_num_neighbors(num_neighbors, num_instances)
        num_neighbors = int(num_neighbors)
        if num_candidates is not None and num_candidates < num_neighbors:
            raise ValueError(
                f"`num_candidates` ({num_candidates}) must be at least "
                f"`num_neighbors` ({num_neighbors})")
        if not callable(restart_prob):
            check_restart_prob(restart_prob)
            restart_prob = float(restart_prob)
        if engine not in ENGINES:
            raise ValueError(f"`engine` must be one of {ENGINES}, got "
                             f"{engine!r}")
        check_choice(refresh, "refresh", REFRESHES)
        check_positive_int(max_rounds, "max_rounds")
        self.num_neighbors = num_neighbors
        self.num_candidates = num_candidates
        self.restart_prob = restart_prob
        self.refresh = refresh
        self.engine = engine
        self.max_rounds = int(max_rounds)
        self.neighbors: Optional[Tensor] = None  # [N, K], most similar first
        self.weights: Optional[Tensor] = None  # their cosine similarities
        self._age: Optional[Tensor] = None  # refresh that last computed a row
        self._num_refreshes = 0
        self._rowptr: Optional[Tensor] = None
        self._shard: Tuple[int, int] = (0, 1)
        self._gather: Optional[_RowGather] = None
        super().__init__(num_instances, batch_size,
                         warmup_epochs=warmup_epochs,
                         refresh_every=refresh_every, embeddings=embeddings,
                         drop_last=drop_last, coverage=coverage, seed=seed)

    @property
    def graph(self) -> Optional[Data]:
        r"""The current proximity graph as a PyG
        :class:`~torch_geometric.data.Data` (CSR-ordered :obj:`edge_index`,
        :obj:`edge_weight`), or :obj:`None` before the first build."""
        if self.neighbors is None or self.weights is None:
            return None
        return neighbors_to_data(self.neighbors, self.weights)

    def current_restart_prob(self) -> float:
        r"""The restart probability of the current pass."""
        if callable(self.restart_prob):
            value = float(self.restart_prob(self.epoch))
            check_restart_prob(value, "restart_prob(epoch)")
            return value
        return float(self.restart_prob)

    def shard_refresh(self, rank: int, world_size: int,
                      gather: _RowGather) -> None:
        r"""Splits every refresh over :obj:`world_size` ranks: each computes
        a contiguous share of the refreshed rows and :obj:`gather` (an
        all-gather of rows in rank order) assembles them, so all ranks hold
        the graph one process would build.  Set by
        :class:`DistributedBatchSampler`."""
        self._shard, self._gather = (rank, world_size), gather

    def prepare(self, embeddings: Tensor) -> Tensor:
        if self.refresh == "rolling":
            return F.normalize(embeddings, dim=1)
        return embeddings

    def build(self, embeddings: Tensor,
              changed: Optional[Tensor] = None) -> None:
        device_gen = torch.Generator(device=embeddings.device)
        device_gen.manual_seed(int(torch.randint(
            2**62, (1,), generator=self.generator)))
        num = self.num_instances
        max_age = math.ceil(num / (self.refresh_every * self.batch_size))
        rows = None
        if (self.refresh == "rolling" and changed is not None
                and self.neighbors is not None and self._age is not None
                and self._rolling_engine()):
            stale = (self._num_refreshes - self._age) >= max_age
            stale[changed.to(stale.device)] = True
            rows = stale.nonzero().view(-1)
            if rows.numel() == num:
                rows = None
        if rows is None:
            zn = (embeddings if self.refresh == "rolling"
                  else F.normalize(embeddings.float(), dim=1))
            self.weights, self.neighbors = self._neighbors(zn, device_gen)
            # Staggered ages: rows nobody feeds come due in round robin,
            # about N / max_age a refresh, never all at once.
            self._age = self._num_refreshes - torch.arange(num) % max_age
        elif rows.numel() > 0:
            w, c = self._neighbors(embeddings, device_gen,
                                   rows.to(embeddings.device))
            assert self.weights is not None and self.neighbors is not None
            dev_rows = rows.to(self.neighbors.device)
            self.weights[dev_rows] = w
            self.neighbors[dev_rows] = c
            assert self._age is not None
            self._age[rows] = self._num_refreshes
            self.add_stat("rows_refreshed", float(rows.numel()))
        self._num_refreshes += 1

    def _rolling_engine(self) -> bool:
        if not is_exact(self.num_instances, self.num_candidates):
            return True
        return self.engine == "matmul" or (
            self.engine == "auto" and self.num_instances <= FAISS_FROM)

    def _neighbors(self, zn: Tensor, generator: torch.Generator,
                   rows: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        r"""Similarities and neighbours of :obj:`rows` (all rows when
        :obj:`None`), split over the ranks under :meth:`shard_refresh`."""
        k, m = self.num_neighbors, self.num_candidates
        exact = is_exact(self.num_instances, m)
        if rows is None and (exact or self._shard[1] == 1):
            # a whole graph, built alike on every rank (the exact one only
            # exists for small N; faiss / torch_cluster are not split)
            return _proximity_neighbors(zn, k, m, engine=self.engine,
                                        generator=generator)
        if not exact:
            assert m is not None
            return knn_candidates(zn, k, m, rows=rows, generator=generator,
                                  shard=self._shard, gather=self._gather)
        # exact graph, a few rows: each rank scans all N for its share
        assert rows is not None
        rank, world_size = self._shard
        lo = rows.numel() * rank // world_size
        hi = rows.numel() * (rank + 1) // world_size
        w, c = knn_rows(zn, rows[lo:hi], k)
        if world_size > 1:
            assert self._gather is not None
            w, c = self._gather(w), self._gather(c.int()).long()
        return w.to(zn.device), c.to(zn.device)

    def draw(self, start: Tensor) -> Tensor:
        assert self.neighbors is not None, "build() must run before draw()"
        k, col = self.num_neighbors, self.neighbors.view(-1)
        if self._rowptr is None or self._rowptr.device != col.device:
            # every row holds K neighbours: a constant-stride row pointer
            self._rowptr = torch.arange(0, (self.num_instances + 1) * k, k,
                                        device=col.device)
        rowptr = self._rowptr
        out, filled = _rwr_csr(rowptr, col, start.to(rowptr.device),
                               self.batch_size, self.current_restart_prob(),
                               self.max_rounds, self.generator)
        self.add_stat("num_filled", float((filled > 0).sum()))
        return out

    def extra_state(self) -> Dict[str, Any]:
        # Copies: the live tensors change in place at the next refresh.
        return {key: None if value is None else value.clone()
                for key, value in (("neighbors", self.neighbors),
                                   ("weights", self.weights),
                                   ("age", self._age))} | {
            "num_refreshes": self._num_refreshes}

    def check_extra_state(self, state: Dict[str, Any]) -> None:
        n, k = self.num_instances, self.num_neighbors
        if "graph" in state:  # saved before the neighbour matrix was kept
            graph = state["graph"]
            if graph is None:
                return
            ok = isinstance(graph, (tuple, list)) and len(graph) == 2
            edge_index, edge_weight = graph if ok else (None, None)
            if not (ok and isinstance(edge_index, Tensor)
                    and isinstance(edge_weight, Tensor)
                    and tuple(edge_index.shape) == (2, n * k)
                    and tuple(edge_weight.shape) == (n * k,)
                    and edge_index.dtype == torch.long
                    and int(edge_index.min()) >= 0
                    and int(edge_index.max()) < n):
                raise ValueError(
                    f"cannot load this state_dict into "
                    f"ProximityBatchSampler: its graph is not {k} "
                    f"out-edges for each of {n} nodes; build the sampler "
                    f"with the num_neighbors it was saved with")
            return
        missing = {"neighbors", "weights", "age", "num_refreshes"} - set(
            state)
        if missing or not is_int(state["num_refreshes"]):
            raise ValueError(
                f"cannot load this state_dict into ProximityBatchSampler: "
                f"its graph state lacks {sorted(missing) or 'a valid '}"
                f"{'' if missing else '`num_refreshes`'}; pass the state "
                f"this sampler's `state_dict()` saved")
        nbr, w = state["neighbors"], state["weights"]
        if nbr is None and w is None:
            return
        if not (isinstance(nbr, Tensor) and isinstance(w, Tensor)
                and nbr.dtype == torch.long and tuple(nbr.shape) == (n, k)
                and tuple(w.shape) == (n, k)
                and int(nbr.min()) >= 0 and int(nbr.max()) < n):
            raise ValueError(
                f"cannot load this state_dict into ProximityBatchSampler: "
                f"its graph is not a [{n}, {k}] neighbour matrix with "
                f"indices in [0, {n}); build the sampler with the "
                f"num_neighbors and data set it was saved with")
        age = state.get("age")
        if not isinstance(age, Tensor) or tuple(age.shape) != (n,):
            raise ValueError("cannot load this state_dict into "
                             "ProximityBatchSampler: `age` is not a "
                             f"tensor of shape [{n}]")

    def load_extra_state(self, state: Dict[str, Any]) -> None:
        if "graph" in state:  # saved before the neighbour matrix was kept
            graph = state["graph"]
            if graph is None:
                self.neighbors = self.weights = None
            else:
                edge_index, edge_weight = graph
                k = edge_index.size(1) // self.num_instances
                self.neighbors = edge_index[1].view(-1, k).clone()
                self.weights = edge_weight.view(-1, k).clone()
            self._age = None if graph is None else torch.zeros(
                self.num_instances, dtype=torch.long)
            self._num_refreshes = 0
            return
        # Copies: a rolling refresh writes into these in place, and must
        # not change the state it was loaded from.
        self.neighbors, self.weights, self._age = (
            None if state[key] is None else state[key].clone()
            for key in ("neighbors", "weights", "age"))
        self._num_refreshes = int(state["num_refreshes"])
        self._rowptr = None
