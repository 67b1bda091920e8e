"""Verified operations per second for DRUM 16-bit (k=6): streaming harness versus baselines.

Measured in one script, on the same design and the same golden model:

* the streaming harness (:mod:`verif.harness`) under Icarus and Verilator, 100,000 random vectors;
* a plain per-vector cocotb loop (:mod:`verif.pervector_cocotb`) under both simulators;
* Amaranth's own simulator with a per-vector async testbench.

Every figure is the median of ``--repeat`` runs (simulation only: builds are done beforehand and
excluded). Two rates are printed per method: end to end (vectors / wall time of one simulator run,
start-up included) and marginal (the extra vectors of a long run over a short one divided by the
extra time: the cost per vector with start-up removed).
Usage: ``python benchmarks/harness_speed.py [--repeat 3] [--vectors 100000]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gen.flow.family import instantiate  # noqa: E402
from gen.flow.ip import emit  # noqa: E402
from verif import sim as sim_mod  # noqa: E402
from verif.approx import multiplier  # noqa: E402
from verif.harness import to_bit_patterns  # noqa: E402

BUILD = ROOT / "build" / "bench" / "harness_speed"


def harness_rate(inst, verilog, a, b, sim):
    t = []
    for _ in range(ARGS.repeat):
        r = multiplier.check(inst.component, inst.model, module=inst.module, verilog=verilog,
                             build_dir=BUILD / "harness", a=a, b=b, sim=sim)
        assert r.mismatches == 0 and r.checked == len(a), r
        t.append(r.seconds)
    return len(a) / statistics.median(t), t


def pervector_rate(inst, verilog, a, b, sim):
    from cocotb_tools.runner import get_runner

    build = BUILD / "pervector" / sim
    sim_mod.prepare(sim)
    build.mkdir(parents=True, exist_ok=True)
    vec = build / "vectors.npz"
    p = np.asarray(inst.model(a.astype(np.int64), b.astype(np.int64)), dtype=object)
    np.savez(vec, a=np.array(to_bit_patterns(a, 16), dtype=object),
             b=np.array(to_bit_patterns(b, 16), dtype=object),
             p=np.array(to_bit_patterns(p, 32), dtype=object))
    runner = get_runner(sim)
    args = ["-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-UNUSEDSIGNAL"]
    runner.build(sources=[verilog], hdl_toplevel=inst.module, build_dir=build,
                 build_args=args if sim == "verilator" else [], timescale=("1ns", "1ps"),
                 log_file=build / "build.log")
    t = []
    for _ in range(ARGS.repeat):
        result = build / "result.json"
        t0 = time.perf_counter()
        runner.test(test_module="verif.pervector_cocotb", hdl_toplevel=inst.module,
                    hdl_toplevel_lang="verilog", build_dir=build, test_dir=build,
                    extra_env={"EF_VECTORS": str(vec), "EF_RESULT": str(result)},
                    log_file=build / "sim.log")
        t.append(time.perf_counter() - t0)
        r = json.loads(result.read_text())
        assert r["mismatches"] == 0 and r["checked"] == len(a), r
    return len(a) / statistics.median(t), t


def amaranth_rate(inst, a, b):
    from amaranth.sim import Simulator

    expected = [int(x) for x in inst.model(a.astype(np.int64), b.astype(np.int64))]
    dut = inst.component
    t = []
    for _ in range(ARGS.repeat):
        bad = 0

        async def bench(ctx):
            nonlocal bad
            for x, y, e in zip(a, b, expected, strict=True):
                ctx.set(dut.a, int(x))
                ctx.set(dut.b, int(y))
                if ctx.get(dut.p) != e:
                    bad += 1

        sim = Simulator(dut)
        sim.add_testbench(bench)
        t0 = time.perf_counter()
        sim.run()
        t.append(time.perf_counter() - t0)
        assert bad == 0
    return len(a) / statistics.median(t), t


def main():
    inst = instantiate("drum", {"width": 16, "k": 6})
    verilog = emit(inst, BUILD / "rtl").verilog
    rng = np.random.default_rng(ARGS.seed)
    print(f"design {inst.module}, seed {ARGS.seed}, median of {ARGS.repeat} runs, "
          f"simulation time only (builds excluded)")
    big = rng.integers(0, 1 << 16, size=(2, ARGS.vectors))
    small = big[:, : ARGS.pervector]
    rows = []
    sims = [s for s in sim_mod.SIMULATORS if _available(s)]

    def measure(name, fn, vectors, short):
        rate, t = fn(vectors[0], vectors[1])
        _, t0 = fn(vectors[0][:short], vectors[1][:short])
        n = len(vectors[0])
        marginal = (n - short) / max(statistics.median(t) - statistics.median(t0), 1e-9)
        rows.append((name, n, rate, marginal, t))

    for sim in sims:
        measure(f"harness ({sim})", lambda a, b, s=sim: harness_rate(inst, verilog, a, b, s),
                big, 1000)
    for sim in sims:
        measure(f"per-vector cocotb ({sim})",
                lambda a, b, s=sim: pervector_rate(inst, verilog, a, b, s), small, 500)
    measure("amaranth.sim per-vector", lambda a, b: amaranth_rate(inst, a, b), small, 500)
    end = {r[0]: r[2] for r in rows}
    marg = {r[0]: r[3] for r in rows}
    print(f"{'method':<30} {'vectors':>8} {'end-to-end/s':>13} {'marginal/s':>11}  runs (s)")
    for name, n, rate, marginal, t in rows:
        print(f"{name:<30} {n:>8} {rate:>13,.0f} {marginal:>11,.0f}  "
              f"{' '.join(f'{x:.2f}' for x in t)}")
    for sim in sims:
        h, pv, am = f"harness ({sim})", f"per-vector cocotb ({sim})", "amaranth.sim per-vector"
        print(f"harness / per-vector cocotb ({sim}): {end[h] / end[pv]:.1f}x end to end, "
              f"{marg[h] / marg[pv]:.1f}x marginal")
        print(f"harness ({sim}) / amaranth.sim: {end[h] / end[am]:.1f}x end to end, "
              f"{marg[h] / marg[am]:.1f}x marginal")


def _available(sim):
    try:
        sim_mod.prepare(sim)
        return True
    except sim_mod.SimulatorError as e:
        print(f"skipping {sim}: {e}")
        return False


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--vectors", type=int, default=100_000)
    ap.add_argument("--pervector", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=2026)
    ARGS = ap.parse_args()
    main()
