r"""Speed of the sampler against a reference-style loop and torch_cluster.

Each case runs in its own process (so that its peak memory is its own) and
prints one JSON record; the parent writes them all to
``benchmarks/results/sampler.json`` and a Markdown table beside it.

    python benchmarks/speed/bench_sampler.py   # all cases (~15 min, 2 cores)
    python benchmarks/speed/bench_sampler.py --cases ours_build_100k \
        ours_epoch_100k

Embeddings are a clustered set: N points in d=128 around N/100 Gaussian
centres (a stand-in for learned embeddings), seed 0
(:func:`common.clustered`).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from pyg_prosampler import ProximityBatchSampler, build_proximity_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import RESULTS, clustered, current


# --------------------------------------------------------------- reference
def reference_build(z: torch.Tensor, k: int, m: int, seed: int = 0):
    r"""The paper code's graph: per node M candidates drawn with replacement
    (self and duplicates allowed), gathered, scored and top-K, in 20 chunks.
    """
    g = torch.Generator().manual_seed(seed)
    zn = F.normalize(z, dim=1)
    num = zn.size(0)
    cols = []
    for chunk in torch.arange(num).chunk(20):
        cand = torch.randint(num, (chunk.numel(), m), generator=g)
        scores = torch.bmm(zn[cand], zn[chunk].unsqueeze(2)).squeeze(2)
        cols.append(cand.gather(1, scores.topk(k, dim=1).indices))
    return torch.cat(cols)


def reference_epoch(adj, batch_size: int, alpha: float,
                    seed: int = 0) -> int:
    r"""The paper's loop as its code runs it, one Python step at a time: per
    batch, the start is drawn from the set difference of all instances and
    those covered so far; per step, a :obj:`torch.rand(1)` restart draw and
    a neighbour drawn from the node's adjacency row; batches until
    floor(N/B)*B instances are covered, then the rest.  (With a step cap
    the code lacks, so that it cannot hang.)"""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    num = adj.shape[0]
    covered: set = set()
    everyone = set(range(num))
    batches = 0
    target = num // batch_size * batch_size
    while len(covered) < target:
        remain = list(everyone - covered)
        start = rng.choice(remain)
        walk = {start}
        path = [start]
        steps = 0
        while len(walk) < batch_size and steps < 1000 * batch_size:
            nodes = adj[path[-1]].tolist()
            if torch.rand(1).item() < alpha:
                path.append(path[0])
            else:
                nxt = rng.choice(nodes)
                path.append(nxt)
                walk.add(nxt)
            steps += 1
        covered |= walk
        batches += 1
    return batches + (len(covered) < num)


def fast_reference_epoch(adj: list, batch_size: int, alpha: float,
                         seed: int = 0) -> int:
    r"""The same loop written tightly in pure Python (adjacency as lists,
    :mod:`random` draws, starts from a shuffled order with a moving
    pointer): how fast a careful per-step loop can be."""
    rng = random.Random(seed)
    num = len(adj)
    k = len(adj[0])
    order = list(range(num))
    rng.shuffle(order)
    covered = [False] * num
    num_covered, pointer, batches = 0, 0, 0
    target = num // batch_size * batch_size
    while num_covered < target:
        while covered[order[pointer]]:
            pointer += 1
        start = cur = order[pointer]
        walk = {start}
        steps = 0
        while len(walk) < batch_size and steps < 1000 * batch_size:
            cur = start if rng.random() < alpha else adj[cur][rng.randrange(k)]
            walk.add(cur)
            steps += 1
        for node in walk:
            if not covered[node]:
                covered[node] = True
                num_covered += 1
        batches += 1
    return batches + (num_covered < num)


# ------------------------------------------------------------------ cases
def case_ref_build_100k() -> dict:
    z = clustered(100_000)
    t = time.perf_counter()
    reference_build(z, 100, 1000)
    return {"seconds": time.perf_counter() - t}


def case_ref_epoch_100k() -> dict:
    z = clustered(100_000)
    adj = reference_build(z, 100, 1000).numpy()
    t = time.perf_counter()
    batches = reference_epoch(adj, 256, 0.1)
    return {"seconds": time.perf_counter() - t, "batches": batches}


def case_fast_ref_epoch_100k() -> dict:
    z = clustered(100_000)
    adj = reference_build(z, 100, 1000).tolist()
    t = time.perf_counter()
    batches = fast_reference_epoch(adj, 256, 0.1)
    return {"seconds": time.perf_counter() - t, "batches": batches}


def case_ours_build_100k() -> dict:
    z = clustered(100_000)
    build_proximity_graph(z[:1000], 100, 500)  # warm-up
    t = time.perf_counter()
    build_proximity_graph(z, 100, 1000,
                          generator=torch.Generator().manual_seed(0))
    return {"seconds": time.perf_counter() - t}


def ours_epoch(num: int) -> dict:
    z = clustered(num)
    sampler = ProximityBatchSampler(num, 256, num_neighbors=100,
                                    num_candidates=1000, restart_prob=0.1,
                                    refresh_every=10**9, warmup_epochs=0,
                                    embeddings=z, coverage="epoch",
                                    refresh="full", seed=0)
    t = time.perf_counter()
    batches = sum(1 for _ in sampler)
    total = time.perf_counter() - t
    build = sampler.stats["build_seconds"]
    return {"seconds": total - build, "build_seconds": build,
            "total_seconds": total, "batches": batches,
            "filled_batches": sampler.stats["num_filled"]}


def nci1_epochs(epochs: int = 20) -> dict:
    r"""The sampler's share of a GraphCL run at NCI1's size and the runs'
    knobs (N=4110, B=128, M=1000, K=100, α=0.1, rebuilt every 100 batches,
    one uniform epoch first), without the training: :obj:`epochs *
    ceil(N / B)` batches of a fixed embedding set, as :func:`fit` draws
    them.  The digest of the batches tells whether two versions draw the
    same ones."""
    torch.set_num_threads(1)  # as the GraphCL runs
    num, batch_size = 4110, 128
    sampler = ProximityBatchSampler(num, batch_size, num_neighbors=100,
                                    num_candidates=1000, restart_prob=0.1,
                                    refresh_every=100, warmup_epochs=1,
                                    embeddings=clustered(num),
                                    coverage="epoch", refresh="full", seed=0)
    steps = epochs * -(-num // batch_size)
    digest = hashlib.sha256()
    t = time.perf_counter()
    for batch in itertools.islice(_stream(sampler), steps):
        digest.update(torch.tensor(batch).numpy().tobytes())
    total = time.perf_counter() - t
    return {"seconds": sampler.totals["draw_seconds"]
            + sampler.totals["build_seconds"],
            "draw_seconds": sampler.totals["draw_seconds"],
            "build_seconds": sampler.totals["build_seconds"],
            "total_seconds": total, "batches": steps, "epochs": epochs,
            "batches_sha256": digest.hexdigest()}


def _stream(sampler: ProximityBatchSampler):
    while True:
        yield from sampler


def case_ours_nci1_20_epochs() -> dict:
    return nci1_epochs()


def case_global_seed_nci1_20_epochs() -> dict:
    r"""The same, with each walk round seeded as up to commit 267cbdb:
    :func:`torch.manual_seed` under :obj:`fork_rng`, which also queues a
    seed of every CUDA, XPU and MTIA device."""
    from pyg_prosampler import random_walk

    @contextlib.contextmanager
    def global_seed(device: torch.device, seed: int):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield

    random_walk._seeded_walk_rng = global_seed
    return nci1_epochs()


def case_ours_epoch_100k() -> dict:
    return ours_epoch(100_000)


def case_ours_1m() -> dict:
    return ours_epoch(1_000_000)


def case_tc_knn_20k() -> dict:
    from torch_cluster import knn_graph
    zn = F.normalize(clustered(20_000), dim=1)
    t = time.perf_counter()
    knn_graph(zn, 10, loop=False)
    return {"seconds": time.perf_counter() - t}


def case_tc_knn_20k_randn() -> dict:
    from torch_cluster import knn_graph
    zn = F.normalize(torch.randn(20_000, 128,
                                 generator=torch.Generator().manual_seed(0)),
                     dim=1)
    t = time.perf_counter()
    knn_graph(zn, 10, loop=False)
    return {"seconds": time.perf_counter() - t}


def case_ours_exact_20k_randn() -> dict:
    z = torch.randn(20_000, 128, generator=torch.Generator().manual_seed(0))
    build_proximity_graph(z[:2000], 10, None)  # warm-up
    t = time.perf_counter()
    build_proximity_graph(z, 10, None)
    return {"seconds": time.perf_counter() - t}


def case_ours_exact_20k() -> dict:
    z = clustered(20_000)
    build_proximity_graph(z[:2000], 10, None)  # warm-up
    t = time.perf_counter()
    graph = build_proximity_graph(z, 10, None)
    seconds = time.perf_counter() - t
    # Same neighbours as torch_cluster (on normalised vectors)?
    from torch_cluster import knn_graph
    zn = F.normalize(z, dim=1)
    ref = knn_graph(zn, 10, loop=False, flow="target_to_source")
    ours = set(map(tuple, graph.edge_index.t().tolist()))
    theirs = set(map(tuple, ref.t().tolist()))
    return {"seconds": seconds,
            "agreement_with_torch_cluster": len(ours & theirs) / len(ours)}


CASES = {
    "ref_build_100k": ("reference graph build, N=100k, M=1000, K=100",
                       case_ref_build_100k),
    "ours_build_100k": ("our candidate graph, N=100k, M=1000, K=100",
                        case_ours_build_100k),
    "ref_epoch_100k": ("reference epoch of batches, N=100k, B=256, α=0.1",
                       case_ref_epoch_100k),
    "fast_ref_epoch_100k": ("tight pure-Python loop, same epoch",
                            case_fast_ref_epoch_100k),
    "ours_epoch_100k": ("our epoch of batches, N=100k, B=256, α=0.1",
                        case_ours_epoch_100k),
    "tc_knn_20k": ("torch_cluster.knn_graph exact, 20k x 128, k=10",
                   case_tc_knn_20k),
    "ours_exact_20k": ("our exact graph (matmul), 20k x 128, k=10",
                       case_ours_exact_20k),
    "tc_knn_20k_randn": ("torch_cluster.knn_graph exact, 20k x 128 "
                         "i.i.d. Gaussian, k=10", case_tc_knn_20k_randn),
    "ours_exact_20k_randn": ("our exact graph, 20k x 128 i.i.d. Gaussian",
                             case_ours_exact_20k_randn),
    "ours_1m": ("ours at N=1M: candidate graph + one epoch, B=256",
                case_ours_1m),
    "ours_nci1_20_epochs": ("ours at NCI1's size, 20 epochs' batches "
                            "(draw + rebuild), B=128, α=0.1",
                            case_ours_nci1_20_epochs),
    "global_seed_nci1_20_epochs": ("the same, walks seeded by "
                                   "torch.manual_seed (up to 267cbdb)",
                                   case_global_seed_nci1_20_epochs),
}


def run_child(name: str) -> None:
    record = CASES[name][1]()
    record["case"] = name
    record["threads"] = torch.get_num_threads()
    record["peak_rss_gb"] = resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(json.dumps(record))


def write_table(records: dict, path: str) -> None:
    def sec(name: str):
        return records.get(name, {}).get("seconds")

    def ratio(ref, ours):
        a, b = sec(ref), sec(ours)
        return f"{a / b:.1f}x" if a and b else "n/a"

    lines = [
        "# Sampler speed (CPU, 2 cores)", "",
        "Command: `python benchmarks/speed/bench_sampler.py` (all cases)  ",
        f"Machine: {records['_meta']['machine']}", "",
        "Each case runs in a fresh process; `--cases NAME` re-runs one.", "",
        "| case | seconds | batches | peak RSS (GB) | command |",
        "|---|---|---|---|---|",
    ]
    for name, (desc, _) in CASES.items():
        r = records.get(name)
        if r is None:
            continue
        lines.append(f"| {desc} | {r['seconds']:.2f} | "
                     f"{r.get('batches', '')} | {r['peak_rss_gb']:.2f} | "
                     f"`{current(r.get('command', ''))}` |")
    cases = [(name, r) for name, r in records.items() if name != "_meta"]
    counted = [f"{name} {r['threads']}" for name, r in cases
               if "threads" in r]
    if len(counted) < len(cases):
        counted.append("the other cases 2 (run before a count was kept per "
                       "case; the machine's default)")
    lines += ["", "Torch threads: " + ", ".join(counted) + "."]
    one_m = records.get("ours_1m", {})
    lines += [
        "", "| target | reached |", "|---|---|",
        f"| epoch of batches at 100k >= 100x faster than the reference loop "
        f"| {ratio('ref_epoch_100k', 'ours_epoch_100k')} "
        f"(vs the tight pure-Python loop: "
        f"{ratio('fast_ref_epoch_100k', 'ours_epoch_100k')}) |",
        f"| M-candidate graph at 100k >= 10x faster | "
        f"{ratio('ref_build_100k', 'ours_build_100k')} |",
        f"| exact graph >= 20x faster than torch_cluster.knn_graph at 20k | "
        f"{ratio('tc_knn_20k', 'ours_exact_20k')} clustered, "
        f"{ratio('tc_knn_20k_randn', 'ours_exact_20k_randn')} Gaussian |",
    ]
    if one_m:
        lines.append(
            f"| 1M: graph + epoch < 120 s, peak < 8 GB | "
            f"{one_m['total_seconds']:.1f} s "
            f"(graph {one_m['build_seconds']:.1f} s + batches "
            f"{one_m['seconds']:.1f} s), {one_m['peak_rss_gb']:.2f} GB |")
    nci1 = records.get("ours_nci1_20_epochs")
    old = records.get("global_seed_nci1_20_epochs")
    if nci1 and old:
        same = nci1["batches_sha256"] == old["batches_sha256"]
        lines.append(
            f"| NCI1's size, 20 epochs: draw {nci1['draw_seconds']:.2f} s "
            f"against {old['draw_seconds']:.2f} s seeded globally, rebuild "
            f"{nci1['build_seconds']:.2f} s against "
            f"{old['build_seconds']:.2f} s | same batches: "
            f"{'yes' if same else 'NO'} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=os.path.join(RESULTS,
                                                      "sampler.json"))
    args = parser.parse_args()
    if args.child:
        run_child(args.child)
        return
    records = {}
    if os.path.exists(args.out):  # keep cases not re-run this time
        with open(args.out) as f:
            records = json.load(f)
    for name in args.cases:
        print(f"[bench] {name}: {CASES[name][0]} ...", flush=True)
        out = subprocess.run([sys.executable, __file__, "--child", name],
                             capture_output=True, text=True, check=True)
        records[name] = json.loads(out.stdout.strip().splitlines()[-1])
        records[name]["command"] = (
            f"python benchmarks/speed/bench_sampler.py --cases {name}")
        print(f"[bench] {name}: {records[name]}", flush=True)
        records["_meta"] = {
            "command": "python benchmarks/speed/bench_sampler.py "
                       + " ".join(sys.argv[1:]),
            "machine": f"{platform.processor() or platform.machine()}, "
                       f"{os.cpu_count()} cores, torch {torch.__version__}, "
                       f"{torch.get_num_threads()} threads",
        }
        with open(args.out, "w") as f:
            json.dump(records, f, indent=2)
        write_table(records, args.out.replace(".json", ".md"))


if __name__ == "__main__":
    main()
