# amaranth: UnusedElaboratable=no
"""ABU (hw.cgra.ABU) with an instruction decoder (hw.cgra.InstructionDecoder) in the Amaranth
simulator.

The ABU's ID is loaded through its write port and the pair runs: the executed addresses
(``exec_valid``, ``exec_pc``), the loop counter (``out0``), the link (``out1``), ``busy`` and
``done`` are compared with sequences derived by hand from docs/cgra.md (two delay slots,
call/ret, loop, bz/bnz, halt, address wrap-around) and, for random programs, with a short
reference interpreter of the same rules. Also: the start-up latency (the first row reported
after the third edge following the start edge), ``start`` ignored while busy, restart.
"""

import random

import pytest
from amaranth.hdl import Elaboratable, Module
from amaranth.sim import Simulator

from hw.cgra import ABU, InstructionDecoder, instruction_layout
from sim_models.cgra.isa import OPCODES

SEED = 20260616
OP = OPCODES["abu"]


class Pair(Elaboratable):
    """An ABU driven by its own ID."""

    def __init__(self, width, depth):
        pc_bits = depth.bit_length() - 1
        self.abu = ABU(width, pc_bits)
        self.dec = InstructionDecoder(instruction_layout("abu", width, pc_bits).size, depth)
        self.pc_bits, self.depth = pc_bits, depth

    def elaborate(self, platform):
        m = Module()
        m.submodules.abu, m.submodules.dec = self.abu, self.dec
        m.d.comb += [self.dec.pc.eq(self.abu.pc), self.dec.issue.eq(self.abu.issue),
                     self.abu.instr.eq(self.dec.instr)]
        return m

    def word(self, op, target=0):
        return (OP[op] << 4) | (target << 8)  # sel0:2, sel1:2, op:4, target:P


def run(pair, program, a=0, *, starts=1, max_edges=400, busy_start=False):
    """Load ``program`` (list of (op, target)), start ``starts`` times with ``in0 = a``;
    returns per run: the list of (exec_pc, out0, out1, busy, done) and the edge (counted
    from the start edge) of the first report."""
    abu, dec = pair.abu, pair.dec
    runs = []

    async def bench(ctx):
        for addr, (op, target) in enumerate(program):
            ctx.set(dec.we, 1)
            ctx.set(dec.waddr, addr)
            ctx.set(dec.wdata, pair.word(op, target))
            await ctx.tick()
        ctx.set(dec.we, 0)
        ctx.set(abu.in0, a)
        for _ in range(starts):
            ctx.set(abu.start, 1)
            await ctx.tick()
            ctx.set(abu.start, 0)
            assert ctx.get(abu.busy) and not ctx.get(abu.done)
            rows, first = [], None
            for edge in range(1, max_edges):
                if busy_start and edge == 2:
                    ctx.set(abu.start, 1)
                    ctx.set(abu.in0, a ^ 1)  # would show if a second run began
                await ctx.tick()
                ctx.set(abu.start, 0)
                ctx.set(abu.in0, a)
                if ctx.get(abu.exec_valid):
                    first = edge if first is None else first
                    rows.append((ctx.get(abu.exec_pc), ctx.get(abu.out0), ctx.get(abu.out1),
                                 ctx.get(abu.busy), ctx.get(abu.done)))
                elif first is not None:
                    break
            runs.append((rows, first))
            await ctx.tick()
            assert not ctx.get(abu.busy) and ctx.get(abu.done) and not ctx.get(abu.exec_valid)

    sim = Simulator(pair)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return runs


def hand_program():
    prog = [("nop", 0)] * 16
    prog[0] = ("setl", 0)
    prog[2] = ("loop", 1)
    prog[5] = ("call", 9)
    prog[8] = ("halt", 0)
    prog[9] = ("bz", 0)
    prog[12] = ("bnz", 15)
    prog[15] = ("ret", 0)
    return prog


