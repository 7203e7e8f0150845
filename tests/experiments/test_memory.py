import resource
import sys

import pytest
import torch

from pyg_prosampler.experiments import memory
from pyg_prosampler.experiments.memory import (
    peak_memory,
    peak_rss_bytes,
    reset_peak_memory,
)

# A touched tensor of SIZE bytes raises the resident set by SIZE, less
# whatever the process frees between the two reads (a few pages of Python
# objects) and the kernel's per-CPU counting slack (RSS counters are summed
# approximately: some hundred kB here): both far under the 10 % margin.
SIZE = 100 * 2**20
MARGIN = 0.1 * SIZE


def _touched_tensor() -> torch.Tensor:
    return torch.ones(SIZE // 4)  # float32, written, so resident


linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="the peak is reset through /proc/self/clear_refs")


@linux_only
def test_peak_rises_with_an_allocation_and_falls_with_a_reset():
    assert reset_peak_memory()
    before = peak_rss_bytes()
    x = _touched_tensor()
    held = peak_rss_bytes()
    assert held - before >= SIZE - MARGIN
    del x  # a block this large is unmapped when freed
    assert peak_rss_bytes() >= held - MARGIN  # a peak, not the current
    assert reset_peak_memory()
    assert peak_rss_bytes() <= held - (SIZE - MARGIN)


@linux_only
def test_without_proc_the_peak_is_getrusage(monkeypatch):
    monkeypatch.setattr(memory, "_STATUS", "/nonexistent/status")
    monkeypatch.setattr(memory, "_CLEAR_REFS", "/nonexistent/clear_refs")
    assert not reset_peak_memory()
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_rss_bytes() == kb * 1024


def test_without_any_source_the_peak_is_left_out(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_resource(name, *args, **kwargs):
        if name == "resource":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(memory, "_STATUS", "/nonexistent/status")
    monkeypatch.setattr(builtins, "__import__", no_resource)
    assert peak_rss_bytes() is None
    assert peak_memory() == {}


def test_peak_memory_reports_cuda_only_on_a_cuda_device():
    assert set(peak_memory()) == {"peak_rss_gb"}
    assert set(peak_memory("cpu")) == {"peak_rss_gb"}
    assert peak_memory()["peak_rss_gb"] == pytest.approx(
        peak_rss_bytes() / 1e9, rel=0.05)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_peak_follows_allocations_and_resets():
    reset_peak_memory("cuda")
    before = peak_memory("cuda")["peak_cuda_gb"]
    x = torch.ones(SIZE // 4, device="cuda")
    assert peak_memory("cuda")["peak_cuda_gb"] - before >= SIZE / 1e9
    del x
    reset_peak_memory("cuda")
    assert peak_memory("cuda")["peak_cuda_gb"] < before + SIZE / 1e9
