r"""Plots of result records: batch hardness per epoch, accuracy per
configuration."""
from __future__ import annotations

import os
from collections import defaultdict
from typing import Dict, List, Tuple

from pyg_prosampler.experiments.evaluate import mean_std
from pyg_prosampler.experiments.results import load_records, loss_label

__all__ = ["plot_results"]


def plot_results(records_path: str, png_path: str) -> str:
    r"""Writes a PNG with, per data set, the mean in-batch cosine and the
    same-class pair fraction per epoch (mean over seeds) for every
    sampler/loss, and the accuracy (mean ± std over seeds) per
    configuration.  Records without :obj:`epoch_logs` add to the
    accuracy bars only.  Returns :obj:`png_path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = load_records(records_path)
    if not records:
        raise ValueError(f"no records in {records_path!r}: run a command "
                         f"with --out {records_path} first")
    groups: Dict[Tuple[str, str], List[dict]] = defaultdict(list)
    for r in records:
        groups[(r["dataset"], f"{r['sampler']}/{loss_label(r)}")].append(r)
    datasets = sorted({d for d, _ in groups})
    fig, axes = plt.subplots(len(datasets), 3, squeeze=False,
                             figsize=(15, 3.6 * len(datasets)))
    for row, ds in enumerate(datasets):
        names = sorted(c for d, c in groups if d == ds)
        ax_cos, ax_same, ax_acc = axes[row]
        accs = []
        for name in names:
            recs = groups[(ds, name)]
            for key, ax in (("mean_cosine", ax_cos), ("same_class", ax_same)):
                curves = [[e.get(key, float("nan")) for e in r["epoch_logs"]]
                          for r in recs if r.get("epoch_logs")]
                if not curves:
                    continue
                length = min(len(c) for c in curves)
                mean = [sum(c[i] for c in curves) / len(curves)
                        for i in range(length)]
                ax.plot(range(length), mean, label=name)
            accs.append(mean_std([100 * r["accuracy"] for r in recs]))
        ax_acc.bar(range(len(names)), [a for a, _ in accs],
                   yerr=[s for _, s in accs], capsize=3)
        ax_acc.set_xticks(range(len(names)), names, rotation=30,
                          ha="right", fontsize=8)
        low = min(a - s for a, s in accs) if accs else 0
        ax_acc.set_ylim(max(0, low - 5), 100)
        ax_cos.set_title(f"{ds}: mean in-batch cosine (fed embeddings)")
        ax_same.set_title(f"{ds}: same-class pairs in a batch")
        ax_acc.set_title(f"{ds}: accuracy % (mean ± std over seeds)")
        for ax in (ax_cos, ax_same):
            ax.set_xlabel("epoch")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    fig.tight_layout()
    ext = os.path.splitext(png_path)[1].lstrip(".") or "png"
    tmp = f"{png_path}.tmp"  # written whole, then renamed
    fig.savefig(tmp, dpi=110, format=ext)
    os.replace(tmp, png_path)
    plt.close(fig)
    return png_path
