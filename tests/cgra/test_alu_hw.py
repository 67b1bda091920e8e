# amaranth: UnusedElaboratable=no
"""ALU and IU function units (hw.cgra.ALU, hw.cgra.IU) in the Amaranth simulator.

Random instruction streams (every opcode including the unused ones, both destinations,
corner and random operands) at every data width, against ``sim_models.cgra.model.alu`` (the
golden model's ALU) with outputs that keep their value when not written; the latency (result
after exactly one edge), ``clear`` and parameter checks.
"""

import random
import re

import pytest
from amaranth.sim import Simulator

from hw.cgra import ALU, IU
from sim_models.cgra.isa import OPCODES
from sim_models.cgra.model import alu as alu_ref

SEED = 20260612
ALU_NAMES = {v: k for k, v in OPCODES["alu"].items()}


def exactly(message):
    return "^" + re.escape(message) + "$"


def operand(rng, width):
    mask = (1 << width) - 1
    corners = [0, 1, 2, mask, mask - 1, 1 << (width - 1), (1 << (width - 1)) - 1, 0x10 & mask]
    return rng.choice(corners) if rng.random() < 0.3 else rng.randrange(1 << width)


def run_unit(dut, steps, extra=None):
    """Apply ``steps`` (dicts: ``instr``, ``in0``, ``in1``, optional ``clear``), one per cycle;
    returns ``(out0, out1)`` before each step's edge and after it."""
    before, after = [], []

    async def bench(ctx):
        for step in steps:
            ctx.set(dut.instr, step["instr"])
            ctx.set(dut.in0, step.get("in0", 0))
            ctx.set(dut.in1, step.get("in1", 0))
            ctx.set(dut.clear, step.get("clear", 0))
            before.append((ctx.get(dut.out0), ctx.get(dut.out1)))
            await ctx.tick()
            after.append((ctx.get(dut.out0), ctx.get(dut.out1)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return before, after


@pytest.mark.parametrize("width", [8, 16, 32])
def test_alu_random_stream(width):
    rng = random.Random(SEED + width)
    steps = []
    for _ in range(600):
        op = rng.randrange(32)
        steps.append({"instr": {"op": op, "dst": rng.randrange(2), "sel0": rng.randrange(4),
                                "sel1": rng.randrange(4)},
                      "in0": operand(rng, width), "in1": operand(rng, width),
                      "clear": int(rng.random() < 0.02)})
    before, after = run_unit(ALU(width), steps)
    out = [0, 0]
    for n, step in enumerate(steps):
        assert before[n] == tuple(out), f"seed {SEED + width}, step {n}: output changed early"
        op, dst = step["instr"]["op"], step["instr"]["dst"]
        if step["clear"]:
            out = [0, 0]
        elif op in ALU_NAMES and op:
            out[dst] = alu_ref(ALU_NAMES[op], step["in0"], step["in1"], width)
        assert after[n] == tuple(out), (f"seed {SEED + width}, step {n}: op {op} "
                                        f"({ALU_NAMES.get(op, 'unused')}) a={step['in0']:#x} "
                                        f"b={step['in1']:#x}: got {after[n]}, expected {out}")


def test_alu_every_operation_hand_values():
    # values from the definitions in docs/cgra.md, W = 8
    a, b = 0x96, 0x35  # a = -106 signed
    expected = {
        "add": 0xCB, "sub": 0x61, "and": 0x14, "ior": 0xB7, "xor": 0xA3, "not": 0x69,
        "eq": 0, "ne": 1, "lt": 1, "ltu": 0, "gt": 0, "gtu": 1, "ge": 0, "geu": 1,
        "shl1": 0x2C, "shl4": 0x60, "shr1": 0xCB, "shr4": 0xF9, "shru1": 0x4B, "shru4": 0x09,
        "pass": 0x96,
    }
    steps = [{"instr": {"op": OPCODES["alu"][name]}, "in0": a, "in1": b} for name in expected]
    _, after = run_unit(ALU(8), steps)
    for (name, value), (out0, _) in zip(expected.items(), after, strict=True):
        assert out0 == value, f"{name}: {out0:#x}, expected {value:#x}"


@pytest.mark.parametrize("width", [8, 32])
def test_iu(width):
    rng = random.Random(SEED + 100 + width)
    steps = [{"instr": {"op": rng.randrange(2), "dst": rng.randrange(2),
                        "imm": rng.randrange(1 << width)},
              "clear": int(rng.random() < 0.05)} for _ in range(200)]
    _, after = run_unit(IU(width), steps)
    out = [0, 0]
    for n, step in enumerate(steps):
        ins = step["instr"]
        if step["clear"]:
            out = [0, 0]
        elif ins["op"]:
            out[ins["dst"]] = ins["imm"]
        assert after[n] == tuple(out), f"seed {SEED + 100 + width}, step {n}"


def test_instruction_layouts():
    assert ALU(8).instruction_width == 10
    assert IU(16).instruction_width == 18
    assert [(name, f.width) for name, f in ALU(32).instruction_layout] == \
        [("sel0", 2), ("sel1", 2), ("dst", 1), ("op", 5)]


@pytest.mark.parametrize("cls", [ALU, IU])
def test_width_checks(cls):
    with pytest.raises(ValueError, match=exactly("Data width must be 8, 16 or 32, not 12")):
        cls(12)
    with pytest.raises(TypeError, match=exactly("Data width must be 8, 16 or 32, not True")):
        cls(True)
