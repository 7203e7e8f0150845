import numpy as np
import pytest
import torch

from pyg_prosampler.experiments.evaluate import (
    mean_std,
    nested_choice,
    paired_difference,
    svm_accuracy,
)


def test_svm_separable_and_deterministic():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 2
    x = torch.randn(200, 5, generator=g) + 3 * y.view(-1, 1).float()
    a = svm_accuracy(x, y, seed=0)
    b = svm_accuracy(x, y, seed=0)
    assert a == b and a["accuracy"] > 0.95
    assert len(a["fold_accuracies"]) == len(a["fold_inner_accuracies"]) == 10
    assert np.mean(a["fold_accuracies"]) == pytest.approx(a["accuracy"])
    assert np.mean(a["fold_inner_accuracies"]) == pytest.approx(
        a["inner_accuracy"])
    lin = svm_accuracy(x, y, seed=0, linear=True)
    assert lin["accuracy"] > 0.95


def test_svm_at_chance_on_noise():
    r"""Labels independent of the features: accuracy within 4 standard
    errors (sqrt(0.25 / 200) = 0.035) of 0.5."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(200, 5, generator=g)
    y = torch.randint(2, (200,), generator=g)
    assert abs(svm_accuracy(x, y, seed=0)["accuracy"] - 0.5) < 4 * 0.035


def test_mean_std():
    assert mean_std([1.0, 3.0]) == (2.0, 1.0)


def test_inner_accuracy_tracks_separability():
    r"""The inner (training-split) score is high on a separable set and,
    with labels independent of the features, the best of 7 C values is
    still within 4 standard errors of chance (its optimism is small)."""
    g = torch.Generator().manual_seed(2)
    y = torch.arange(200) % 2
    x = torch.randn(200, 4, generator=g)
    sep = svm_accuracy(x + 4 * y.view(-1, 1).float(), y, linear=True)
    assert 0.95 < sep["inner_accuracy"] <= 1.0
    noise = torch.randint(2, (200,), generator=g)
    res = svm_accuracy(x, noise, linear=True)
    assert abs(res["inner_accuracy"] - 0.5) < 4 * 0.035


def test_paired_difference_pairs_by_seed():
    r"""Differences 1, 2, 3 on the shared seeds (seed 9 has no partner):
    mean 2, standard error 1 / sqrt(3), t quantile 4.3027 (2 dof)."""
    a = {0: 11.0, 1: 12.0, 2: 13.0, 9: 0.0}
    b = {0: 10.0, 1: 10.0, 2: 10.0}
    res = paired_difference(a, b)
    half = 4.302652729911275 / np.sqrt(3)
    assert res["n"] == 3 and res["wins"] == 3
    assert res["mean"] == pytest.approx(2.0)
    assert (res["low"], res["high"]) == pytest.approx((2 - half, 2 + half))
    one = paired_difference({0: 1.0}, {0: 2.0})
    assert one["wins"] == 0 and one["high"] == float("inf")
    with pytest.raises(ValueError, match="same seeds"):
        paired_difference({0: 1.0}, {1: 1.0})


def test_paired_difference_covers_at_its_level():
    r"""Normal differences with mean zero, 5 seeds: the 90 % interval holds
    zero in 90 % of 2000 draws, within 4 binomial standard errors
    (sqrt(0.9 * 0.1 / 2000) = 0.0067)."""
    rng = np.random.default_rng(0)
    hits = 0
    for d in rng.normal(size=(2000, 5)):
        res = paired_difference(dict(enumerate(d)), dict.fromkeys(range(5),
                                                                  0.0),
                                confidence=0.9)
        hits += res["low"] <= 0 <= res["high"]
    assert abs(hits / 2000 - 0.9) < 4 * 0.0067


def test_nested_choice_scores_each_fold_by_its_inner_choice():
    r"""Fold 0: config 1 has the best inner score, so its test score 0.5
    counts although config 0 tests higher; fold 1: an inner tie goes to
    config 0 (listed first)."""
    inner = [[0.7, 0.9], [0.8, 0.9]]
    test = [[0.9, 0.6], [0.5, 1.0]]
    res = nested_choice(inner, test)
    assert res["choices"] == [1, 0]
    assert res["accuracy"] == pytest.approx((0.5 + 0.6) / 2)
    with pytest.raises(ValueError, match="configs, folds"):
        nested_choice([[0.5, 0.5]], [[0.5]])


def test_svm_labels_are_checked():
    z = torch.randn(40, 3)
    with pytest.raises(ValueError, match="2 classes"):
        svm_accuracy(z, torch.zeros(40))
    with pytest.raises(ValueError, match="NaN"):
        svm_accuracy(z, torch.full((40,), float("nan")))
