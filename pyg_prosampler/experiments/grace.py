r"""GRACE node-level contrastive training, full-graph (as published) or in
mini-batches of seed nodes with their sampled subgraphs, and GRACE's
evaluation protocol."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data
from tqdm.auto import tqdm

from pyg_prosampler.contrastive.losses import grace_loss
from pyg_prosampler.contrastive.models import GRACE
from pyg_prosampler.diagnostics import pair_mean
from pyg_prosampler.samplers import EmbeddingBatchSampler

__all__ = ["GRACE_CONFIGS", "grace_config", "grace_views", "train_grace",
           "embed_nodes", "evaluate_grace", "linear_probe_accuracy"]

# GRACE's hyper-parameters per data set, from its public config.yaml
# (github.com/CRIPAC-DIG/GRACE); "default" serves any other graph.
GRACE_CONFIGS: Dict[str, Dict[str, Any]] = {
    "Cora": dict(lr=5e-4, hidden=128, proj_hidden=128, activation="relu",
                 num_layers=2, drop_edge=(0.2, 0.4), drop_feature=(0.3, 0.4),
                 tau=0.4, epochs=200, weight_decay=1e-5),
    "CiteSeer": dict(lr=1e-3, hidden=256, proj_hidden=256,
                     activation="prelu", num_layers=2, drop_edge=(0.2, 0.0),
                     drop_feature=(0.3, 0.2), tau=0.9, epochs=200,
                     weight_decay=1e-5),
    "default": dict(lr=1e-3, hidden=128, proj_hidden=128, activation="relu",
                    num_layers=2, drop_edge=(0.2, 0.4),
                    drop_feature=(0.3, 0.4), tau=0.5, epochs=200,
                    weight_decay=1e-5),
}


def grace_config(name: str, **overrides: Any) -> Dict[str, Any]:
    r"""GRACE's configuration of data set :obj:`name` (else the default),
    with :obj:`overrides` (:obj:`None` values ignored)."""
    config = dict(GRACE_CONFIGS.get(name, GRACE_CONFIGS["default"]))
    config.update({k: v for k, v in overrides.items() if v is not None})
    return config


def grace_views(x: Tensor, edge_index: Tensor, drop_edge: Sequence[float],
                drop_feature: Sequence[float],
                generator: torch.Generator) -> List[Tuple[Tensor, Tensor]]:
    r"""GRACE's two views: each drops every directed edge with its
    probability and zeroes a random set of feature columns."""
    views = []
    for p_edge, p_feat in zip(drop_edge, drop_feature):
        keep = torch.rand(edge_index.size(1), generator=generator) >= p_edge
        cols = torch.rand(x.size(1), generator=generator) < p_feat
        views.append((x.masked_fill(cols.to(x.device), 0.0),
                      edge_index[:, keep.to(edge_index.device)]))
    return views


def _hardness(h: Tensor, onehot: Optional[Tensor]) -> Dict[str, float]:
    index = torch.arange(h.size(0)).view(1, -1)
    out = {"mean_cosine": float(pair_mean(F.normalize(h, dim=1), index))}
    if onehot is not None:
        out["same_class"] = float(pair_mean(onehot, index))
    return out


def _step(model: GRACE, opt: torch.optim.Optimizer, x: Tensor,
          edge_index: Tensor, num_seeds: int, config: Dict[str, Any],
          generator: torch.Generator) -> Tuple[float, Tensor]:
    r"""One GRACE step on a graph whose first :obj:`num_seeds` nodes are
    contrasted; returns the loss and the seeds' first-view projection."""
    model.train()
    (x1, e1), (x2, e2) = grace_views(x, edge_index, config["drop_edge"],
                                     config["drop_feature"], generator)
    z1 = model.project(model(x1, e1)[:num_seeds])
    z2 = model.project(model(x2, e2)[:num_seeds])
    loss = grace_loss(z1, z2, config["tau"])
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach()), z1.detach()


def train_grace(
    data: Data,
    config: Dict[str, Any],
    *,
    loader: Optional[Any] = None,
    epochs: Optional[int] = None,
    seed: int = 0,
    progress: bool = True,
) -> Tuple[GRACE, List[Dict[str, float]]]:
    r"""Trains GRACE on :obj:`data` and returns the model and per-epoch
    logs (loss; seconds of training, of drawing seed batches and of
    sampling subgraphs; mean in-batch cosine of the fed embeddings and,
    when :obj:`data.y` exists, the fraction of same-class pairs, for
    diagnostics only).

    Without :obj:`loader`, one full-graph step an epoch, all nodes each
    other's negatives (GRACE as published).  With a
    :class:`~pyg_prosampler.loader.ProximityNeighborLoader` (or any
    :class:`NeighborLoader` with an embedding batch sampler), a step per
    batch: the seeds' embeddings come from their sampled subgraph, the
    seeds are each other's negatives, and their first-view projections
    are fed back to the sampler.

    Deterministic given :obj:`seed`; torch's global random state is left
    as it was.
    """
    epochs = config["epochs"] if epochs is None else epochs
    y = getattr(data, "y", None)
    onehot = None if y is None else F.one_hot(y.view(-1).long()).float()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # model init, and the loader's subgraphs
        generator = torch.Generator().manual_seed(seed)
        model = GRACE(data.num_features, config["hidden"],
                      config["proj_hidden"], config["num_layers"],
                      config["activation"])
        opt = torch.optim.Adam(model.parameters(), lr=config["lr"],
                               weight_decay=config["weight_decay"])
        logs = []
        for epoch in tqdm(range(epochs), desc="GRACE", disable=not progress,
                          leave=False):
            if loader is None:
                logs.append(_full_epoch(model, opt, data, config, generator,
                                        onehot))
            else:
                logs.append(_minibatch_epoch(model, opt, loader, epoch,
                                             config, generator, onehot))
    return model, logs


