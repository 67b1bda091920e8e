# amaranth: UnusedElaboratable=no
"""LSU function unit (hw.cgra.LSU) in the Amaranth simulator.

Random streams of loads and stores of every size (addresses modulo the scratchpad, unaligned
ones aligned down, sign and zero extension, both destinations, unused opcodes and accesses
wider than ``W`` as nops) against a byte-array reference written from docs/cgra.md; the host
word port while idle (writes, reads one cycle after, old data on a same-cycle write, writes
ignored while not idle), and the load latency.
"""

import random
import re

import pytest
from amaranth.sim import Simulator

from hw.cgra import LSU
from sim_models.cgra.isa import OPCODES

SEED = 20260614
OPS = OPCODES["lsu"]
LOADS = {"ld8": (1, True), "ld16": (2, True), "ld32": (4, True), "ldu8": (1, False),
         "ldu16": (2, False)}
STORES = {"st8": 1, "st16": 2, "st32": 4}


def exactly(message):
    return "^" + re.escape(message) + "$"


class Reference:
    """The scratchpad and outputs as docs/cgra.md describes them."""

    def __init__(self, width, mem_bytes):
        self.w, self.mem, self.out = width, bytearray(mem_bytes), [0, 0]

    def step(self, op, dst, a, b):
        names = {v: k for k, v in OPS.items()}
        name = names.get(op, "nop")
        size = LOADS.get(name, (STORES.get(name, 0),))[0]
        if name == "nop" or 8 * size > self.w:
            return  # nop, or an access wider than W (a nop in hardware)
        addr = (a % len(self.mem)) & ~(size - 1)
        if name in STORES:
            self.mem[addr:addr + size] = (b & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
            return
        value = int.from_bytes(self.mem[addr:addr + size], "little")
        if LOADS[name][1] and value >> (8 * size - 1):
            value -= 1 << (8 * size)
        self.out[dst] = value & ((1 << self.w) - 1)

    def word(self, index):
        nb = self.w // 8
        return int.from_bytes(self.mem[nb * index:nb * (index + 1)], "little")


def simulate(dut, steps):
    """``steps``: dicts with ``op``, ``dst``, ``a``, ``b``, ``idle``, ``host_we``,
    ``host_addr``, ``host_wdata``; returns outputs and ``host_rdata`` after every edge."""
    seen = []

    async def bench(ctx):
        for s in steps:
            ctx.set(dut.instr, {"op": s.get("op", 0), "dst": s.get("dst", 0)})
            ctx.set(dut.in0, s.get("a", 0))
            ctx.set(dut.in1, s.get("b", 0))
            ctx.set(dut.idle, s.get("idle", 0))
            ctx.set(dut.host_we, s.get("host_we", 0))
            ctx.set(dut.host_addr, s.get("host_addr", 0))
            ctx.set(dut.host_wdata, s.get("host_wdata", 0))
            ctx.set(dut.clear, s.get("clear", 0))
            await ctx.tick()
            seen.append((ctx.get(dut.out0), ctx.get(dut.out1), ctx.get(dut.host_rdata)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen


@pytest.mark.parametrize("width,mem_bytes", [(8, 16), (16, 64), (32, 32), (32, 256)])
def test_random_stream(width, mem_bytes):
    seed = SEED + width + mem_bytes
    rng = random.Random(seed)
    ref = Reference(width, mem_bytes)
    nb = width // 8
    # preload through the host port, then a random program (addresses beyond the size wrap)
    steps = [{"idle": 1, "host_we": 1, "host_addr": i, "host_wdata": rng.randrange(1 << width)}
             for i in range(mem_bytes // nb)]
    for s in steps:
        ref.mem[nb * s["host_addr"]:nb * (s["host_addr"] + 1)] = \
            s["host_wdata"].to_bytes(nb, "little")
    program = []
    for _ in range(500):
        op = rng.choice([*OPS.values(), *OPS.values(), 0, 9, 12, 15])
        a = rng.randrange(4 * mem_bytes) if rng.random() < 0.8 else rng.randrange(1 << width)
        program.append({"op": op, "dst": rng.randrange(2), "a": a, "b": rng.randrange(1 << width),
                        "idle": 0,
                        # host writes while running are ignored
                        "host_we": int(rng.random() < 0.1), "host_addr": rng.randrange(4),
                        "host_wdata": rng.randrange(1 << width)})
    reads = [{"idle": 1, "host_addr": i} for i in range(mem_bytes // nb)]
    seen = simulate(LSU(width, mem_bytes), steps + program + reads)[len(steps):]
    for n, s in enumerate(program):
        ref.step(s["op"], s["dst"], s["a"], s["b"])
        assert seen[n][:2] == tuple(ref.out), (
            f"seed {seed}, W={width}, step {n}: op {s['op']} a={s['a']:#x} b={s['b']:#x} "
            f"dst {s['dst']}: got {seen[n][:2]}, expected {ref.out}")
    # everything read back through the host port (one cycle after each address)
    back = [rdata for _, _, rdata in seen[len(program):]]
    assert back == [ref.word(i) for i in range(mem_bytes // nb)], f"seed {seed}"


def test_hand_cases_w32():
    # memory word 0 = 0x8899aabb: bytes bb aa 99 88 at byte addresses 0..3
    steps = [
        {"idle": 1, "host_we": 1, "host_addr": 0, "host_wdata": 0x8899AABB},
        {"op": OPS["ld8"], "a": 3},                      # 0x88 sign-extended
        {"op": OPS["ldu8"], "a": 2, "dst": 1},           # 0x99
        {"op": OPS["ld16"], "a": 1},                     # aligned down to 0: 0xaabb
        {"op": OPS["ldu16"], "a": 3, "dst": 1},          # address 2: 0x8899
        {"op": OPS["ld32"], "a": 0x1000 + 2},            # modulo 256, aligned: the word
        {"op": OPS["st8"], "a": 1, "b": 0x12345677},     # byte 1 <- 0x77
        {"op": OPS["st16"], "a": 2, "b": 0xFFFF0102},    # bytes 2, 3 <- 02 01
        {"op": OPS["ld32"], "a": 0, "dst": 1},
        {"op": OPS["st32"], "a": 4, "b": 0xCAFEF00D},
        {"op": OPS["ld16"], "a": 6},                     # 0xcafe sign-extended
    ]
    seen = simulate(LSU(32, 256), steps)
    outs = [s[:2] for s in seen]
    assert outs[1] == (0xFFFFFF88, 0)
    assert outs[2] == (0xFFFFFF88, 0x99)
    assert outs[3] == (0xFFFFAABB, 0x99)
    assert outs[4] == (0xFFFFAABB, 0x8899)
    assert outs[5] == (0x8899AABB, 0x8899)
    assert outs[8] == (0x8899AABB, 0x010277BB)
    assert outs[10] == (0xFFFFCAFE, 0x010277BB)


def test_host_port_timing_and_same_cycle_write():
    steps = [
        {"idle": 1, "host_we": 1, "host_addr": 5, "host_wdata": 0x1111},
        {"idle": 1, "host_we": 1, "host_addr": 5, "host_wdata": 0x2222},  # reads the old word
        {"idle": 1, "host_addr": 5},
        {"idle": 1, "host_addr": 6},
        {"idle": 0, "host_we": 1, "host_addr": 5, "host_wdata": 0x3333},  # ignored: not idle
        {"idle": 1, "host_addr": 5},
    ]
    seen = [rdata for _, _, rdata in simulate(LSU(16, 64), steps)]
    assert seen[1] == 0x1111 and seen[2] == 0x2222 and seen[3] == 0 and seen[5] == 0x2222


def test_load_latency_and_clear():
    # the loaded value appears after exactly one edge and is kept; clear zeroes both outputs
    steps = [
        {"idle": 1, "host_we": 1, "host_addr": 1, "host_wdata": 0xAB},
        {"op": OPS["ldu8"], "a": 1, "dst": 1},
        {},
        {"op": OPS["st8"], "a": 1, "b": 0xCD},
        {},
        {"clear": 1},
        {"op": OPS["ldu8"], "a": 1},
    ]
    outs = [s[:2] for s in simulate(LSU(8, 16), steps)]
    assert outs[0] == (0, 0)
    assert outs[1:5] == [(0, 0xAB)] * 4
    assert outs[5] == (0, 0)
    assert outs[6] == (0xCD, 0)


def test_parameter_checks():
    with pytest.raises(ValueError, match=exactly(
            "Memory bytes must be an integer between 16 and 65536, not 8")):
        LSU(32, 8)
    with pytest.raises(ValueError, match=exactly("Memory bytes must be a power of two, not 48")):
        LSU(32, 48)
    lsu = LSU(16, 4096)
    assert (lsu.depth, lsu.addr_bits, lsu.mem_bytes) == (2048, 11, 4096)
