# amaranth: UnusedElaboratable=no
"""RF function unit (hw.cgra.RF) in the Amaranth simulator.

Random streams of ``rd``, ``wr`` and ``rw`` (both destinations, reads of the register being
written in the same cycle, which return the old value) against a 16-entry list written from
docs/cgra.md; ``clear`` clears the outputs but not the registers.
"""

import random

import pytest
from amaranth.sim import Simulator

from hw.cgra import RF

SEED = 20260615


def simulate(dut, steps):
    after = []

    async def bench(ctx):
        for s in steps:
            ctx.set(dut.instr, {k: s[k] for k in ("rd", "wr", "raddr", "waddr", "dst", "sel0")})
            ctx.set(dut.in0, s["a"])
            ctx.set(dut.in1, s["b"])
            ctx.set(dut.clear, s["clear"])
            await ctx.tick()
            after.append((ctx.get(dut.out0), ctx.get(dut.out1)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return after


@pytest.mark.parametrize("width", [8, 16, 32])
def test_random_stream(width):
    seed = SEED + width
    rng = random.Random(seed)
    steps = []
    for _ in range(500):
        raddr = rng.randrange(16)
        # often read the register written in the same cycle
        waddr = raddr if rng.random() < 0.3 else rng.randrange(16)
        steps.append({"rd": rng.randrange(2), "wr": rng.randrange(2), "raddr": raddr,
                      "waddr": waddr, "dst": rng.randrange(2), "sel0": rng.randrange(4),
                      "a": rng.randrange(1 << width), "b": rng.randrange(1 << width),
                      "clear": int(rng.random() < 0.02)})
    after = simulate(RF(width), steps)
    regs, out = [0] * 16, [0, 0]
    for n, s in enumerate(steps):
        if s["clear"]:
            out = [0, 0]
        elif s["rd"]:
            out[s["dst"]] = regs[s["raddr"]]  # the old value, before this cycle's write
        if s["wr"]:
            regs[s["waddr"]] = s["a"]
        assert after[n] == tuple(out), (f"seed {seed}, W={width}, step {n}: {s}: got "
                                        f"{after[n]}, expected {out}")


def test_rw_same_register_hand():
    base = {"dst": 0, "sel0": 0, "b": 0, "clear": 0}
    steps = [
        {**base, "rd": 0, "wr": 1, "raddr": 0, "waddr": 3, "a": 7},      # wr r3, 7
        {**base, "rd": 1, "wr": 1, "raddr": 3, "waddr": 3, "a": 9},      # rw r3, r3: reads 7
        {**base, "rd": 1, "wr": 0, "raddr": 3, "waddr": 0, "a": 0, "dst": 1},  # rd r3: 9
        {**base, "rd": 0, "wr": 0, "raddr": 0, "waddr": 0, "a": 0},      # nop: outputs kept
    ]
    assert simulate(RF(8), steps) == [(0, 0), (7, 0), (7, 9), (7, 9)]
