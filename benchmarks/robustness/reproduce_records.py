r"""Do committed records still reproduce, and does a change move them?
Picks one record of each kind (GraphCL on TU, MVGRL on TU, a negative
sampler, GraphCL on OGB), rebuilds the command line from the record's own
fields, runs it (one torch thread, as the records were made) with this
checkout and with the code of a reference commit (a temporary git
worktree), and compares the score and every epoch's loss of the three.

    python benchmarks/robustness/reproduce_records.py --reference 88a3ff8

Appends its rows to benchmarks/results/reproduce.json; writes the table
reproduce.md.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict, List

RESULTS = "benchmarks/results"
SHARED = "../shared/data"
# (kind, records file, fields the record must have)
PICKS = [
    ("graphcl", "graphcl_tu.json.gz",
     {"dataset": "MUTAG", "sampler": "prosampler", "loss": "infonce",
      "seed": 0}),
    ("mvgrl", "mvgrl_tu.json.gz",
     {"dataset": "MUTAG", "sampler": "prosampler", "seed": 0}),
    ("negatives", "negatives_tu.json.gz",
     {"dataset": "MUTAG", "negatives": "emc2", "seed": 0}),
    ("ogb", "ogb.json",
     {"dataset": "ogbg-molbace", "sampler": "prosampler", "seed": 0}),
]
FLAGS = {"refresh_every": "--refresh-every",
         "warmup_epochs": "--warmup-epochs",
         "num_neighbors": "--num-neighbors",
         "num_candidates": "--num-candidates",
         "restart_prob": "--restart-prob", "hidden": "--hidden",
         "layers": "--layers", "ppr_alpha": "--ppr-alpha",
         "ppr_topk": "--ppr-topk", "inner": "--ring-inner",
         "outer": "--ring-outer", "anneal": "--ring-anneal",
         "pool": "--ring-pool", "gamma": "--gamma", "burn_in": "--burn-in"}


def argv_of(record: Dict[str, Any], out: str) -> List[str]:
    r"""The command line that makes :obj:`record`, from its fields."""
    method = record["method"]
    argv = [method, "--dataset", record["dataset"], "--sampler",
            record["sampler"], "--seeds", str(record["seed"]), "--epochs",
            str(record["epochs"]), "--batch-size", str(record["batch_size"]),
            "--lr", str(record["lr"]), "--loss", record["loss"],
            "--temperature", str(record.get("temperature", 0.2)),
            "--negatives",
            record.get("negatives", "inbatch"), "--features",
            record.get("features", "auto"), "--out", out, "--quiet"]
    argv += (["--ogb-mirror", f"{SHARED}/OGB"] if method == "ogb"
             else ["--tu-mirror", f"{SHARED}/TU"])
    params = dict(record["sampler_params"])
    # records without these keys are the earlier defaults
    argv += ["--coverage", params.pop("coverage", "epoch"),
             "--refresh", params.pop("refresh", "full")]
    if params.get("num_candidates") is None and "num_candidates" in params:
        params["num_candidates"] = 0  # the CLI's "exact kNN graph"
    for group in (params, record.get("model_params") or {},
                  record.get("negatives_params") or {}):
        for key, value in group.items():
            argv += [FLAGS[key], str(value)]
    if method != "mvgrl":  # records before the field: the projection
        argv += ["--feed", record.get("feed") or "projection"]
    return argv


def compare(old: Dict[str, Any], new: Dict[str, Any]) -> Dict[str, Any]:
    key = "accuracy" if old.get("accuracy") is not None else "rocauc"
    losses = [(a["loss"], b["loss"]) for a, b in
              zip(old["epoch_logs"], new["epoch_logs"])]
    return {"metric": key, "recorded": old[key], "reproduced": new[key],
            "score_equal": old[key] == new[key],
            "epochs_compared": len(losses),
            "losses_equal": all(a == b for a, b in losses),
            "max_loss_difference": max(abs(a - b) for a, b in losses)}


def rerun(argv: List[str], out: str, cwd: str) -> Dict[str, Any]:
    r"""The record the command makes with the code in :obj:`cwd`."""
    from pyg_prosampler.experiments.results import load_records

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": cwd}
    subprocess.run([sys.executable, "-m", "pyg_prosampler", *argv,
                    "--root", os.path.join(os.path.dirname(out), "data")],
                   check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return load_records(out)[0]


def main() -> None:
    import argparse

    sys.path.insert(0, os.getcwd())
    from pyg_prosampler.experiments.results import (
        load_records,
        machine,
        replace_rows,
    )

    p = argparse.ArgumentParser()
    p.add_argument("--reference", default="88a3ff8",
                   help="commit whose code the reruns are compared with")
    args = p.parse_args()
    here = os.getcwd()
    ref = tempfile.mkdtemp()
    subprocess.run(["git", "worktree", "add", "-q", "--detach", ref,
                    args.reference], check=True)
    rows = []
    for kind, name, want in PICKS:
        records = [r for r in load_records(f"{RESULTS}/{name}")
                   if all(r.get(k) == v for k, v in want.items())]
        old = records[0]
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.json")
            argv = [os.path.abspath(a) if a.startswith("../") else a
                    for a in argv_of(old, out)]
            new = rerun(argv, out, here)
            os.remove(out)
            before = rerun(argv, out, ref)
        row = {"kind": kind, "file": name, **want,
               "reference": args.reference,
               "vs_reference": compare(before, new),
               "command": "OMP_NUM_THREADS=1 python -m pyg_prosampler "
                          + " ".join(argv_of(old, "FILE")),
               **compare(old, new)}
        print(json.dumps(row))
        rows.append(row)
    subprocess.run(["git", "worktree", "remove", "--force", ref], check=True)
    # earlier runs' rows are kept; the table below shows this run's
    replace_rows(f"{RESULTS}/reproduce.json",
                 [{**r, "machine": machine()} for r in rows],
                 keep=lambda r: True)
    lines = ["# Committed records against this code and the code before "
             "the change", "",
             f"`python benchmarks/robustness/reproduce_records.py "
             f"--reference {args.reference}`: one record of each kind, "
             f"rerun from its own fields with this checkout and with "
             f"commit {args.reference}; one torch thread.", "",
             "| kind | record | metric | recorded | before the change | "
             "this code | equal to before (score, all losses) | equal to "
             "the record |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        v = r["vs_reference"]
        lines.append(
            f"| {r['kind']} | {r['file']} {r['dataset']} seed {r['seed']} | "
            f"{r['metric']} | {r['recorded']:.4f} | {v['recorded']:.4f} | "
            f"{r['reproduced']:.4f} | {v['score_equal']}, "
            f"{v['losses_equal']} | {r['score_equal']} |")
    lines += ["", "Where the two reruns agree but differ from the record, the "
              "record is older than an earlier change of the code (the "
              "reference commit does not reproduce it either); this change "
              "moves nothing.", "", "Commands:", ""]
    lines += [f"- `{r['command']}`" for r in rows]
    with open(f"{RESULTS}/reproduce.md", "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
