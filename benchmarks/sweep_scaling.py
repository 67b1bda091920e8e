"""Scaling of ``edgeforge sweep``: one 16-point sweep on 1 and 2 workers, on the local process
pool and on a Dask LocalCluster.

Issue targets (2-core machine): wall time on 1 worker / on 2 workers >= 1.8 for each executor;
Dask's overhead against the local pool at the same worker count <= 10 %. Every run starts from
an empty cache (its own ``EDGEFORGE_CACHE`` and build directory), so every point is synthesised
and simulated at gate level again; the configurations alternate within each round so that a
change of machine load touches all of them alike. Prints each run, then medians.

    python benchmarks/sweep_scaling.py [--runs 3] [--ops 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPEC = """[sweep]
name = "sweep scaling: 16 multipliers, area and energy"
metrics = ["area", "energy"]
[[points]]
design = "drum"
params = {{ width = 8, k = [3, 4, 5, 6, 7], signed = [false, true] }}
workload = {{ ops = {ops} }}
[[points]]
design = "roup"
params = {{ width = 8, p = [0, 1, 2], r = [0, 2] }}
workload = {{ ops = {ops} }}
"""
CONFIGS = [("local", 1), ("local", 2), ("dask", 1), ("dask", 2)]


def one_run(spec: Path, executor: str, workers: int, work: Path) -> float:
    """Seconds of one cold sweep in ``work`` (a fresh directory: no cache, no build)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = {**os.environ, "EDGEFORGE_CACHE": str(work / "cache")}
    cmd = [sys.executable, "-m", "gen.cli", "sweep", str(spec), "-o", str(work / "out"),
           "--executor", executor, "--workers", str(workers), "--quiet"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    if "16 points: 16 measured" not in r.stderr:
        raise SystemExit(f"expected 16 measured points:\n{r.stderr}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ops", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ef-scaling-", dir=ROOT / "build") as tmp:
        spec = Path(tmp) / "scaling.toml"
        spec.write_text(SPEC.format(ops=args.ops))
        times: dict[tuple[str, int], list[float]] = {c: [] for c in CONFIGS}
        for run in range(args.runs):
            for executor, workers in CONFIGS:
                s = one_run(spec, executor, workers, Path(tmp) / f"{executor}{workers}")
                times[(executor, workers)].append(s)
                print(f"run {run + 1}: {executor:<5} {workers} worker(s) {s:7.1f} s", flush=True)
    med = {c: statistics.median(v) for c, v in times.items()}
    print(f"\nmedians of {args.runs} runs (16 points, area + gate-level energy, {args.ops} ops, "
          "cold cache):")
    for (executor, workers), s in med.items():
        print(f"  {executor:<5} {workers} worker(s) {s:7.1f} s")
    for executor in ("local", "dask"):
        ratio = med[(executor, 1)] / med[(executor, 2)]
        print(f"  {executor}: 1 worker / 2 workers = {ratio:.2f} (target >= 1.8)")
    for workers in (1, 2):
        over = 100 * (med[("dask", workers)] / med[("local", workers)] - 1)
        print(f"  dask overhead vs local pool, {workers} worker(s): {over:+.1f} % "
              "(target <= 10 %)")


if __name__ == "__main__":
    main()
