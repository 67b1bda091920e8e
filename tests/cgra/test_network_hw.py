# amaranth: UnusedElaboratable=no
"""The networks (hw.cgra.SlotMux, Switchbox, ControlMux) in the Amaranth simulator.

Slot multiplexers with random slot configurations and selections; every switchbox variant
(disjoint and Wilton, every combination of present neighbours, with and without an FU) with
random configurations of every outgoing wire against the rules of docs/cgra.md (driver values
0 to 7, the incoming track from ``sim_models.cgra.config.tin``); the control multiplexer.
"""

import itertools
import random
import re

import pytest
from amaranth.sim import Simulator

from hw.cgra import ControlMux, SlotMux, Switchbox, tin
from sim_models.cgra import config

SEED = 20260617


def exactly(message):
    return "^" + re.escape(message) + "$"


def run_comb(dut, vectors, apply, read):
    results = []

    async def bench(ctx):
        for vector in vectors:
            apply(ctx, vector)
            results.append(read(ctx))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return results


@pytest.mark.parametrize("n", [1, 5, 24, 18])
def test_slot_mux(n):
    rng = random.Random(SEED + n)
    dut = SlotMux(16, n)
    bits = dut.cfg_bits
    assert bits == (n).bit_length()  # clog2(n + 1)
    vectors = []
    for _ in range(200):
        sources = [rng.randrange(1 << 16) for _ in range(n)]
        slots = [rng.randrange(1 << bits) for _ in range(4)]  # values above n read 0
        vectors.append((sources, slots, rng.randrange(4)))

    def apply(ctx, v):
        ctx.set(dut.sources, v[0])
        ctx.set(dut.slots, v[1])
        ctx.set(dut.sel, v[2])

    got = run_comb(dut, vectors, apply, lambda ctx: ctx.get(dut.value))
    for (sources, slots, sel), value in zip(vectors, got, strict=True):
        k = slots[sel]
        expected = sources[k - 1] if 1 <= k <= n else 0
        assert value == expected, f"seed {SEED + n}: slots {slots} sel {sel}"


def test_tin_matches_the_configuration_module():
    for kind, tracks in itertools.product(("disjoint", "wilton"), (1, 2, 3, 4, 8)):
        for i, o, t in itertools.product(range(4), range(4), range(tracks)):
            if i != o:
                assert tin(kind, i, o, t, tracks) == config.tin(kind, i, o, t, tracks)


def switchbox_reference(kind, tracks, sides, has_fu, cfg, wire_in, fu_out):
    out = [0] * (4 * tracks)
    for s, t in itertools.product(range(4), range(tracks)):
        if not sides[s]:
            continue
        v = cfg[tracks * s + t]
        if v in (1, 2, 3):
            side = (s + v) % 4
            if sides[side]:
                out[tracks * s + t] = wire_in[tracks * side + config.tin(kind, side, s, t, tracks)]
        elif v in (4, 5) and has_fu:
            out[tracks * s + t] = fu_out[v - 4]
    return out


@pytest.mark.parametrize("kind,tracks", [("disjoint", 2), ("wilton", 3), ("wilton", 4)])
def test_switchbox_every_variant(kind, tracks):
    seed = SEED + tracks + len(kind)
    rng = random.Random(seed)
    for sides in itertools.product((False, True), repeat=4):
        for has_fu in (False, True):
            dut = Switchbox(8, tracks, kind, sides, has_fu)
            vectors = []
            for _ in range(6):
                vectors.append(([rng.randrange(8) for _ in range(4 * tracks)],
                                [rng.randrange(256) for _ in range(4 * tracks)],
                                [rng.randrange(256) for _ in range(2)]))

            def apply(ctx, v, dut=dut):
                ctx.set(dut.cfg, v[0])
                ctx.set(dut.wire_in, v[1])
                ctx.set(dut.fu_out, v[2])

            got = run_comb(dut, vectors, apply,
                           lambda ctx, dut=dut: [ctx.get(dut.wire_out[i])
                                                 for i in range(4 * tracks)])
            for v, out in zip(vectors, got, strict=True):
                assert out == switchbox_reference(kind, tracks, sides, has_fu, *v), \
                    f"seed {seed}: sides {sides}, FU {has_fu}, cfg {v[0]}"


def test_control_mux():
    dut = ControlMux(10, 3)
    vectors = [([11, 22, 33], sel) for sel in range(4)]

    def apply(ctx, v):
        ctx.set(dut.instrs, v[0])
        ctx.set(dut.sel, v[1])

    assert run_comb(dut, vectors, apply, lambda ctx: ctx.get(dut.instr)) == [11, 22, 33, 0]
    single = ControlMux(6, 1)
    assert run_comb(single, [5], lambda ctx, v: ctx.set(single.instrs, [v]),
                    lambda ctx: ctx.get(single.instr)) == [5]


def test_parameter_checks():
    with pytest.raises(ValueError, match=exactly(
            "Switchbox must be 'disjoint' or 'wilton', not 'universal'")):
        Switchbox(8, 2, "universal", (True,) * 4, True)
    with pytest.raises(ValueError, match=exactly(
            "Tracks must be an integer between 1 and 8, not 9")):
        Switchbox(8, 9, "wilton", (True,) * 4, True)
    with pytest.raises(TypeError, match=exactly(
            "Sides must be a tuple of 4 bools, not (True, False)")):
        Switchbox(8, 2, "wilton", (True, False), True)
    with pytest.raises(ValueError, match=exactly(
            "Sources must be an integer between 1 and 1024, not 0")):
        SlotMux(8, 0)
