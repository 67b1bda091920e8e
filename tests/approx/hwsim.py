"""Amaranth-simulator helpers shared by the generator tests (tests/approx/test_*_hw.py).

The generator tests check each multiplier in Amaranth's own simulator against a scalar formula
written in the test file; this module only drives the simulation and compares.
"""

import random
import re

from amaranth.sim import Simulator


def exactly(message):
    """A ``pytest.raises(match=...)`` pattern matching ``message`` and nothing else."""
    return "^" + re.escape(message) + "$"


def operand_range(width, is_signed):
    if is_signed:
        return range(-(1 << (width - 1)), 1 << (width - 1))
    return range(1 << width)


def all_pairs(width, is_signed):
    values = operand_range(width, is_signed)
    return [(a, b) for a in values for b in values]


def random_pairs(width, is_signed, count, seed):
    """All corner pairs, then ``count`` uniform pairs drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    values = operand_range(width, is_signed)
    corners = sorted({values[0], values[0] + 1, values[-1], values[-1] - 1, 0, 1, 2}
                     | ({-1} if is_signed else set()))
    pairs = [(a, b) for a in corners for b in corners]
    pairs += [(rng.choice(values), rng.choice(values)) for _ in range(count)]
    return pairs


def simulate(dut, pairs):
    """Products of ``pairs``; pipelined designs get one pair per cycle (back to back)."""
    latency = getattr(dut, "latency", 0)  # combinational cores (BoothMultiplier) have none
    results = []

    async def comb_bench(ctx):
        for a, b in pairs:
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            results.append(ctx.get(dut.p))

    async def sync_bench(ctx):
        for i in range(len(pairs) + latency - 1):
            if i < len(pairs):
                ctx.set(dut.a, pairs[i][0])
                ctx.set(dut.b, pairs[i][1])
            await ctx.tick()
            if i >= latency - 1:  # the pair applied before edge i - latency + 1
                results.append(ctx.get(dut.p))

    sim = Simulator(dut)
    if latency:
        sim.add_clock(1e-6)
    sim.add_testbench(sync_bench if latency else comb_bench)
    sim.run()
    return results


def check(dut, pairs, model, label=""):
    """Simulate ``dut`` on ``pairs`` and compare every product with ``model(a, b)``."""
    got = simulate(dut, pairs)
    assert len(got) == len(pairs)
    for (a, b), value in zip(pairs, got, strict=True):
        expected = model(a, b)
        assert value == expected, f"{label}a={a} b={b}: got {value}, expected {expected}"
