# amaranth: UnusedElaboratable=no
"""MUL function unit (hw.cgra.MUL) in the Amaranth simulator.

Each multiplier kind at every data width against ``sim_models.approx`` (ExactModel, DrumModel
with two's-complement sign handling, RoupModel, all signed), keeping the low ``W`` bits of the
product of the operands read as signed ``W``-bit numbers: corner pairs and random pairs in a
stream with nops (outputs kept), both destinations and ``clear``.
"""

import random
import re

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.cgra import MUL
from sim_models.approx import DrumModel, ExactModel, RoupModel

SEED = 20260613


def exactly(message):
    return "^" + re.escape(message) + "$"


def reference(kind, width, params):
    if kind == "drum":
        model = DrumModel(width=width, k=params["k"], signed=True, sign_mode="twos")
    elif kind == "roup":
        model = RoupModel(width=width, p=params["p"], r=params["r"], signed=True)
    else:
        model = ExactModel(width=width, signed=True)
    mask = (1 << width) - 1

    def signed(v):
        return v - (1 << width) if v >> (width - 1) else v

    return lambda a, b: int(np.asarray(model(signed(a), signed(b))).item()) & mask


def stream(dut, steps):
    after = []

    async def bench(ctx):
        for op, dst, a, b, clear in steps:
            ctx.set(dut.instr, {"op": op, "dst": dst})
            ctx.set(dut.in0, a)
            ctx.set(dut.in1, b)
            ctx.set(dut.clear, clear)
            await ctx.tick()
            after.append((ctx.get(dut.out0), ctx.get(dut.out1)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return after


CASES = [
    ("exact", 8, {}), ("exact", 16, {}), ("exact", 32, {}),
    ("drum", 8, {"k": 4}), ("drum", 16, {"k": 6}), ("drum", 32, {"k": 6}),
    ("roup", 8, {"p": 1, "r": 2}), ("roup", 16, {"p": 2, "r": 3}), ("roup", 32, {"p": 1, "r": 2}),
]


@pytest.mark.parametrize("kind,width,params", CASES)
def test_mul_against_models(kind, width, params):
    seed = SEED + width + 7 * len(kind)
    rng = random.Random(seed)
    mask = (1 << width) - 1
    corners = [0, 1, 2, 3, mask, mask - 1, 1 << (width - 1), (1 << (width - 1)) - 1, 5, 100]
    pairs = [(a, b) for a in corners for b in corners]
    pairs += [(rng.randrange(1 << width), rng.randrange(1 << width)) for _ in range(150)]
    # small magnitudes too, where the low W bits of an approximate product are interesting
    pairs += [(rng.randrange(-300, 300) & mask, rng.randrange(-300, 300) & mask)
              for _ in range(100)]
    steps = [(int(rng.random() < 0.9), rng.randrange(2), a, b, int(rng.random() < 0.02))
             for a, b in pairs]
    ref = reference(kind, width, params)
    after = stream(MUL(width, kind, **params), steps)
    out = [0, 0]
    for n, (op, dst, a, b, clear) in enumerate(steps):
        if clear:
            out = [0, 0]
        elif op:
            out[dst] = ref(a, b)
        assert after[n] == tuple(out), (f"seed {seed}: {kind} W={width} {params}, step {n}: "
                                        f"{a:#x} * {b:#x}: got {after[n]}, expected {out}")


def test_approximate_tiles_differ_from_exact():
    # the DRUM and ROUP tiles are not silently exact: a product they get wrong
    assert reference("drum", 16, {"k": 6})(1000, 999) != 1000 * 999 & 0xFFFF
    after = stream(MUL(16, "drum", k=6), [(1, 0, 1000, 999, 0)])
    assert after[0][0] == reference("drum", 16, {"k": 6})(1000, 999)


def test_parameter_checks():
    with pytest.raises(ValueError, match=exactly(
            "Multiplier kind must be 'exact', 'drum' or 'roup', not 'booth'")):
        MUL(32, "booth")
    with pytest.raises(ValueError, match="^K must be an integer between 3 and 7"):
        MUL(8, "drum", k=8)
    with pytest.raises(ValueError, match="^P must be an integer between 0 and 3"):
        MUL(8, "roup", p=4, r=2)
    with pytest.raises(ValueError, match=exactly("Data width must be 8, 16 or 32, not 64")):
        MUL(64)
    m = MUL(32, "roup", p=1, r=2)
    assert (m.kind, m.params, m.module_name) == ("roup", {"p": 1, "r": 2}, "roup_p1_r2")
