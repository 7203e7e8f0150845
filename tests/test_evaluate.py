import torch

from pyg_prosampler.evaluate import mean_std, svm_accuracy


def test_svm_separable_and_deterministic():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(200) % 2
    x = torch.randn(200, 5, generator=g) + 3 * y.view(-1, 1).float()
    a = svm_accuracy(x, y, seed=0)
    b = svm_accuracy(x, y, seed=0)
    assert a == b and a["accuracy"] > 0.95
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
