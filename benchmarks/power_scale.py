"""The power estimator on a large netlist: >= 100k cells, >= 10k clock cycles, bounded memory.

Builds ``bigtop``: N copies of a synthesised 16-bit multiplier netlist (embedded library) side by
side, sharing the operand ports, until the cell count passes ``--cells``. The activity is a
synthetic VCD written here (every net toggles with probability ``--activity`` per cycle, fixed
seed), because the benchmark is about the estimator (``gen.eda.netlist`` + ``gen.eda.activity`` +
``gen.eda.power``), not about simulating 100k gates. Each estimator run happens in a fresh
subprocess so that its peak RSS is its own; running it on the first fifth of the cycles and on
all of them shows that memory does not grow with the dump's length.

    python benchmarks/power_scale.py [--cells 100000] [--cycles 10000] [--activity 0.05]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORK = Path("build/bench/power_scale")
PERIOD_PS = 10_000


def build(cells: int, cycles: int, activity: float, seed: int) -> None:
    from gen.eda import liberty, netlist, synth
    from gen.flow.family import instantiate

    WORK.mkdir(parents=True, exist_ok=True)
    inst = instantiate("exact", {"width": 16, "arch": "array"})
    res = synth.synthesize(inst)
    base = Path(res.netlist).read_text()
    per = res.num_cells
    copies = -(-cells // per)
    top = ["module bigtop(input [15:0] a, input [15:0] b);"]
    for i in range(copies):
        top += [f"  wire [31:0] p{i};", f"  {inst.module} u{i} (.a(a), .b(b), .p(p{i}));"]
    top.append("endmodule")
    (WORK / "bigtop.v").write_text(base + "\n" + "\n".join(top) + "\n")
    lib = liberty.load(liberty.default_library_path())
    t0 = time.perf_counter()
    nl = netlist.load_netlist(WORK / "bigtop.v", "bigtop", lib, workdir=WORK / "netlist")
    print(f"netlist: {copies} x {inst.module} ({per} cells) = {len(nl.instances)} cells, "
          f"{len(nl.nets)} nets (read in {time.perf_counter() - t0:.1f} s)")
    # one 1-bit VCD variable per net, under its first name, in the scope it lives in
    by_scope: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    live = [n for n in nl.nets if n.driver is not None or n.port == "input"]
    codes = []
    for k, net in enumerate(live):
        path, name, index = next((x for x in net.names if x[2] is None), net.names[0])
        code = _code(k)
        codes.append(code.encode())
        ref = name if index is None else f"{name} [{index}]"
        by_scope.setdefault(path, []).append((code, ref))
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    changes = 0
    with open(WORK / "bigtop.vcd", "wb") as f:
        f.write(b"$timescale 1ps $end\n$scope module tb $end\n$scope module dut $end\n")
        _scopes(f, by_scope)
        f.write(b"$upscope $end\n$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n")
        state = rng.integers(0, 2, len(live), dtype=np.uint8)
        f.write(b"".join(b"%d%s\n" % (v, c) for v, c in zip(state, codes, strict=True)))
        f.write(b"$end\n")
        arr = np.array(codes, dtype=object)
        for cyc in range(1, cycles + 1):
            flip = np.flatnonzero(rng.random(len(live)) < activity)
            state[flip] ^= 1
            lines = [b"#%d\n" % (cyc * PERIOD_PS)]
            lines += [b"%d%s\n" % (v, c) for v, c in zip(state[flip], arr[flip], strict=True)]
            f.write(b"".join(lines))
            changes += len(flip)
        f.write(b"#%d\n" % ((cycles + 1) * PERIOD_PS))
    size = (WORK / "bigtop.vcd").stat().st_size
    print(f"activity: {cycles} cycles, {changes:,} value changes, {size / 1e6:.0f} MB VCD "
          f"(written in {time.perf_counter() - t0:.0f} s)")


def _code(k: int) -> str:
    chars = [chr(c) for c in range(33, 127)]
    out = chars[k % 94]
    k //= 94
    while k:
        out += chars[k % 94]
        k //= 94
    return out


def _scopes(f, by_scope) -> None:
    tree: dict = {}
    for path in by_scope:
        node = tree
        for part in path:
            node = node.setdefault(part, {})

    def walk(node, path):
        for code, ref in by_scope.get(path, ()):
            f.write(f"$var wire 1 {code} {ref} $end\n".encode())
        for name, sub in node.items():
            f.write(f"$scope module {name} $end\n".encode())
            walk(sub, (*path, name))
            f.write(b"$upscope $end\n")

    walk(tree, ())


def estimate(end_cycle: int) -> None:
    """One estimator run (in its own process): prints a JSON line with times and peak RSS."""
    from gen.eda import activity, liberty, netlist, power

    t0 = time.perf_counter()
    lib = liberty.load(liberty.default_library_path())
    nl = netlist.load_netlist(WORK / "bigtop.v", "bigtop", lib, workdir=WORK / "netlist")
    t1 = time.perf_counter()
    act = activity.read_activity(WORK / "bigtop.vcd", "tb/dut", start=0.0,
                                 end=end_cycle * PERIOD_PS * 1e-12)
    t2 = time.perf_counter()
    res = power.analyse(nl, lib, act)
    t3 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cycles": end_cycle, "cells": len(nl.instances), "toggles": res.toggles,
                      "netlist_s": t1 - t0, "activity_s": t2 - t1, "power_s": t3 - t2,
                      "total_w": res.power_dict()["total_w"], "rss_mb": rss}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--cycles", type=int, default=10_000)
    ap.add_argument("--activity", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--estimate", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.estimate is not None:
        estimate(args.estimate)
        return
    build(args.cells, args.cycles, args.activity, args.seed)
    runs = []
    for end in (args.cycles // 5, args.cycles):
        out = subprocess.run([sys.executable, __file__, "--estimate", str(end)], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        runs.append(r)
        rate = r["toggles"] / r["activity_s"]
        print(f"estimator over {r['cycles']:>6} cycles: netlist {r['netlist_s']:.1f} s, "
              f"activity {r['activity_s']:.1f} s ({rate / 1e6:.2f} M toggles/s), power "
              f"{r['power_s']:.1f} s; {r['toggles']:,} toggles; peak RSS {r['rss_mb']:.0f} MB")
    short, full = runs
    print(f"peak RSS with {full['cycles']} cycles / with {short['cycles']}: "
          f"{full['rss_mb'] / short['rss_mb']:.2f} (1.00 = independent of the dump's length)")


if __name__ == "__main__":
    main()
