r"""The standard unsupervised graph-classification protocol: an SVM on frozen
embeddings, C chosen by inner 5-fold grid search, outer 10-fold stratified
cross-validation."""
from __future__ import annotations

import warnings
from typing import Dict, Sequence

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC, LinearSVC
from torch import Tensor

C_GRID = (0.001, 0.01, 0.1, 1, 10, 100, 1000)


def svm_accuracy(
    embeddings: Tensor | np.ndarray,
    labels: Tensor | np.ndarray,
    seed: int = 0,
    *,
    linear: bool = False,
    folds: int = 10,
    inner_folds: int = 5,
    c_grid: Sequence[float] = C_GRID,
) -> Dict[str, float]:
    r"""Outer :obj:`folds`-fold stratified CV accuracy of an SVM whose
    :obj:`C` is chosen on each training split by inner
    :obj:`inner_folds`-fold grid search (GraphCL / InfoGraph protocol:
    RBF :class:`~sklearn.svm.SVC`, embeddings unscaled; :obj:`linear=True`
    uses :class:`~sklearn.svm.LinearSVC` as MVGRL).  Both splits are
    shuffled with :obj:`seed`, so the result is deterministic.

    .. code-block:: python

        res = svm_accuracy(z, y, seed=0)
        res["accuracy"], res["accuracy_std_folds"]

    Returns:
        :obj:`{"accuracy": mean over folds, "accuracy_std_folds": std}`
        as fractions in :obj:`[0, 1]`.
    """
    x = _numpy(embeddings).astype(np.float64)
    y = _numpy(labels).reshape(-1)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"embeddings {x.shape} and labels {y.shape} do not "
                         f"match: pass [N, d] and [N]")
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or inf; the model diverged")
    outer = StratifiedKFold(folds, shuffle=True, random_state=seed)
    inner = StratifiedKFold(inner_folds, shuffle=True, random_state=seed)
    base = (LinearSVC(dual="auto", max_iter=5000, random_state=seed)
            if linear else SVC())
    scores = []
    for train, test in outer.split(x, y):
        search = GridSearchCV(base, {"C": list(c_grid)}, cv=inner,
                              scoring="accuracy")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(x[train], y[train])
        scores.append(float((search.predict(x[test]) == y[test]).mean()))
    return {"accuracy": float(np.mean(scores)),
            "accuracy_std_folds": float(np.std(scores))}


def _numpy(a: Tensor | np.ndarray) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, Tensor) else \
        np.asarray(a)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    r"""Mean and (population) standard deviation, as papers report over
    seeds."""
    t = torch.tensor(list(values), dtype=torch.float64)
    return float(t.mean()), float(t.std(unbiased=False))
