r"""The drop-in check: a plain PyG GraphCL loop, written without this
library, trained once with :obj:`DataLoader(dataset, 128, shuffle=True)`
and once with :obj:`ProximityLoader(dataset, 128)` plus the one
:obj:`loader.update(batch.idx, z)` line.  Records per epoch the steps the
loop took and :obj:`len(loader)` read before the epoch, and the linear
SVC accuracy of embeddings computed in data set order (through
:meth:`ProximityLoader.sequential` for ours).

    python benchmarks/graphcl/bench_dropin.py --datasets PROTEINS NCI1 \
        --epochs 20

Writes ``benchmarks/results/dropin.json`` and ``dropin.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.loader import DataLoader
from torch_geometric.nn import GINConv, global_add_pool
from torch_geometric.utils import dropout_edge

from pyg_prosampler import ProximityLoader, load_tu
from pyg_prosampler.experiments.evaluate import svm_accuracy
from pyg_prosampler.experiments.results import machine, replace_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS

OUT = os.path.join(RESULTS, "dropin.json")


class Encoder(nn.Module):
    def __init__(self, dim_in: int, hidden: int = 32, layers: int = 3):
        super().__init__()
        self.convs = nn.ModuleList(
            GINConv(nn.Sequential(nn.Linear(dim_in if i == 0 else hidden,
                                            hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden)))
            for i in range(layers))
        self.project = nn.Sequential(nn.Linear(hidden * layers, hidden),
                                     nn.ReLU(), nn.Linear(hidden, hidden))

    def forward(self, x, edge_index, batch):
        outs = []
        for conv in self.convs:
            x = F.relu(conv(x, edge_index))
            outs.append(global_add_pool(x, batch))
        g = torch.cat(outs, dim=1)
        return g, self.project(g)


def augment(batch, p: float = 0.2):
    edge_index, _ = dropout_edge(batch.edge_index, p=p)
    x = batch.x * (torch.rand(batch.x.size(1)) > p).float()
    return x, edge_index


def info_nce(z1, z2, t: float = 0.2):
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = z1 @ z2.t() / t
    return F.cross_entropy(logits, torch.arange(z1.size(0)))


def run(dataset, which: str, epochs: int, seed: int) -> dict:
    torch.manual_seed(seed)
    if which == "pyg":
        loader = DataLoader(dataset, batch_size=128, shuffle=True)
    else:
        loader = ProximityLoader(dataset, batch_size=128)
    model = Encoder(dataset.num_features)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    steps, lens = [], []
    for _ in range(epochs):
        lens.append(len(loader))
        count = 0
        for batch in loader:
            _, z = model(batch.x, batch.edge_index, batch.batch)
            x2, e2 = augment(batch)
            _, z2 = model(x2, e2, batch.batch)
            loss = info_nce(z, z2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if which != "pyg":
                loader.update(batch.idx, z.detach())
            count += 1
        steps.append(count)
    model.eval()
    ordered = (DataLoader(dataset, batch_size=128) if which == "pyg"
               else loader.sequential())
    with torch.no_grad():
        batches = list(ordered)
        emb = torch.cat([model(b.x, b.edge_index, b.batch)[0]
                         for b in batches])
    y = torch.cat([b.y for b in batches])
    acc = svm_accuracy(emb, y, seed=seed)["accuracy"]
    return {"steps_per_epoch": steps, "len_before_epoch": lens,
            "embedded_rows": emb.size(0), "accuracy": 100 * acc}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=["PROTEINS", "NCI1"])
    p.add_argument("--root", default="data/TU")
    p.add_argument("--tu-mirror", default=None)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    for name in args.datasets:
        dataset = load_tu(name, args.root, args.tu_mirror)
        row = {"dataset": name, "num": len(dataset), "epochs": args.epochs,
               "seed": args.seed}
        for which in ("pyg", "prosampler"):
            row[which] = run(dataset, which, args.epochs, args.seed)
            print(name, which, json.dumps(row[which]))
        row.update(machine=machine(),
                   command=f"python benchmarks/graphcl/bench_dropin.py "
                           f"--datasets {name} --epochs {args.epochs} "
                           f"--seed {args.seed}")
        replace_rows(OUT, [row], lambda r: True)  # earlier rows are kept
    with open(OUT) as f:
        rows = json.load(f)["rows"]
    latest = list({r["dataset"]: r for r in rows}.values())  # last run each
    write_table(latest, OUT.replace(".json", ".md"))


def write_table(rows: list, path: str) -> None:
    lines = [
        "# Drop-in: a plain PyG GraphCL loop with only the loader swapped",
        "",
        "Command: `python benchmarks/graphcl/bench_dropin.py` (per row "
        "below)  ",
        f"Machine: {rows[0]['machine']}",
        "",
        "Steps the loop took per epoch, `len(loader)` read before each "
        "epoch, rows embedded for evaluation (in order: "
        "`loader.sequential()` for ours) and SVC accuracy (one seed; a "
        "sanity check, not a comparison).",
        "",
        "| data set | N | loader | steps per epoch | len() before each "
        "epoch | all equal to ceil(N/128) | rows embedded | accuracy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        expected = -(-r["num"] // 128)
        for which in ("pyg", "prosampler"):
            s = r[which]
            steps, lens = sorted(set(s["steps_per_epoch"])), sorted(
                set(s["len_before_epoch"]))
            ok = all(v == expected for v in s["steps_per_epoch"]
                     + s["len_before_epoch"])
            lines.append(
                f"| {r['dataset']} | {r['num']} | {which} | "
                f"{', '.join(map(str, steps))} | "
                f"{', '.join(map(str, lens))} | {'yes' if ok else 'no'} | "
                f"{s['embedded_rows']} | {s['accuracy']:.2f} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
