r"""An exact solver for :class:`~sklearn.svm.LinearSVC`'s problem, for the
MVGRL evaluation protocol."""
from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning

__all__ = ["NewtonLinearSVC", "objective"]


class NewtonLinearSVC(ClassifierMixin, BaseEstimator):
    r"""Linear SVM with the squared hinge loss, solved by the finite Newton
    method (Keerthi and DeCoste, JMLR 2005).

    It minimises the same objective as :class:`~sklearn.svm.LinearSVC`
    with its defaults (:obj:`penalty="l2"`, :obj:`loss="squared_hinge"`,
    :obj:`intercept_scaling=1`, one-vs-rest for more than two classes):

    .. math::
        \min_{\mathbf{w}, b} \frac{1}{2}(\|\mathbf{w}\|^2 + b^2)
        + C \sum_i \max(0, 1 - y_i(\mathbf{w}^\top \mathbf{x}_i + b))^2

    but to a gradient tolerance rather than an iteration cap.  On unscaled
    embeddings with large :obj:`C` liblinear's solvers stop at their cap
    far from the optimum; each Newton step here solves the linear system
    of the active set exactly (in the :math:`n \times n` form when fewer
    graphs than dimensions are active), so a fit takes tens of steps.

    .. code-block:: python

        from sklearn.model_selection import GridSearchCV

        search = GridSearchCV(NewtonLinearSVC(), {"C": [0.01, 1, 100]})
        search.fit(x_train, y_train)
        accuracy = search.score(x_test, y_test)

    Args:
        C (float, optional): Weight of the loss against the penalty.
            (default: :obj:`1.0`)
        tol (float, optional): Stop when the gradient norm falls below
            :obj:`tol` times its norm at zero. (default: :obj:`1e-8`)
        max_iter (int, optional): Newton steps per binary problem; a
            :class:`~sklearn.exceptions.ConvergenceWarning` is raised if
            they run out. (default: :obj:`100`)
    """

    def __init__(self, C: float = 1.0, tol: float = 1e-8,
                 max_iter: int = 100) -> None:
        self.C = C
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: np.ndarray) -> NewtonLinearSVC:
        r"""Fits one binary problem (two classes) or one per class against
        the rest."""
        x = np.asarray(X, dtype=np.float64)
        y = np.asarray(y).reshape(-1)
        if x.ndim != 2 or x.shape[0] != y.shape[0]:
            raise ValueError(f"X {x.shape} and y {y.shape} do not match: "
                             f"pass [n_samples, n_features] and [n_samples]")
        if not np.isfinite(x).all():
            raise ValueError("X contains NaN or inf")
        if not self.C > 0 or not self.tol > 0 or self.max_iter < 1:
            raise ValueError(f"need C > 0, tol > 0 and max_iter >= 1, got "
                             f"C={self.C}, tol={self.tol}, "
                             f"max_iter={self.max_iter}")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("y has one class; an SVM needs at least two")
        xb = np.hstack([x, np.ones((x.shape[0], 1))])
        gram = xb @ xb.T if xb.shape[0] < xb.shape[1] else None
        targets = ([self.classes_[1]] if len(self.classes_) == 2
                   else self.classes_)
        w, steps = zip(*(self._solve(xb, np.where(y == c, 1.0, -1.0), gram)
                         for c in targets))
        w = np.stack(w)
        self.coef_, self.intercept_ = w[:, :-1], w[:, -1]
        self.n_iter_ = np.asarray(steps)
        return self

    def _solve(self, xb: np.ndarray, s: np.ndarray,
               gram: np.ndarray | None) -> tuple[np.ndarray, int]:
        c = float(self.C)
        w = np.zeros(xb.shape[1])
        z = np.zeros(xb.shape[0])  # z = xb @ w
        g0 = 2 * c * np.linalg.norm(xb.T @ s)  # every sample active at 0
        for step in range(1, self.max_iter + 1):
            act = s * z < 1
            g = w + 2 * c * xb[act].T @ (z[act] - s[act])
            if np.linalg.norm(g) <= self.tol * g0:
                return w, step - 1
            d = -self._newton_solve(xb, act, g, c, gram)
            zd = xb @ d
            w, z = _line_search(w, z, d, zd, s, c)
        warnings.warn(f"NewtonLinearSVC did not reach tol={self.tol} in "
                      f"{self.max_iter} steps; raise max_iter",
                      ConvergenceWarning, stacklevel=3)
        return w, self.max_iter

    @staticmethod
    def _newton_solve(xb: np.ndarray, act: np.ndarray, g: np.ndarray,
                      c: float, gram: np.ndarray | None) -> np.ndarray:
        # Solves (I + 2C X_A^T X_A) d = g; by Woodbury in the |A| x |A|
        # space when fewer samples are active than there are features.
        xa = xb[act]
        if gram is not None and xa.shape[0] < xa.shape[1]:
            k = gram[np.ix_(act, act)] * (2 * c)
            k[np.diag_indices_from(k)] += 1.0
            inner = cho_solve(cho_factor(k), xa @ g)
            return g - 2 * c * xa.T @ inner
        h = xa.T @ xa * (2 * c)
        h[np.diag_indices_from(h)] += 1.0
        return cho_solve(cho_factor(h), g)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        r"""Signed distances; one column per class unless binary."""
        scores = np.asarray(X, dtype=np.float64) @ self.coef_.T \
            + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict(self, X: np.ndarray) -> np.ndarray:
        r"""Class of the largest score (one-vs-rest) or of its sign."""
        scores = self.decision_function(X)
        idx = ((scores > 0).astype(int) if scores.ndim == 1
               else scores.argmax(1))
        return self.classes_[idx]