def _full_epoch(model: GRACE, opt: torch.optim.Optimizer, data: Data,
                config: Dict[str, Any], generator: torch.Generator,
                onehot: Optional[Tensor]) -> Dict[str, float]:
    t = time.perf_counter()
    loss, z = _step(model, opt, data.x, data.edge_index, data.num_nodes,
                    config, generator)
    return {"loss": loss, "train_seconds": time.perf_counter() - t,
            "batch_seconds": 0.0, "subgraph_seconds": 0.0, "steps": 1,
            **_hardness(z, onehot)}


def _minibatch_epoch(model: GRACE, opt: torch.optim.Optimizer, loader: Any,
                     epoch: int, config: Dict[str, Any],
                     generator: torch.Generator,
                     onehot: Optional[Tensor]) -> Dict[str, float]:
    sampler: EmbeddingBatchSampler = loader.batch_sampler
    sampler.set_epoch(epoch)
    totals = dict.fromkeys(("loss", "train_seconds", "wait_seconds",
                            "mean_cosine", "same_class"), 0.0)
    steps = 0
    t = time.perf_counter()
    for batch in loader:
        now = time.perf_counter()
        totals["wait_seconds"] += now - t
        loss, z = _step(model, opt, batch.x, batch.edge_index,
                        batch.batch_size, config, generator)
        loader.update(batch.input_id, z)
        t = time.perf_counter()
        totals["train_seconds"] += t - now
        totals["loss"] += loss
        seeds = batch.n_id[:batch.batch_size]
        hard = _hardness(z, None if onehot is None else onehot[seeds])
        for key, value in hard.items():
            totals[key] += value
        steps += 1
    stats = getattr(sampler, "stats", {})
    batch_seconds = stats.get("build_seconds", 0.0) + \
        stats.get("draw_seconds", 0.0)
    wait = totals.pop("wait_seconds")
    out = {k: v / steps if k in ("loss", "mean_cosine", "same_class") else v
           for k, v in totals.items()}
    if onehot is None:
        out.pop("same_class")
    out.update(batch_seconds=batch_seconds,
               subgraph_seconds=max(0.0, wait - batch_seconds), steps=steps)
    return out


@torch.no_grad()
def embed_nodes(model: GRACE, data: Data) -> Tensor:
    r"""The encoder's representation of every node, from the full graph."""
    model.eval()
    return model(data.x, data.edge_index)


def evaluate_grace(z: Tensor, y: Tensor, seed: int = 0, repeats: int = 3,
                   train_ratio: float = 0.1) -> Dict[str, float]:
    r"""GRACE's protocol: L2-normalised frozen embeddings; a random
    :obj:`train_ratio` of the nodes trains a one-vs-rest
    :class:`LogisticRegression` (liblinear) whose :obj:`C` in
    :math:`2^{-10} .. 2^{9}` is chosen by 5-fold cross-validation on the
    training nodes; micro-F1 (here equal to accuracy) on all other nodes;
    mean and std over :obj:`repeats` random splits drawn from
    :obj:`seed`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import normalize

    x = normalize(z.detach().cpu().double().numpy(), norm="l2")
    labels = y.view(-1).cpu().numpy()
    rng = np.random.RandomState(seed)
    micro, macro = [], []
    for _ in range(repeats):
        x_tr, x_te, y_tr, y_te = train_test_split(
            x, labels, train_size=train_ratio,
            random_state=rng.randint(1 << 31))
        clf = GridSearchCV(
            OneVsRestClassifier(LogisticRegression(solver="liblinear")),
            {"estimator__C": 2.0 ** np.arange(-10, 10)}, cv=5)
        clf.fit(x_tr, y_tr)
        pred = clf.classes_[clf.predict_proba(x_te).argmax(1)]
        micro.append(f1_score(y_te, pred, average="micro"))
        macro.append(f1_score(y_te, pred, average="macro"))
    return {"accuracy": float(np.mean(micro)),
            "accuracy_std_splits": float(np.std(micro)),
            "f1_macro": float(np.mean(macro))}


def linear_probe_accuracy(z: Tensor, y: Tensor, num_train: int,
                          num_test: int, seed: int = 0) -> float:
    r"""A linear probe for large graphs: a multinomial
    :class:`LogisticRegression` (:obj:`C = 1`) on :obj:`num_train` random
    nodes' L2-normalised embeddings, accuracy on :obj:`num_test` others."""
    from sklearn.linear_model import LogisticRegression

    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(z.size(0), generator=gen)
    train, test = perm[:num_train], perm[num_train:num_train + num_test]
    x = F.normalize(z.float(), dim=1).numpy()
    labels = y.view(-1).numpy()
    clf = LogisticRegression(max_iter=1000).fit(x[train], labels[train])
    return float(clf.score(x[test], labels[test]))
