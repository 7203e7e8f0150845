import warnings

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC

from pyg_prosampler.experiments.linear_svm import NewtonLinearSVC, _line_search
from pyg_prosampler.experiments.linear_svm import objective as fast_objective


def objective(model, x, y, c):
    r"""LinearSVC's objective (intercept penalised as a unit feature),
    summed over the one-vs-rest problems, written out directly."""
    classes = model.classes_
    targets = [classes[1]] if len(classes) == 2 else list(classes)
    total = 0.0
    for k, cls in enumerate(targets):
        w, b = model.coef_[k], model.intercept_[k]
        for xi, yi in zip(x, y):
            s = 1.0 if yi == cls else -1.0
            total += c * max(0.0, 1.0 - s * (xi @ w + b)) ** 2
        total += 0.5 * (w @ w + b * b)
    return total


def liblinear(c, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LinearSVC(C=c, dual=False, tol=1e-12, max_iter=100_000,
                         random_state=0).fit(x, y)


@pytest.mark.parametrize("num_classes", [2, 3])
@pytest.mark.parametrize("c", [0.01, 1.0])
def test_matches_liblinear_where_it_converges(num_classes, c):
    r"""More samples than features and moderate C: liblinear's primal
    solver converges there, and the optimum is unique (strictly convex
    objective), so both must give the same weights."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6))
    y = rng.integers(num_classes, size=120)
    x[:, 0] += 2 * y  # some signal
    ours, ref = NewtonLinearSVC(C=c).fit(x, y), liblinear(c, x, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(x), ref.predict(x))
    np.testing.assert_array_equal(ours.classes_, ref.classes_)


def test_optimal_where_liblinear_stops_early():
    r"""Fewer samples than features and C = 1000, as on MVGRL embeddings:
    our objective is at most liblinear's (it is the minimum), and the
    gradient vanishes at our solution."""
    rng = np.random.default_rng(1)
    x = 3 * rng.normal(size=(60, 200))
    y = rng.integers(2, size=60)
    c = 1000.0
    ours = NewtonLinearSVC(C=c).fit(x, y)
    assert objective(ours, x, y, c) <= objective(liblinear(c, x, y), x, y,
                                                 c) * (1 + 1e-9)
    w = np.append(ours.coef_[0], ours.intercept_[0])
    xb = np.hstack([x, np.ones((60, 1))])
    s = np.where(y == 1, 1.0, -1.0)
    act = s * (xb @ w) < 1
    grad = w + 2 * c * xb[act].T @ (xb[act] @ w - s[act])
    grad0 = 2 * c * np.linalg.norm(xb.T @ s)
    assert np.linalg.norm(grad) <= 1e-7 * grad0


@pytest.mark.parametrize("num_classes", [2, 3])
def test_objective_matches_loop_formula(num_classes):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 4))
    y = rng.integers(num_classes, size=30)
    model = NewtonLinearSVC(C=2.0, max_iter=2)
    with warnings.catch_warnings():  # any point will do, not the optimum
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    assert fast_objective(model, x, y, 2.0) == pytest.approx(
        objective(model, x, y, 2.0), rel=1e-12)


def test_line_search_is_exact():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 4))
    s = np.where(rng.random(50) < 0.5, 1.0, -1.0)
    w, d, c = rng.normal(size=4), rng.normal(size=4), 3.0

    def phi(t):
        v = w + t * d
        h = np.maximum(0.0, 1.0 - s * (x @ v))
        return 0.5 * v @ v + c * h @ h

    w_new, z_new = _line_search(w, x @ w, d, x @ d, s, c)
    t = float((w_new - w) @ d / (d @ d))
    best = minimize_scalar(phi, bracket=(-10, 10), tol=1e-12).x
    assert t == pytest.approx(best, abs=1e-6)
    np.testing.assert_allclose(z_new, x @ w_new)


def test_grid_search_and_clone():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 3))
    y = (x[:, 0] > 0).astype(int)
    search = GridSearchCV(NewtonLinearSVC(), {"C": [0.1, 10]}, cv=3)
    search.fit(x, y)
    assert search.score(x, y) > 0.9
    assert clone(NewtonLinearSVC(C=5.0)).get_params()["C"] == 5.0


def test_bad_input():
    x = np.zeros((4, 2))
    with pytest.raises(ValueError, match="one class"):
        NewtonLinearSVC().fit(x, np.zeros(4))
    with pytest.raises(ValueError, match="C > 0"):
        NewtonLinearSVC(C=0).fit(x, np.arange(4) % 2)
    with pytest.raises(ValueError, match="do not match"):
        NewtonLinearSVC().fit(x, np.arange(3))
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        NewtonLinearSVC().fit(x, np.arange(4) % 2)


def test_warns_when_steps_run_out():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 30))
    y = rng.integers(2, size=40)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        NewtonLinearSVC(C=1000.0, max_iter=1).fit(x, y)
