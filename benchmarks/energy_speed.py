"""Time the whole energy flow of one design point from scratch: synthesis, netlist read-back,
gate-level simulation with activity dump, toggle counting and the energy estimate.

Issue target: synthesis plus gate-level energy of the 16-bit DRUM under 60 s on the 2-core
machine. Nothing is cached (``cache_dir=None`` for synthesis and energy); the simulator build
is redone too (its build directory is removed before every run). Prints each run, then the
median of the runs per simulator.

    python benchmarks/energy_speed.py [--runs 3] [--ops 4000] [--sims icarus verilator]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen.approx.multiplier import energy  # noqa: E402
from gen.flow.family import instantiate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ops", type=int, default=4000)
    ap.add_argument("--sims", nargs="+", default=["icarus", "verilator"])
    ap.add_argument("--design", default="drum")
    ap.add_argument("-p", "--param", action="append", default=["width=16", "k=6"])
    args = ap.parse_args()
    inst = instantiate(args.design, args.param)
    root = Path("build/bench/energy")
    print(f"{inst.module}: synthesis + gate-level energy, {args.ops} operations, no caches")
    for sim in args.sims:
        times = []
        for run in range(args.runs):
            shutil.rmtree(root, ignore_errors=True)
            steps: list[tuple[str, float]] = []
            t0 = time.perf_counter()
            r = energy(inst, ops=args.ops, sim=sim, cache_dir=None, build_root=root,
                       progress=lambda text, s=steps: s.append((text, time.perf_counter())))
            total = time.perf_counter() - t0
            times.append(total)
            marks = [t for _, t in steps] + [t0 + total]
            detail = ", ".join(f"{text.split(' (')[0]} {b - a:.1f} s"
                               for (text, a), b in zip(steps, marks[1:], strict=True))
            print(f"  {sim:<9} run {run + 1}: {total:6.1f} s  ({detail}); "
                  f"{r.energy_per_op_fj:.1f} fJ/op")
        print(f"  {sim:<9} median {statistics.median(times):.1f} s over {args.runs} runs "
              f"(target < 60 s)")


if __name__ == "__main__":
    main()
