"""Verilog generation time of the ternary engine (hw.ternary.TernaryEngine).

Times the construction and :meth:`~hw.ternary.TernaryEngine.to_verilog` (``verilog.convert``
of the engine, preceded with ``shared=True`` by the one conversion of the OCU) of the public
configuration ``TernaryEngine(96, 96, 3, 64, shared=True)``, each run in a fresh subprocess,
and reports the median seconds, the peak RSS of the run (``resource.getrusage``) and the
Verilog size; the target is under 60 s. For comparison it times ``shared=False`` (one module
per OCU) at a smaller ``n_o``, and the shared engine at that ``n_o``.

Usage::

    python benchmarks/ternary_generation.py [--runs 3] [--flat-n-o 8] [--flat-runs 1]
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0

#: Runs in the child: build, convert, report as one JSON line.
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from hw.ternary import TernaryEngine
start = time.perf_counter()
engine = TernaryEngine({n_i}, {n_o}, {k}, {image_width}, shared={shared})
text = engine.to_verilog("ternary_engine")
seconds = time.perf_counter() - start
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "rss_mib": rss_kib / 1024, "bytes": len(text),
                  "modules": text.count("\\nmodule ") + text.startswith("module ")}}))
"""


def measure(n_i, n_o, k, image_width, *, shared, runs):
    """Median seconds and the largest peak RSS, size and module count of ``runs`` fresh
    subprocesses, each building and converting one engine."""
    code = CHILD.format(root=str(ROOT), n_i=n_i, n_o=n_o, k=k, image_width=image_width,
                        shared=shared)
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "runs": [round(r["seconds"], 2) for r in results],
        "rss_mib": max(r["rss_mib"] for r in results),
        "bytes": results[0]["bytes"],
        "modules": results[0]["modules"],
    }


def report(label, result):
    print(f"{label}: {result['seconds']:.2f} s median (runs {result['runs']}), "
          f"peak RSS {result['rss_mib']:.0f} MiB, Verilog {result['bytes'] / 1e6:.2f} MB, "
          f"{result['modules']} modules", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the public configuration")
    parser.add_argument("--flat-n-o", type=int, default=8, help="n_o of the comparison")
    parser.add_argument("--flat-runs", type=int, default=1, help="runs of the comparison")
    args = parser.parse_args(argv)

    public = measure(96, 96, 3, 64, shared=True, runs=args.runs)
    report("TernaryEngine(96, 96, 3, 64, shared=True)", public)
    verdict = "meets" if public["seconds"] < TARGET_SECONDS else "MISSES"
    print(f"  {verdict} the {TARGET_SECONDS:.0f} s target")
    n_o = args.flat_n_o
    for shared in (True, False):
        result = measure(96, n_o, 3, 64, shared=shared, runs=args.flat_runs)
        report(f"TernaryEngine(96, {n_o}, 3, 64, shared={shared})", result)
        if not shared:
            per_ocu = result["seconds"] / n_o
            print(f"  shared=False: about {per_ocu:.1f} s per OCU, so about "
                  f"{per_ocu * 96:.0f} s for n_o = 96")


if __name__ == "__main__":
    main()
