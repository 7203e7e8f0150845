r"""The standard unsupervised graph-classification protocol: an SVM on frozen
embeddings, C chosen by inner 5-fold grid search, outer 10-fold stratified
cross-validation."""
from __future__ import annotations

import warnings
from typing import Dict, Mapping, Sequence

import numpy as np
import torch
from scipy.stats import t as student_t
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC
from torch import Tensor
from tqdm.auto import tqdm

from pyg_prosampler.experiments.linear_svm import NewtonLinearSVC

__all__ = ["C_GRID", "svm_accuracy", "nested_choice", "linear_probe_rocauc",
           "mean_std", "paired_difference"]

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
    progress: bool = False,
) -> Dict[str, float]:
    r"""Outer :obj:`folds`-fold stratified CV accuracy of an SVM whose
    :obj:`C` is chosen on each training split by inner
    :obj:`inner_folds`-fold grid search (GraphCL / InfoGraph protocol:
    RBF :class:`~sklearn.svm.SVC`, embeddings unscaled; :obj:`linear=True`
    uses a linear SVM as MVGRL).  Both splits are shuffled with
    :obj:`seed`, so the result is deterministic.
    The linear SVM is :class:`~sklearn.svm.LinearSVC`'s problem solved
    exactly by :class:`~pyg_prosampler.experiments.linear_svm.NewtonLinearSVC`:
    on
    unscaled embeddings with more dimensions than graphs both of
    liblinear's solvers stop at their iteration cap far from the optimum
    at large :obj:`C`, slowly (see
    :obj:`benchmarks/results/svm_solver.json`).  :obj:`progress=True`
    shows a bar over the outer folds.

    .. code-block:: python

        res = svm_accuracy(z, y, seed=0)
        res["accuracy"], res["accuracy_std_folds"]

    Returns:
        :obj:`{"accuracy": mean over folds, "accuracy_std_folds": std,
        "inner_accuracy": mean over folds of the chosen C's inner
        cross-validation accuracy, "fold_accuracies",
        "fold_inner_accuracies"}` as fractions in :obj:`[0, 1]`, the last
        two per outer fold.  A fold's inner accuracy sees only that fold's
        training split, so :func:`nested_choice` can choose a model per
        fold without touching its test split.
    """
    x = _numpy(embeddings).astype(np.float64)
    y = _numpy(labels).reshape(-1)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"embeddings {x.shape} and labels {y.shape} do not "
                         f"match: pass [N, d] and [N]")
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or inf; the model diverged")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("labels contain NaN or inf; pass class indices")
    _, counts = np.unique(y, return_counts=True)
    if counts.size < 2 or counts.max() < folds:
        raise ValueError(
            f"{folds}-fold stratified CV needs at least 2 classes and a "
            f"class of at least {folds} graphs, got class sizes "
            f"{sorted(counts.tolist())}")
    outer = StratifiedKFold(folds, shuffle=True, random_state=seed)
    inner = StratifiedKFold(inner_folds, shuffle=True, random_state=seed)
    base = NewtonLinearSVC() if linear else SVC()
    scores, inner_scores = [], []
    splits = tqdm(outer.split(x, y), total=folds, disable=not progress,
                  desc="SVM folds", leave=False)
    for train, test in splits:
        search = GridSearchCV(base, {"C": list(c_grid)}, cv=inner,
                              scoring="accuracy")
        search.fit(x[train], y[train])
        inner_scores.append(float(search.best_score_))
        scores.append(float((search.predict(x[test]) == y[test]).mean()))
    return {"accuracy": float(np.mean(scores)),
            "accuracy_std_folds": float(np.std(scores)),
            "inner_accuracy": float(np.mean(inner_scores)),
            "fold_accuracies": scores,
            "fold_inner_accuracies": inner_scores}


def nested_choice(inner: Sequence[Sequence[float]],
                  test: Sequence[Sequence[float]]) -> dict:
    r"""Model selection nested in the outer folds: in each outer fold the
    configuration with the highest inner (training-split) accuracy is
    chosen and scored on that fold's test split, so no label of a test
    split enters the choice that is scored on it.  Choosing one
    configuration for all folds by the mean inner accuracy would not have
    that property: every graph lies in the training split of nine folds.

    .. code-block:: python

        # rows: configurations, columns: outer folds (same seed, so the
        # same splits), from svm_accuracy's fold lists
        res = nested_choice([r["fold_inner_accuracies"] for r in runs],
                            [r["fold_accuracies"] for r in runs])
        res["accuracy"], res["choices"]

    Args:
        inner (Sequence[Sequence[float]]): :obj:`[configs, folds]` inner
            accuracies.
        test (Sequence[Sequence[float]]): :obj:`[configs, folds]` test
            accuracies on the same folds.

    Returns:
        :obj:`{"accuracy": mean over folds of the chosen configuration's
        test accuracy, "choices": index of the chosen configuration per
        fold}`; ties go to the configuration listed first.
    """
    a, b = np.asarray(inner, dtype=np.float64), np.asarray(test,
                                                           dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"inner {a.shape} and test {b.shape} must both be "
                         f"[configs, folds] and non-empty")
    choices = a.argmax(axis=0)  # first maximum: ties to the earlier config
    return {"accuracy": float(b[choices, np.arange(a.shape[1])].mean()),
            "choices": choices.tolist()}


