import os

import pytest
import torch

from pyg_prosampler.experiments.checkpoint import (
    capture,
    load_checkpoint,
    restore,
    save_checkpoint,
)


def test_capture_and_restore_generators_and_modules():
    gen = torch.Generator().manual_seed(0)
    state = capture(gen)
    first = torch.rand(3, generator=gen)
    restore(gen, state)
    assert torch.equal(torch.rand(3, generator=gen), first)

    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    restore(b, capture(a))
    assert torch.equal(a.weight, b.weight)
    with pytest.raises(TypeError, match="cannot checkpoint"):
        capture(object())


def test_save_is_atomic_and_load_checks_the_format(tmp_path):
    path = str(tmp_path / "sub" / "run.pt")
    assert load_checkpoint(path) is None
    save_checkpoint(path, {"logs": [{"loss": 1.5}], "w": torch.ones(2)})
    assert os.listdir(tmp_path / "sub") == ["run.pt"]  # no temporary left
    saved = load_checkpoint(path)
    assert saved["logs"] == [{"loss": 1.5}]
    assert torch.equal(saved["w"], torch.ones(2))
    torch.save({"version": 0}, path)
    with pytest.raises(ValueError, match="delete it"):
        load_checkpoint(path)
