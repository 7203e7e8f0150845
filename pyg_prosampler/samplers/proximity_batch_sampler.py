r"""ProSampler: mini-batches as random walks with restart on a proximity
graph of the instances' embeddings."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

import torch
from torch import Tensor
from torch_geometric.data import Data

from pyg_prosampler._validation import (
    check_num_neighbors,
    check_positive_int,
    check_restart_prob,
)
from pyg_prosampler.proximity_graph import (
    ENGINES,
    Engine,
    build_proximity_graph,
)
from pyg_prosampler.random_walk import rwr_csr, to_csr
from pyg_prosampler.samplers.embedding_batch_sampler import (
    EmbeddingBatchSampler,
)

RestartProb = Union[float, Callable[[int], float]]


class ProximityBatchSampler(EmbeddingBatchSampler):
    r"""The ProSampler / BatchSampler batch sampler: every batch is the set
    of distinct instances visited by a random walk with restart on a
    proximity graph of the instances' embeddings, so that a batch holds
    mutually similar instances (hard in-batch negatives).

    The training loop feeds embeddings with :meth:`update`; the graph
    (:func:`~pyg_prosampler.build_proximity_graph`) is rebuilt from the table
    every :obj:`refresh_every` batches.  Epochs follow the paper: uniform
    warm-up epochs, then coverage epochs whose walks start from instances not
    yet seen in the epoch, so each instance is seen at least once per epoch
    (see :class:`EmbeddingBatchSampler`).  The two knobs set the hardness:
    :obj:`num_candidates` (larger = closer neighbours) and
    :obj:`restart_prob` (larger = walks stay nearer their start).

    .. code-block:: python

        from torch_geometric.loader import DataLoader
        from pyg_prosampler import ProximityBatchSampler

        sampler = ProximityBatchSampler(len(dataset), batch_size=128)
        loader = DataLoader(dataset, batch_sampler=sampler)
        for epoch in range(20):
            for batch in loader:   # batches carry no index here: see
                ...                # ProximityLoader, or track the lists

    Args:
        num_instances (int): Number of instances :obj:`N`.
        batch_size (int): Batch size :obj:`B`, at most :obj:`N`.
        num_neighbors (int, optional): Out-degree :obj:`K` of the proximity
            graph, smaller than :obj:`N`. (default: :obj:`100`)
        num_candidates (int, optional): Candidates :obj:`M` per node;
            :obj:`None` for the exact kNN graph. (default: :obj:`1000`)
        restart_prob (float or callable, optional): Restart probability in
            :obj:`[0, 1)`, or a function of the epoch such as
            :class:`AnnealedRestartProb`. (default: :obj:`0.1`)
        refresh_every (int, optional): Batches between graph rebuilds.
            (default: :obj:`100`)
        warmup_epochs (int, optional): Uniform epochs first. (default:
            :obj:`1`)
        engine (str, optional): Exact kNN engine, see
            :func:`build_proximity_graph`. (default: :obj:`"auto"`)
        max_rounds (int, optional): Walk rounds before a short batch is
            completed uniformly, see :func:`random_walk_with_restart`.
            (default: :obj:`8`)
        embeddings (torch.Tensor, optional): Initial embeddings
            :obj:`[N, d]`. (default: :obj:`None`)
        drop_last (bool, optional): Drop the last batch of uniform epochs.
            (default: :obj:`False`)
        seed (int, optional): Seed. (default: :obj:`0`)
    """

    def __init__(
        self,
        num_instances: int,
        batch_size: int,
        *,
        num_neighbors: int = 100,
        num_candidates: Optional[int] = 1000,
        restart_prob: RestartProb = 0.1,
        refresh_every: int = 100,
        warmup_epochs: int = 1,
        engine: Engine = "auto",
        max_rounds: int = 8,
        embeddings: Optional[Tensor] = None,
        drop_last: bool = False,
        seed: int = 0,
    ) -> None:
        check_num_neighbors(num_neighbors, num_instances)
        if num_candidates is not None:
            check_positive_int(num_candidates, "num_candidates")
            if num_candidates < num_neighbors:
                raise ValueError(
                    f"`num_candidates` ({num_candidates}) must be at least "
                    f"`num_neighbors` ({num_neighbors})")
        if not callable(restart_prob):
            check_restart_prob(restart_prob)
        if engine not in ENGINES:
            raise ValueError(f"`engine` must be one of {ENGINES}, got "
                             f"{engine!r}")
        check_positive_int(max_rounds, "max_rounds")
        self.num_neighbors = num_neighbors
        self.num_candidates = num_candidates
        self.restart_prob = restart_prob
        self.engine = engine
        self.max_rounds = max_rounds
        self.graph: Optional[Data] = None
        self._csr: Optional[tuple[Tensor, Tensor]] = None
        super().__init__(num_instances, batch_size,
                         warmup_epochs=warmup_epochs,
                         refresh_every=refresh_every, embeddings=embeddings,
                         drop_last=drop_last, seed=seed)

    def current_restart_prob(self) -> float:
        r"""The restart probability of the current epoch."""
        if callable(self.restart_prob):
            value = float(self.restart_prob(self.epoch))
            check_restart_prob(value, "restart_prob(epoch)")
            return value
        return float(self.restart_prob)

    def build(self, embeddings: Tensor) -> None:
        device_gen = torch.Generator(device=embeddings.device)
        device_gen.manual_seed(int(torch.randint(
            2**62, (1,), generator=self.generator)))
        self.graph = build_proximity_graph(
            embeddings, self.num_neighbors, self.num_candidates,
            engine=self.engine, generator=device_gen)
        self._csr = to_csr(self.graph.edge_index, self.num_instances)

    def draw(self, start: Tensor) -> Tensor:
        assert self._csr is not None, "build() must run before draw()"
        rowptr, col = self._csr
        out, filled = rwr_csr(rowptr, col, start.to(rowptr.device),
                              self.batch_size, self.current_restart_prob(),
                              self.max_rounds, self.generator)
        self.add_stat("num_filled", float((filled > 0).sum()))
        return out

    def extra_state(self) -> Dict[str, Any]:
        if self.graph is None:
            return {"graph": None}
        return {"graph": (self.graph.edge_index, self.graph.edge_weight)}

    def load_extra_state(self, state: Dict[str, Any]) -> None:
        if state["graph"] is None:
            self.graph, self._csr = None, None
            return
        edge_index, edge_weight = state["graph"]
        self.graph = Data(edge_index=edge_index, edge_weight=edge_weight,
                          num_nodes=self.num_instances)
        self._csr = to_csr(edge_index, self.num_instances)