def linear_probe_rocauc(
    embeddings: Tensor | np.ndarray,
    labels: Tensor | np.ndarray,
    split: Dict[str, Tensor],
    name: str,
    seed: int = 0,
    c_grid: Sequence[float] = (0.001, 0.01, 0.1, 1.0, 10.0),
) -> Dict[str, float]:
    r"""Linear probe on frozen embeddings for OGB molecule sets: per task a
    :class:`~sklearn.linear_model.LogisticRegression` on the standardised
    embeddings of the :obj:`split["train"]` graphs with a label for that
    task, :obj:`C` chosen by the task's validation ROC-AUC, scored on
    :obj:`split["test"]` with :obj:`ogb`'s :class:`Evaluator` for
    :obj:`name` (ROC-AUC averaged over tasks; tasks without both classes
    in a split are skipped, as the evaluator does).

    Returns:
        :obj:`{"rocauc": test ROC-AUC, "valid_rocauc": validation
        ROC-AUC}`.
    """
    from ogb.graphproppred import Evaluator
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    x = _numpy(embeddings).astype(np.float64)
    y = _numpy(labels).astype(np.float64).reshape(x.shape[0], -1)
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or inf; the model diverged")
    train, valid, test = (_numpy(split[k]) for k in ("train", "valid",
                                                     "test"))
    x = StandardScaler().fit(x[train]).transform(x)
    pred = {part: np.full((len(idx), y.shape[1]), np.nan) for part, idx in
            (("valid", valid), ("test", test))}
    for task in range(y.shape[1]):
        tr = train[~np.isnan(y[train, task])]
        va = valid[~np.isnan(y[valid, task])]
        if len(np.unique(y[tr, task])) < 2:
            continue
        best, best_auc = None, -np.inf
        for c in c_grid:
            clf = LogisticRegression(C=c, max_iter=2000, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(x[tr], y[tr, task])
            if len(np.unique(y[va, task])) < 2:
                best = clf
                break
            auc = roc_auc_score(y[va, task], clf.decision_function(x[va]))
            if auc > best_auc:
                best, best_auc = clf, auc
        pred["valid"][:, task] = best.decision_function(x[valid])
        pred["test"][:, task] = best.decision_function(x[test])
    evaluator = Evaluator(name)
    out = {}
    for part, idx in (("valid", valid), ("test", test)):
        res = evaluator.eval({"y_true": y[idx], "y_pred": pred[part]})
        out["rocauc" if part == "test" else "valid_rocauc"] = \
            float(res["rocauc"])
    return out


def _numpy(a: Tensor | np.ndarray) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, Tensor) else \
        np.asarray(a)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    r"""Mean and (population) standard deviation, as papers report over
    seeds."""
    t = torch.tensor(list(values), dtype=torch.float64)
    return float(t.mean()), float(t.std(unbiased=False))


def paired_difference(a: Mapping[int, float], b: Mapping[int, float],
                      confidence: float = 0.95) -> dict:
    r"""Difference :obj:`a - b` of two methods run with the same seeds
    (same initialisations and SVM splits), paired by seed: mean and
    Student-t confidence interval, so that "at or above" can be read off
    as "interval not below zero".

    .. code-block:: python

        res = paired_difference({0: 0.87, 1: 0.88}, {0: 0.86, 1: 0.86})
        res["mean"], res["low"], res["high"], res["wins"]

    Args:
        a (Mapping[int, float]): Accuracy per seed of the first method.
        b (Mapping[int, float]): Accuracy per seed of the second one.
        confidence (float, optional): Coverage of the interval.
            (default: :obj:`0.95`)

    Returns:
        :obj:`{"mean", "low", "high", "n", "wins"}` over the seeds both
        hold (:obj:`wins`: seeds where :obj:`a >= b`); the interval is
        infinite for one seed.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError("no seed in common: run both methods with the "
                         "same seeds")
    d = np.array([a[s] - b[s] for s in seeds], dtype=np.float64)
    mean = float(d.mean())
    half = np.inf
    if len(d) > 1:
        sem = d.std(ddof=1) / np.sqrt(len(d))
        half = float(student_t.ppf((1 + confidence) / 2, len(d) - 1) * sem)
    return {"mean": mean, "low": mean - half, "high": mean + half,
            "n": len(d), "wins": int((d >= 0).sum())}
