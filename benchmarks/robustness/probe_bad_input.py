r"""Hostile inputs across the public API, the CLI, the data loaders and
checkpoints, each classified by what it now gives.

Every case states what a well-kept library must do: *refuse* (a
ValueError / TypeError / SystemExit whose message holds a given word, e.g.
the argument's name) or *work* (and pass a check).  Outcome classes:
``clear error`` (refused as expected), ``correct`` (worked as expected),
``unclear error`` (another exception, or a message without the word),
``silent wrong result`` (worked where it had to refuse, or failed its
check), ``crash`` (the process died) and ``hang`` (over the time limit).
Each area runs in its own process, so a crash loses one area only.
Writes ``benchmarks/results/bad_input.json`` and ``bad_input.md``.

    python benchmarks/robustness/probe_bad_input.py \
        --tu-mirror ../shared/data/TU
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS

OUT = os.path.join(RESULTS, "bad_input.json")
Case = Tuple[str, str, str, Callable[[], Any]]  # name, expect, word, run


def sampler_cases() -> List[Case]:
    import numpy as np
    import torch

    from pyg_prosampler import (
        DistributedBatchSampler,
        KNNBatchSampler,
        ProximityBatchSampler,
        UniformBatchSampler,
    )

    def fed(n=50, d=4):
        s = ProximityBatchSampler(n, 8, num_neighbors=5, seed=0)
        s.update(torch.arange(n), torch.randn(n, d))
        return s

    def update_inf64():
        s = fed()
        z = torch.randn(2, 4, dtype=torch.float64)
        z[0, 0] = 1e300
        s.update(torch.arange(2), z)

    def load_other_type():
        s = fed()
        k = KNNBatchSampler(50, 8, seed=0)
        s.load_state_dict(k.state_dict())

    def tampered_graph():
        s = fed()
        s.set_epoch(1)
        list(s)
        state = s.state_dict()
        state["extra"]["neighbors"][0, 0] = 10**6
        t = ProximityBatchSampler(50, 8, num_neighbors=5, seed=0)
        t.load_state_dict(state)

    def pass_length():
        s = fed(100)
        s.set_epoch(2)
        return len(list(s)) == len(s) == 13

    return [
        ("empty data set", "refuse", "empty",
         lambda: ProximityBatchSampler(0, 1)),
        ("one instance", "refuse", "at least 2",
         lambda: ProximityBatchSampler(1, 1)),
        ("batch larger than N", "refuse", "batch_size",
         lambda: UniformBatchSampler(5, 6)),
        ("numpy integer sizes", "work", "",
         lambda: len(ProximityBatchSampler(np.int64(40), np.int32(8),
                                           seed=np.int64(1))) == 5),
        ("numpy float restart", "work", "",
         lambda: ProximityBatchSampler(40, 8, restart_prob=np.float64(0.2))
         is not None),
        ("restart 1.0", "refuse", "restart_prob",
         lambda: ProximityBatchSampler(40, 8, restart_prob=1.0)),
        ("restart NaN", "refuse", "restart_prob",
         lambda: ProximityBatchSampler(40, 8, restart_prob=float("nan"))),
        ("bool batch size", "refuse", "batch_size",
         lambda: UniformBatchSampler(40, True)),
        ("string seed", "refuse", "seed",
         lambda: UniformBatchSampler(40, 8, seed="1")),
        ("unknown coverage", "refuse", "coverage",
         lambda: ProximityBatchSampler(40, 8, coverage="pass")),
        ("unknown refresh", "refuse", "refresh",
         lambda: ProximityBatchSampler(40, 8, refresh="half")),
        ("update NaN", "refuse", "NaN",
         lambda: fed().update(torch.arange(1),
                              torch.tensor([[float("nan")] * 4]))),
        ("update fp64 finite, inf in fp32", "refuse", "float32",
         update_inf64),
        ("update index out of range", "refuse", "index",
         lambda: fed().update(torch.tensor([50]), torch.randn(1, 4))),
        ("update float index", "refuse", "index",
         lambda: fed().update(torch.tensor([1.0]), torch.randn(1, 4))),
        ("update rows/index mismatch", "refuse", "one embedding row",
         lambda: fed().update(torch.arange(3), torch.randn(2, 4))),
        ("update other dimension", "refuse", "dimension",
         lambda: fed().update(torch.arange(2), torch.randn(2, 5))),
        ("state of another sampler type", "refuse", "KNNBatchSampler",
         load_other_type),
        ("tampered graph in a state", "refuse", "neighbour",
         tampered_graph),
        ("state that is not a dict", "refuse", "dict",
         lambda: fed().load_state_dict([1, 2])),
        ("pass length", "work", "", pass_length),
        ("DDP replicas without a process group", "refuse",
         "init_process_group",
         lambda: DistributedBatchSampler(fed(), num_replicas=2, rank=1)),
    ]


def graph_cases() -> List[Case]:
    import numpy as np
    import torch
    from torch_geometric.data import Data

    from pyg_prosampler import build_proximity_graph, random_walk_with_restart

    ring = torch.arange(6)
    good = torch.stack([ring, (ring + 1) % 6])

    def walk(edge_index, **kw):
        args = dict(start=torch.tensor([0]), batch_size=3)
        args.update(kw)
        return random_walk_with_restart(Data(edge_index=edge_index,
                                             num_nodes=6), **args)

    def inf64():
        z = torch.randn(20, 3, dtype=torch.float64)
        z[0, 0] = 1e300
        build_proximity_graph(z, 3, None)

    return [
        ("edge target >= num_nodes", "refuse", "edge_index",
         lambda: walk(torch.tensor([[0, 1], [1, 9]]))),
        ("negative edge index", "refuse", "edge_index",
         lambda: walk(torch.tensor([[0, -1], [1, 2]]))),
        ("float edge index", "refuse", "edge_index",
         lambda: walk(good.float())),
        ("int32 edge index", "work", "",
         lambda: walk(good.int()).shape == (1, 3)),
        ("edge index [3, E]", "refuse", "edge_index",
         lambda: walk(torch.zeros(3, 4, dtype=torch.long))),
        ("start out of range", "refuse", "start",
         lambda: walk(good, start=torch.tensor([7]))),
        ("numpy batch size", "work", "",
         lambda: walk(good, batch_size=np.int64(3)).shape == (1, 3)),
        ("graph K >= N", "refuse", "num_neighbors",
         lambda: build_proximity_graph(torch.randn(5, 3), 5)),
        ("NaN embeddings", "refuse", "NaN",
         lambda: build_proximity_graph(
             torch.tensor([[float("nan"), 0.0]] * 5), 2, None)),
        ("fp64 finite, inf in fp32", "refuse", "float32", inf64),
        ("integer embeddings", "refuse", "floating",
         lambda: build_proximity_graph(torch.ones(5, 3, dtype=torch.long),
                                       2, None)),
        ("unknown engine", "refuse", "engine",
         lambda: build_proximity_graph(torch.randn(5, 3), 2, None,
                                       engine="gpu")),
    ]


def loss_cases() -> List[Case]:
    import torch

    from pyg_prosampler.contrastive.losses import dcl, hcl, nt_xent
    from pyg_prosampler.contrastive.negatives import EMC2Loss, SogCLRLoss

    def finite_grads(loss, t):
        z1 = torch.randn(16, 4, requires_grad=True)
        z2 = z1.detach().clone().requires_grad_()
        value = loss(z1, z2, t)
        value.backward()
        return bool(torch.isfinite(value)) and bool(
            torch.isfinite(z1.grad).all() & torch.isfinite(z2.grad).all())

    def nan_batch_keeps_state(loss):
        z = torch.randn(4, 6)
        loss(z, z + 0.1, torch.arange(4))
        before = loss.state_dict()["log_u"].clone()
        bad = z.clone()
        bad[0, 0] = float("nan")
        try:
            loss(bad, z, torch.arange(4))
        finally:
            after = loss.state_dict()["log_u"]
            assert torch.equal(before, after), "state changed"

    return [
        ("DCL at t=0.01, views agree", "work", "",
         lambda: finite_grads(dcl, 0.01)),
        ("HCL at t=0.01, views agree", "work", "",
         lambda: finite_grads(hcl, 0.01)),
        ("NT-Xent at t=0.001", "work", "",
         lambda: finite_grads(nt_xent, 0.001)),
        ("temperature NaN", "refuse", "temperature",
         lambda: nt_xent(torch.randn(4, 3), torch.randn(4, 3),
                         float("nan"))),
        ("temperature 0", "refuse", "temperature",
         lambda: dcl(torch.randn(4, 3), torch.randn(4, 3), 0.0)),
        ("SogCLR NaN batch", "refuse", "NaN",
         lambda: nan_batch_keeps_state(SogCLRLoss(10))),
        ("EMC2 NaN batch", "refuse", "NaN",
         lambda: nan_batch_keeps_state(EMC2Loss(10))),
        ("SogCLR index out of range", "refuse", "index",
         lambda: SogCLRLoss(10)(torch.randn(2, 3), torch.randn(2, 3),
                                torch.tensor([0, 10]))),
    ]


def file_cases(mirror: str) -> List[Case]:
    import torch

    from pyg_prosampler import load_tu
    from pyg_prosampler.experiments.checkpoint import load_checkpoint
    from pyg_prosampler.experiments.cli import main
    from pyg_prosampler.experiments.results import load_records

    tmp = tempfile.mkdtemp()

    def path(name: str, content: bytes | None = None) -> str:
        p = os.path.join(tmp, name)
        if content is not None:
            with open(p, "wb") as f:
                f.write(content)
        return p

    real = open(os.path.join(mirror, "MUTAG.zip"), "rb").read()
    garbled = bytearray(real)
    for i in range(200, 1200, 3):
        garbled[i] ^= 0x5A
    os.makedirs(os.path.join(tmp, "m1"))
    path("m1/MUTAG.zip", bytes(garbled))
    os.makedirs(os.path.join(tmp, "m2"))
    path("m2/MUTAG.zip", b"not a zip")
    torch.save({"weights": torch.ones(2)}, path("foreign.pt"))
    base = ["--dataset", "MUTAG", "--root", os.path.join(tmp, "tu"),
            "--tu-mirror", mirror, "--quiet"]

    def batches_overwrite():
        out = path("table.json", b"[]")
        try:
            main(["batches", *base[:-1], "--num-neighbors", "10", "--out",
                  out])
        finally:
            assert open(out).read() == "[]", "file changed"

    def processed_truncated():
        root = os.path.join(tmp, "tu2")
        load_tu("MUTAG", root, mirror)
        folder = os.path.join(root, "MUTAG", "processed")
        big = max((os.path.join(folder, f) for f in os.listdir(folder)),
                  key=os.path.getsize)
        data = open(big, "rb").read()
        with open(big, "wb") as f:
            f.write(data[:1000])
        return len(load_tu("MUTAG", root, mirror)) == 188

    return [
        ("truncated checkpoint", "refuse", "bad.pt",
         lambda: load_checkpoint(path("bad.pt", b"PK\x03\x04trunc"))),
        ("foreign checkpoint", "refuse", "foreign.pt",
         lambda: load_checkpoint(path("foreign.pt"))),
        ("corrupt JSON results", "refuse", "r.json",
         lambda: load_records(path("r.json", b'[{"a": '))),
        ("JSON results not a list", "refuse", "r2.json",
         lambda: load_records(path("r2.json", b'{"a": 1}'))),
        ("garbled deflate stream in a TU zip", "refuse", "MUTAG.zip",
         lambda: load_tu("MUTAG", os.path.join(tmp, "r1"),
                         os.path.join(tmp, "m1"))),
        ("TU zip that is no zip", "refuse", "MUTAG.zip",
         lambda: load_tu("MUTAG", os.path.join(tmp, "r2"),
                         os.path.join(tmp, "m2"))),
        ("missing TU archive", "refuse", "NOPE.zip",
         lambda: load_tu("NOPE", os.path.join(tmp, "r3"), mirror)),
        ("truncated processed file", "work", "", processed_truncated),
        ("batches --out over an existing file", "refuse", "overwrite",
         batches_overwrite),
        ("--epochs 0", "refuse", "epoch",
         lambda: main(["graphcl", *base, "--epochs", "0", "--out",
                       path("e.json")])),
        *([("--device cuda without CUDA", "refuse", "CUDA",
            lambda: main(["graphcl", *base, "--device", "cuda", "--out",
                          path("d.json")]))]
          if not torch.cuda.is_available() else []),
        ("--device nonsense", "refuse", "device",
         lambda: main(["graphcl", *base, "--device", "gpu:x", "--out",
                       path("d2.json")])),
    ]


def training_cases(mirror: str) -> List[Case]:
    import torch

    from pyg_prosampler import ProximityLoader, load_tu
    from pyg_prosampler.experiments.cli import check_run_args
    from pyg_prosampler.experiments.graphcl import train_graphcl
    from pyg_prosampler.samplers import ProximityBatchSampler

    tmp = tempfile.mkdtemp()
    ds = load_tu("MUTAG", os.path.join(tmp, "tu"), mirror)
    ckpt = os.path.join(tmp, "run.pt")

    def run(seed=0, lr=0.01):
        sampler = ProximityBatchSampler(len(ds), 32, seed=0)
        return train_graphcl(ds, sampler, epochs=1, seed=seed, lr=lr,
                             checkpoint=ckpt, progress=False)

    run()

    def dup_seeds():
        import argparse
        args = argparse.Namespace(epochs=1, seeds=[0, 0], device="cpu",
                                  sampler=["uniform"])
        check_run_args(args)
        return args.seeds == [0]

    def carries_idx():
        graphs = [ds[i] for i in range(20)]
        for g in graphs:
            g.idx = torch.tensor([0])
        ProximityLoader(graphs, batch_size=4)

    return [
        ("resume with another lr", "refuse", "lr",
         lambda: run(lr=0.02)),
        ("resume with another seed", "refuse", "seed",
         lambda: run(seed=1)),
        ("--seeds 0 0", "work", "", dup_seeds),
        ("data set already carrying idx", "refuse", "idx", carries_idx),
        ("loader over an empty data set", "refuse", "empty",
         lambda: ProximityLoader([], batch_size=4)),
        ("loader len() is the pass length", "work", "",
         lambda: len(ProximityLoader(ds, batch_size=32)) == 6),
    ]


AREAS: Dict[str, Callable[..., List[Case]]] = {
    "samplers": sampler_cases, "graph and walk": graph_cases,
    "losses and negatives": loss_cases, "files and CLI": file_cases,
    "training and loader": training_cases}


def run_area(area: str, mirror: str) -> List[dict]:
    import warnings
    warnings.simplefilter("ignore")
    make = AREAS[area]
    cases = make(mirror) if make in (file_cases, training_cases) else make()
    rows = []
    for name, expect, word, fn in cases:
        try:
            out = fn()
        except (ValueError, TypeError, SystemExit, FileNotFoundError) as e:
            message = str(e)
            outcome = ("clear error" if expect == "refuse"
                       and word.lower() in message.lower()
                       else "unclear error")
        except AssertionError as e:
            outcome, message = "silent wrong result", str(e)
        except Exception as e:  # noqa: BLE001 - classifying is the point
            outcome = "unclear error"
            message = f"{type(e).__name__}: {e}"
            traceback.print_exc()
        else:
            message = repr(out)[:80]
            if expect == "work":
                outcome = "correct" if out is not False else \
                    "silent wrong result"
            else:
                outcome = "silent wrong result"
        rows.append({"area": area, "case": name, "expect": expect,
                     "outcome": outcome, "message": message[:240]})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tu-mirror", default=os.environ.get(
        "PYG_PROSAMPLER_TU_MIRROR", "../shared/data/TU"))
    p.add_argument("--area", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.area:
        print(json.dumps(run_area(args.area, args.tu_mirror)))
        return
    rows = []
    for area in AREAS:
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--area", area, "--tu-mirror",
                 args.tu_mirror], capture_output=True, text=True,
                timeout=600)
        except subprocess.TimeoutExpired:
            rows.append({"area": area, "case": "(whole area)",
                         "outcome": "hang"})
            continue
        if out.returncode != 0:
            rows.append({"area": area, "case": "(whole area)",
                         "outcome": "crash",
                         "message": out.stderr[-300:]})
            continue
        rows += json.loads(out.stdout.strip().splitlines()[-1])
    from pyg_prosampler.experiments.results import machine, replace_rows
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    for r in rows:
        r["time"] = stamp  # earlier runs are kept; the table shows this one
    replace_rows(OUT, rows, lambda r: True, machine=machine(),
                 command="python benchmarks/robustness/probe_bad_input.py")
    write_table(rows, OUT.replace(".json", ".md"))
    for r in rows:
        print(f"{r['outcome']:<20} {r['area']:<22} {r['case']}")


def write_table(rows: List[dict], path: str) -> None:
    outcomes = ["clear error", "correct", "unclear error",
                "silent wrong result", "crash", "hang"]
    areas = list(dict.fromkeys(r["area"] for r in rows))
    lines = ["# Hostile inputs: what each class now gives", "",
             "Command: `python benchmarks/robustness/probe_bad_input.py`", "",
             "| area | cases | " + " | ".join(outcomes) + " |",
             "|---" * (len(outcomes) + 2) + "|"]
    for area in areas + ["all"]:
        mine = [r for r in rows if area in ("all", r["area"])]
        counts = [sum(r["outcome"] == o for r in mine) for o in outcomes]
        lines.append(f"| {area} | {len(mine)} | "
                     + " | ".join(map(str, counts)) + " |")
    lines += ["", "| area | case | expected | outcome |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['area']} | {r['case']} | {r.get('expect', '')}"
                     f" | {r['outcome']} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