def objective(model: NewtonLinearSVC, X: np.ndarray, y: np.ndarray,
              C: float) -> float:
    r"""The fitted :obj:`model`'s value of the objective above on
    :obj:`(X, y)`, summed over its one-vs-rest problems; any estimator
    with :obj:`classes_`, :obj:`coef_` and :obj:`intercept_` in
    :class:`~sklearn.svm.LinearSVC`'s layout can be passed."""
    x = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    classes = model.classes_
    targets = [classes[1]] if len(classes) == 2 else classes
    total = 0.0
    for k, cls in enumerate(targets):
        s = np.where(y == cls, 1.0, -1.0)
        w, b = model.coef_[k], model.intercept_[k]
        hinge = np.maximum(0.0, 1.0 - s * (x @ w + b))
        total += 0.5 * (w @ w + b * b) + C * float(hinge @ hinge)
    return float(total)


def _line_search(w: np.ndarray, z: np.ndarray, d: np.ndarray, zd: np.ndarray,
                 s: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    # Exact minimisation along d.  The objective's derivative in t is
    # continuous, piecewise linear and nondecreasing, with a breakpoint
    # where a sample enters or leaves the active set: sort the
    # breakpoints, sum each interval's line and take the root.
    a, b = s * z, s * zd
    alpha, beta = 2 * c * zd * (z - s), 2 * c * zd * zd
    moving = b != 0
    start = (b > 0) | (~moving & (a < 1))  # active as t -> -inf
    lin0 = float(w @ d) + alpha[start].sum()
    quad0 = float(d @ d) + beta[start].sum()
    where = np.flatnonzero(moving)
    knots = (1 - a[where]) / b[where]
    order = np.argsort(knots, kind="stable")
    where, knots = where[order], knots[order]
    sign = np.where(b[where] < 0, 1.0, -1.0)  # enters / leaves
    lin = lin0 + np.concatenate([[0.0], np.cumsum(sign * alpha[where])])
    quad = quad0 + np.concatenate([[0.0], np.cumsum(sign * beta[where])])
    at_knot = lin[:-1] + quad[:-1] * knots
    past = at_knot >= 0
    j = int(past.argmax()) if past.any() else len(knots)
    t = -lin[j] / quad[j]
    return w + t * d, z + t * zd
