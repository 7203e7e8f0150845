r"""Seconds and peak memory of processing a TU data set's raw files, the
one-off step the first run on a fresh data folder takes before training.

    python benchmarks/speed/bench_processing.py --dataset COLLAB

Extracts the mirror's archive into a temporary folder and has
:func:`pyg_prosampler.load_tu` process it there, in this process, with the
peak resident memory reset just before (so the peak is the processing's
plus what the interpreter already held, both recorded); the seconds
cover extracting the archive and processing.  One data set per
call: a process's freed memory is not all given back.  The row replaces
the data set's previous one in ``processing.json``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from pyg_prosampler import load_tu
from pyg_prosampler.experiments.memory import peak_rss_bytes, reset_peak_memory
from pyg_prosampler.experiments.results import machine, replace_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="COLLAB")
    p.add_argument("--tu-mirror", default=os.environ.get(
        "PYG_PROSAMPLER_TU_MIRROR", "../shared/data/TU"))
    p.add_argument("--out", default=os.path.join(RESULTS, "processing.json"))
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as root:
        # A reset sets the peak to the current size: that is "before".
        if not reset_peak_memory():
            p.error("needs Linux's /proc/self/clear_refs to reset the peak")
        before = peak_rss_bytes()
        start = time.perf_counter()
        dataset = load_tu(args.dataset, root=root, mirror=args.tu_mirror)
        seconds = time.perf_counter() - start
        peak = peak_rss_bytes()
        processed = os.path.join(root, args.dataset, "processed")
        size = sum(os.path.getsize(os.path.join(processed, f))
                   for f in os.listdir(processed))
    data = dataset._data
    row = {"dataset": args.dataset, "graphs": len(dataset),
           "nodes": int(data.num_nodes),
           "directed_edges": int(data.edge_index.size(1)),
           "seconds": round(seconds, 2),
           "rss_before_gb": round(before / 1e9, 3),
           "peak_rss_gb": round(peak / 1e9, 3),
           "processed_file_mb": round(size / 1e6, 1)}
    print(f"{args.dataset}: processed in {seconds:.1f} s, peak RSS "
          f"{peak / 1e9:.2f} GB ({before / 1e9:.2f} GB before), "
          f"{size / 1e6:.0f} MB on disk")
    replace_rows(args.out, [row], lambda r: r["dataset"] != args.dataset,
                 machine=machine(),
                 command="python benchmarks/speed/bench_processing.py "
                         "--dataset DATASET")


if __name__ == "__main__":
    main()
