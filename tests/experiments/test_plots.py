import json
import struct
import warnings

import pytest

from pyg_prosampler.experiments.plots import plot_results


def record(dataset, sampler, seed, logs=True):
    r = {"dataset": dataset, "sampler": sampler, "loss": "infonce",
         "seed": seed, "accuracy": 0.7 + 0.01 * seed}
    if logs:
        r["epoch_logs"] = [{"epoch": e, "mean_cosine": 0.1 * e,
                            "same_class": 0.5} for e in range(3)]
    return r


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])  # IHDR width, height


def test_plot_one_row_per_dataset(tmp_path):
    r"""The figure is 15 x 3.6 inches per data set at 110 dpi: two data sets
    give 1650 x 792 pixels."""
    records = [record(ds, s, seed) for ds in ("MUTAG", "NCI1")
               for s in ("uniform", "prosampler") for seed in (0, 1)]
    src = tmp_path / "r.json"
    src.write_text(json.dumps(records))
    out = plot_results(str(src), str(tmp_path / "r.png"))
    assert out == str(tmp_path / "r.png")
    assert png_size(out) == (1650, 792)


def test_plot_records_without_epoch_logs(tmp_path, monkeypatch):
    r"""Records without per-epoch logs (e.g. written by an older version)
    still give the accuracy bars, with no legend warning, and do not hide
    the curves of the records that have logs."""
    import matplotlib.pyplot as plt

    closed, close = [], plt.close
    monkeypatch.setattr(plt, "close", closed.append)
    src = tmp_path / "r.json"
    src.write_text(json.dumps([record("MUTAG", "uniform", 0, logs=False),
                               record("MUTAG", "prosampler", 0),
                               record("MUTAG", "prosampler", 1, logs=False)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = plot_results(str(src), str(tmp_path / "r.png"))
    assert png_size(out) == (1650, 396)
    ax_cos, ax_same, ax_acc = closed[0].axes
    (line,) = ax_cos.get_lines()  # prosampler's, from its one logged seed
    assert line.get_label() == "prosampler/infonce"
    assert list(line.get_ydata()) == [0.0, 0.1, 0.2]
    assert len(ax_acc.patches) == 2  # one bar per configuration
    close(closed[0])


def test_plot_without_records_says_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="no records.*--out"):
        plot_results(str(tmp_path / "missing.json"), str(tmp_path / "x.png"))