def test_hand_program():
    pair = Pair(16, 16)
    (rows, first), = run(pair, hand_program(), a=3)
    pcs = [r[0] for r in rows]
    # loop at 2 back to 1 (twice taken), its delay slots 3 and 4 each time; call at 5 with
    # slots 6, 7 (link 8); bz not taken (a = 3) still runs 10, 11; bnz taken runs 13, 14; ret
    # at 15 runs the slots 0 and 1 (the address wraps), then 8: halt
    assert pcs == [0, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15,
                   0, 1, 8]
    counters = [r[1] for r in rows]
    assert counters == [3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        3, 3, 3]
    links = [r[2] for r in rows]
    assert links == [0] * 13 + [8] * 13
    assert [r[3:] for r in rows] == [(1, 0)] * 25 + [(0, 1)]
    assert first == 3


def test_halt_ends_at_once_and_restart():
    pair = Pair(8, 8)
    prog = [("jump", 5), ("halt", 0), ("setl", 0), ("nop", 0), ("nop", 0), ("nop", 0),
            ("nop", 0), ("nop", 0)]
    runs = run(pair, prog, a=9, starts=2)
    for rows, first in runs:  # halt in the delay slot of a jump: the run ends after it
        assert [r[0] for r in rows] == [0, 1] and first == 3
        assert rows[-1][3:] == (0, 1)


def test_halt_delay_slots_do_not_run():
    (rows, _), = run(Pair(32, 4), [("halt", 0), ("setl", 0), ("setl", 0), ("nop", 0)], a=5)
    assert rows == [(0, 0, 0, 0, 1)]


def test_start_while_busy_is_ignored():
    prog = [("setl", 0), ("nop", 0), ("nop", 0), ("nop", 0), ("nop", 0), ("halt", 0),
            ("nop", 0), ("nop", 0)]
    (rows, _), = run(Pair(8, 8), prog, a=4, busy_start=True)
    assert [r[0] for r in rows] == [0, 1, 2, 3, 4, 5]
    assert all(r[1] == 4 for r in rows)


def reference(program, a, depth, width):
    """docs/cgra.md's ABU rules: (address, counter, link) after each executed row."""
    pc, counter, link, slots, target, out = 0, 0, 0, 0, None, []
    mask = (1 << width) - 1
    while True:
        op, dest = program[pc]
        transfer, taken = False, False
        if op == "setl":
            counter = a
        elif op in ("jump", "call", "ret", "bz", "bnz", "loop"):
            transfer = True
            if op == "call":
                link = (pc + 3) % depth
            if op == "ret":
                dest = link
            if op == "loop":
                counter = (counter - 1) & mask
            taken = {"bz": a == 0, "bnz": a != 0, "loop": counter != 0}.get(op, True)
        out.append((pc, counter, link))
        if op == "halt":
            return out
        assert not (transfer and slots), "the generator keeps transfers out of delay slots"
        if transfer:
            slots, target = 2, dest if taken else None
            pc = (pc + 1) % depth
        elif slots:
            slots -= 1
            if not slots and target is not None:
                pc, target = target, None
            else:
                pc = (pc + 1) % depth
        else:
            pc = (pc + 1) % depth
        assert len(out) < 300


def random_program(rng, depth):
    """Transfers at least 3 rows apart, one halt."""
    while True:
        prog, gap = [], 3
        for _ in range(depth):
            op = rng.choice(["nop", "nop", "setl", "jump", "call", "ret", "bz", "bnz", "loop"])
            if op in ("jump", "call", "ret", "bz", "bnz", "loop"):
                if gap < 3:
                    op = "nop"
                else:
                    gap = -1
            gap += 1
            prog.append((op, rng.randrange(depth)))
        prog[rng.randrange(depth)] = ("halt", 0)
        # none in the last two rows either, whose slots wrap around to rows 0 and 1
        if all(op in ("nop", "setl", "halt") for op, _ in prog[-2:]):
            yield prog


@pytest.mark.parametrize("depth,width", [(8, 8), (16, 32)])
def test_random_programs(depth, width):
    seed = SEED + depth
    rng = random.Random(seed)
    gen = random_program(rng, depth)
    checked = 0
    while checked < 8:
        prog, a = next(gen), rng.choice([0, 1, 2, 3])
        try:
            expected = reference(prog, a, depth, width)
        except AssertionError:
            continue  # no halt within 300 rows
        if len(expected) < 10:
            continue
        (rows, first), = run(Pair(width, depth), prog, a=a)
        assert [r[:3] for r in rows] == expected, f"seed {seed}, program {prog}, a={a}"
        assert first == 3
        checked += 1
