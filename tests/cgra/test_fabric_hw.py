# amaranth: UnusedElaboratable=no
"""The whole CGRA (hw.cgra.CGRA) in the Amaranth simulator against the golden model.

Every run goes through the top-level ports only: the configuration through the scan chain,
the programs through ``imem_*``, scratchpad data through the host port; the executed rows
(``exec_valid``, ``exec_pc``, ``fu_out``) are compared row by row with
``sim_models.cgra.model.CGRAModel`` and the scratchpads read back through the host port with
the model's final memories. Programs are hand-encoded with ``sim_models.cgra.isa`` and
``sim_models.cgra.config``; mesh routes are set by hand (switchbox fields).
"""

import random
import re
import time

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.sim import Simulator

from hw.cgra import CGRA
from sim_models.cgra import config, isa
from sim_models.cgra.fabric import Fabric
from sim_models.cgra.model import CGRAModel

SEED = 20260611


def exactly(message):
    return "^" + re.escape(message) + "$"


# -- programs


class Program:
    """Hand-assembled program: rows of per-ID words and the input slots they use.

    ``op(row, id, op, a, b, dst, **fields)`` puts an instruction into row ``row`` of ID ``id``;
    ``a`` / ``b`` are sources ``"fu.outP"`` (or a list, one per SIMD lane); each source gets a
    slot of the lane's input (first use first) and the instruction's ``sel`` points at it.
    On a crossbar the slots are configured directly; on a mesh ``route`` gives the slot value
    (and the caller adds the switchbox fields to :attr:`values`).
    """

    def __init__(self, fabric, route=None):
        self.fab = fabric
        self.rows = {}
        self.slots = {}
        self.values = {}
        self.route = route

    def _sel(self, fus, i, source):
        lanes = [source] * len(fus) if isinstance(source, str) else list(source)
        lists = [self.slots.setdefault((fu, i), []) for fu in fus]
        found = {lst.index(s) if s in lst else None for lst, s in zip(lists, lanes, strict=True)}
        if len(found) == 1 and None not in found:
            return found.pop()
        k = max(len(lst) for lst in lists)
        for lst, s in zip(lists, lanes, strict=True):
            lst.extend([None] * (k - len(lst)))
            lst.append(s)
        assert k < 4, f"more than 4 sources on an input of {fus}"
        return k

    def op(self, row, ident, op, a=None, b=None, dst=0, **fields):
        spec = self.fab.id(ident)
        words = {"op": op, **fields} if op is not None else dict(fields)
        if spec.type not in ("iu", "rf"):
            words.setdefault("op", op)
        if spec.type in ("alu", "mul", "lsu", "rf", "iu"):
            words["dst"] = dst
        if a is not None:
            words["sel0"] = self._sel(spec.fus, 0, a)
        if b is not None:
            words["sel1"] = self._sel(spec.fus, 1, b)
        self.rows.setdefault(row, {})[ident] = isa.encode(spec.type, self.fab, **words)

    def config_values(self):
        values = dict(self.values)
        for (fu, i), sources in self.slots.items():
            for k, s in enumerate(sources):
                if s is None:
                    continue
                if self.route is None:
                    name, port = s.split(".")
                    value = 1 + 2 * self.fab.fu_index(name) + int(port[-1])
                else:
                    value = self.route(fu, i, s)
                values[f"in.{fu}.{i}.{k}"] = value
        for fu in self.fab.fus:
            if len(self.fab.ids_of_type(fu.type)) > 1:
                values[f"ctrl.{fu.name}"] = [d.name for d in self.fab.ids_of_type(fu.type)] \
                    .index(self.fab.id_of(fu.name).name)
        return values

    def config(self):
        return config.encode(self.fab, self.config_values())

    def imems(self):
        n = max(self.rows) + 1
        out = {}
        for spec in self.fab.ids:
            words = [self.rows.get(r, {}).get(spec.name, 0) for r in range(n)]
            if any(words):
                out[spec.name] = words
        return out


def memory_words(data, width):
    """Little-endian ``width``-bit words of a byte image."""
    nb = width // 8
    data = bytes(data) + bytes(-len(data) % nb)
    return [int.from_bytes(data[i:i + nb], "little") for i in range(0, len(data), nb)]


# -- the simulation


def run_hw(fab, bits, imems, memories=None, *, max_cycles=300, readback=True, dut=None,
           starts=1, between=None):
    """Load and run on the hardware; returns a dict with the rows of every run, the first
    ``exec_valid`` edge after each start edge, busy/done observations and the memories."""
    dut = dut or CGRA(fab.to_dict())
    lsus = [f for f in fab.fus if f.type == "lsu"]
    res = {"runs": [], "latency": [], "memories": {}, "busy_ignored": True}

    async def bench(ctx):
        ctx.set(dut.cfg_shift, 1)
        for bit in config.scan_bits(fab, bits):
            ctx.set(dut.cfg_in, bit)
            await ctx.tick()
        ctx.set(dut.cfg_shift, 0)
        for name, words in imems.items():
            for addr, word in enumerate(words):
                ctx.set(dut.imem_we, 1)
                ctx.set(dut.imem_id, fab.id(name).index)
                ctx.set(dut.imem_addr, addr)
                ctx.set(dut.imem_data, word)
                await ctx.tick()
        ctx.set(dut.imem_we, 0)
        for name, data in (memories or {}).items():
            j = [f.name for f in lsus].index(name)
            for addr, word in enumerate(memory_words(data, fab.width)):
                ctx.set(dut.mem_we, 1)
                ctx.set(dut.mem_lsu, j)
                ctx.set(dut.mem_addr, addr)
                ctx.set(dut.mem_wdata, word)
                await ctx.tick()
        ctx.set(dut.mem_we, 0)
        for run in range(starts):
            if between is not None and run:
                await between(ctx, dut)
            ctx.set(dut.start, 1)
            await ctx.tick()  # the start edge E0
            ctx.set(dut.start, 0)
            rows, edge, first = [], 0, None
            while True:
                edge += 1
                await ctx.tick()
                if edge == 1:  # start while busy: ignored
                    ctx.set(dut.start, 1)
                if edge == 2:
                    ctx.set(dut.start, 0)
                if ctx.get(dut.exec_valid):
                    first = edge if first is None else first
                    outs = [ctx.get(dut.fu_out[i]) for i in range(2 * len(fab.fus))]
                    rows.append((ctx.get(dut.exec_pc), outs, ctx.get(dut.busy),
                                 ctx.get(dut.done)))
                elif first is not None:
                    res["busy_ignored"] &= rows[-1][3] == 1
                    break
                assert edge < max_cycles + 10, "no halt"
            res["runs"].append(rows)
            res["latency"].append(first)
        if readback:
            for j, f in enumerate(lsus):
                words = []
                ctx.set(dut.mem_lsu, j)
                for addr in range(f.params["mem_bytes"] * 8 // fab.width):
                    ctx.set(dut.mem_addr, addr)
                    await ctx.tick()
                    words.append(ctx.get(dut.mem_rdata))
                nb = fab.width // 8
                res["memories"][f.name] = np.frombuffer(
                    b"".join(w.to_bytes(nb, "little") for w in words), dtype=np.uint8)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return res


def compare(fab, rows, trace, what):
    """Rows of one hardware run against the model's trace."""
    assert len(rows) == trace.cycles, f"{what}: {len(rows)} rows, model {trace.cycles}"
    for k, (pc, outs, busy, done) in enumerate(rows):
        assert pc == trace.pc[k], f"{what}: row {k} at address {pc}, model {trace.pc[k]}"
        expected = [int(v) for v in trace.outputs[k].reshape(-1)]
        for i, (got, exp) in enumerate(zip(outs, expected, strict=True)):
            assert got == exp, (f"{what}: row {k} (address {pc}): {fab.fus[i // 2].name}.out"
                                f"{i % 2} = {got:#x}, model {exp:#x}")
        last = k == len(rows) - 1
        assert (busy, done) == ((0, 1) if last else (1, 0)), f"{what}: row {k} busy/done"


# -- programs for "small" (crossbar)


def small_program(fab, rng):
    """Every FU type: immediates, an ALU accumulation in a counted loop (delay slots doing
    work), MUL, stores and loads of every size, RF read/write, call/ret, bz/bnz, SIMD lanes."""
    p = Program(fab)
    v = [rng.randrange(1 << 32) for _ in range(4)]
    p.op(0, "c_iu0", "imm", imm=3)                                  # iu0.out0 = 3 (count)
    p.op(0, "c_iu1", "imm", imm=v[0])                               # iu1.out0 = random
    p.op(1, "c_iu0", "imm", imm=4, dst=1)                           # iu0.out1 = 4 (stride)
    p.op(1, "c_iu1", "imm", imm=v[1], dst=1)                        # iu1.out1 = random
    p.op(1, "c_abu", "setl", a="iu0.out0")                          # counter = 3
    # loop body at 2..4: 4 is the loop instruction, 5 and 6 its delay slots
    p.op(2, "c_alu0", "add", a="alu0.out0", b="iu1.out0")           # acc += v0
    p.op(2, "c_mul01", "mul", a=["alu0.out0", "iu1.out1"], b=["iu1.out1", "alu0.out0"])
    p.op(3, "c_lsu0", "st32", a="alu1.out0", b="alu0.out0")         # mem[addr] = acc
    p.op(3, "c_alu1", "add", a="alu1.out0", b="iu0.out1")           # addr += 4
    p.op(4, "c_abu", "loop", target=2)
    p.op(4, "c_rf", None, a="mul0.out0", wr=1, waddr=5, rd=1, raddr=5)  # rw r5, r5, mul0
    p.op(5, "c_alu23", "xor", a=["alu0.out0", "mul1.out0"], b="iu1.out0", dst=1)
    p.op(5, "c_lsu1", "st16", a="iu0.out1", b="mul0.out0")
    p.op(6, "c_lsu1", "st8", a="iu0.out0", b="alu0.out0")
    # after the loop (the counter is 0): loads of every kind, then call/ret, bz/bnz
    p.op(7, "c_lsu0", "ld32", a="iu0.out1")
    p.op(7, "c_lsu1", "ld16", a="iu0.out1", dst=1)
    p.op(8, "c_lsu1", "ldu16", a="iu0.out1")
    p.op(8, "c_lsu0", "ld8", a="iu0.out0", dst=1)
    p.op(8, "c_abu", "call", target=20)
    p.op(9, "c_lsu1", "ld8", a="iu0.out0", dst=1)
    p.op(9, "c_alu0", "lt", a="lsu0.out0", b="lsu1.out1")
    p.op(10, "c_lsu0", "ldu8", a="iu0.out0", dst=1)
    p.op(10, "c_alu1", "shr4", a="lsu1.out1", dst=1)
    p.op(11, "c_abu", "bz", a="abu0.out0", target=14)               # counter == 0: taken
    p.op(11, "c_rf", None, rd=1, raddr=5, dst=1)
    p.op(12, "c_alu0", "sub", a="rf0.out1", b="iu1.out1")
    p.op(13, "c_alu1", "gtu", a="rf0.out1", b="iu1.out1")
    p.op(13, "c_alu23", "not", a=["alu3.out1", "alu2.out1"], dst=1)
    p.op(14, "c_abu", "bnz", a="abu0.out0", target=0)               # not taken
    p.op(14, "c_iu0", "imm", imm=v[2])
    p.op(15, "c_alu0", "shru1", a="iu0.out0")
    p.op(16, "c_alu1", "shl4", a="iu0.out0")
    p.op(17, "c_abu", "halt")
    p.op(18, "c_alu0", "pass", a="iu0.out0")                        # after halt: not run
    # subroutine
    p.op(20, "c_alu23", "ge", a=["alu2.out1", "alu3.out1"], b="iu1.out1")
    p.op(20, "c_abu", "ret")
    p.op(21, "c_alu1", "eq", a="alu1.out0", b="alu1.out0")
    p.op(22, "c_mul01", "mul", a="iu1.out0", b="iu1.out1", dst=1)
    return p


@pytest.fixture(scope="module")
def small():
    return Fabric.builtin("small")


def test_small_program_against_model(small):
    rng = random.Random(SEED)
    p = small_program(small, rng)
    bits, imems = p.config(), p.imems()
    data = {"lsu0": bytes(rng.randrange(256) for _ in range(64)),
            "lsu1": bytes(rng.randrange(256) for _ in range(32))}
    model = CGRAModel(small)
    trace = model.run(bits, imems, data)
    # a second start: outputs, counter and link cleared; scratchpads and registers kept
    again = model.run(bits, imems, trace.memories, trace.registers)
    res = run_hw(small, bits, imems, data, starts=2)
    compare(small, res["runs"][0], trace, f"seed {SEED}, first run")
    compare(small, res["runs"][1], again, f"seed {SEED}, second run")
    assert res["latency"] == [3, 3], f"seed {SEED}: first exec_valid after edges {res['latency']}"
    assert res["busy_ignored"]
    for name, mem in again.memories.items():
        assert np.array_equal(res["memories"][name], mem), f"seed {SEED}: scratchpad {name}"


# -- "default" (5 x 5 mesh, Wilton switchboxes): hand-routed nets

_STEP = {"N": (0, -1), "E": (1, 0), "S": (0, 1), "W": (-1, 0)}


class Mesh:
    """Routes nets by hand: ``net(src, sink, input, path, track)`` walks ``path`` (sides) from
    the source FU's cell, setting switchbox fields (``config.tin`` gives the track after a
    turn), and records the slot value of the sink's input."""

    def __init__(self, fab):
        self.fab = fab
        self.values = {}
        self.slot = {}

    def _set(self, name, value):
        assert self.values.get(name, value) == value, f"wire {name} used by two nets"
        self.values[name] = value

    def net(self, source, sink, i, path, track=0):
        fab = self.fab
        T, kind = fab.network["tracks"], fab.network["switchbox"]
        name, port = source.split(".")
        x, y = fab.cell_of(name)
        if not path:
            assert fab.cell_of(sink) == (x, y)
            self.slot[sink, i, source] = 4 * T + 1 + int(port[-1])
            return
        in_side = t = None
        for side in path:
            s = config.SIDES.index(side)
            if in_side is None:
                t_out = track
                self._set(f"sb.{x}.{y}.{side}.{t_out}", 4 + int(port[-1]))
            else:
                t_out = next(u for u in range(T) if config.tin(kind, in_side, s, u, T) == t)
                self._set(f"sb.{x}.{y}.{side}.{t_out}", (in_side - s) % 4)
            dx, dy = _STEP[side]
            x, y, in_side, t = x + dx, y + dy, (s + 2) % 4, t_out
        assert fab.cell_of(sink) == (x, y), f"path ends at {(x, y)}, not at {sink}"
        self.slot[sink, i, source] = 1 + T * in_side + t

    def route(self, fu, i, source):
        return self.slot[fu, i, source]


def mesh_program(fab, rng):
    m = Mesh(fab)
    m.net("iu0.out0", "alu0", 0, ["N"])
    m.net("alu0.out0", "alu0", 0, [])
    m.net("iu1.out0", "alu0", 1, ["W", "W", "N"], track=1)       # turns at (1, 1)
    m.net("iu0.out0", "abu0", 0, ["S", "E", "S"], track=2)       # two turns
    m.net("iu0.out0", "lsu0", 0, ["E"], track=3)
    m.net("iu1.out0", "lsu0", 1, ["W"], track=1)                  # fans out at (2, 1)
    m.net("iu1.out0", "mul4", 0, ["E", "S", "S", "S"], track=0)
    m.net("iu1.out1", "mul4", 1, ["E", "S", "S", "S"], track=2)
    m.net("iu0.out0", "mul7", 0, ["W", "S"], track=0)
    m.net("iu0.out1", "mul7", 1, ["W", "S"], track=1)
    m.net("alu0.out0", "mul0", 0, ["W"])
    m.net("alu0.out0", "mul0", 1, ["W"])
    m.net("alu0.out0", "mul1", 0, ["E"])
    m.net("alu0.out0", "mul1", 1, ["E"])
    p = Program(fab, route=m.route)
    p.values = m.values
    # operands of 13 bits (signed), so that the low 32 bits of the DRUM product are not 0
    imm = [rng.randrange(-4096, 4096) for _ in range(3)]
    p.op(0, "c_iu0", "imm", imm=2)
    p.op(0, "c_iu1", "imm", imm=imm[0])
    p.op(1, "c_iu0", "imm", imm=imm[1], dst=1)
    p.op(1, "c_iu1", "imm", imm=imm[2], dst=1)
    p.op(2, "c_alu0", "add", a="iu0.out0", b="iu1.out0")
    p.op(2, "c_abu", "setl", a="iu0.out0")
    p.op(2, "c_lsu0", "st32", a="iu0.out0", b="iu1.out0")
    p.op(3, "c_alu0", "add", a="alu0.out0", b="iu1.out0")
    p.op(3, "c_mul45", "mul", a=["iu1.out0", None], b=["iu1.out1", None])
    p.op(3, "c_mul67", "mul", a=[None, "iu0.out0"], b=[None, "iu0.out1"], dst=1)
    p.op(4, "c_abu", "loop", target=3)
    p.op(4, "c_mul01", "mul", a=["alu0.out0"] * 2, b=["alu0.out0"] * 2)
    p.op(5, "c_lsu0", "ld16", a="iu0.out0", dst=1)
    p.op(6, "c_lsu0", "ldu8", a="iu0.out0")
    p.op(7, "c_abu", "halt")
    return p


def test_default_mesh_program_against_model():
    fab = Fabric.builtin("default")
    rng = random.Random(SEED + 1)
    p = mesh_program(fab, rng)
    bits, imems = p.config(), p.imems()
    trace = CGRAModel(fab).run(bits, imems)
    t = time.perf_counter()
    res = run_hw(fab, bits, imems, readback=False)
    print(f"default mesh simulation: {time.perf_counter() - t:.1f} s")
    compare(fab, res["runs"][0], trace, f"seed {SEED + 1}")
    assert res["latency"] == [3]
    # the approximate tiles computed something other than the exact product
    outs = [[int(v) for v in row] for row in trace.outputs[-1]]
    ius = trace.outputs[-1][fab.fu_index("iu0")], trace.outputs[-1][fab.fu_index("iu1")]
    exact = [(_signed(int(u[0])) * _signed(int(u[1]))) & 0xFFFF_FFFF for u in ius]
    assert outs[fab.fu_index("mul4")][0] not in (0, exact[1]), f"seed {SEED + 1}"
    assert outs[fab.fu_index("mul7")][1] not in (0, exact[0]), f"seed {SEED + 1}"


def _signed(v, width=32):
    return v - (1 << width) if v >> (width - 1) else v


# -- narrow fabrics (W = 8, 16), approximate multipliers on a crossbar


def narrow_fabric(width, kind, params):
    fus = [{"name": "abu0", "type": "abu"}, {"name": "iu0", "type": "iu"},
           {"name": "lsu0", "type": "lsu", "mem_bytes": 16}, {"name": "alu0", "type": "alu"},
           {"name": "mul0", "type": "mul", "kind": kind, **params}, {"name": "rf0", "type": "rf"}]
    return Fabric.from_dict({
        "name": f"narrow{width}", "width": width, "imem_depth": 16,
        "network": {"kind": "crossbar"}, "fu": fus,
        "id": [{"name": f"c_{f['name']}", "fus": [f["name"]]} for f in fus]})


@pytest.mark.parametrize("width,kind,params", [(8, "roup", {"p": 1, "r": 2}),
                                               (16, "drum", {"k": 4})])
def test_narrow_fabric_against_model(width, kind, params):
    fab = narrow_fabric(width, kind, params)
    seed = SEED + width
    rng = random.Random(seed)
    p = Program(fab)
    mask = (1 << width) - 1
    p.op(0, "c_iu0", "imm", imm=rng.randrange(1 << width))
    p.op(1, "c_iu0", "imm", imm=3, dst=1)
    p.op(1, "c_alu0", "pass", a="iu0.out0")
    p.op(2, "c_abu0", "setl", a="iu0.out1")
    p.op(2, "c_mul0", "mul", a="iu0.out0", b="alu0.out0")
    p.op(3, "c_lsu0", "st16" if width >= 16 else "st8", a="alu0.out0", b="mul0.out0")
    p.op(3, "c_alu0", "add", a="alu0.out0", b="iu0.out1")
    p.op(4, "c_mul0", "mul", a="mul0.out0", b="alu0.out0", dst=1)
    p.op(4, "c_rf0", None, a="mul0.out1", wr=1, waddr=2)
    p.op(5, "c_abu0", "loop", target=3)
    p.op(5, "c_lsu0", "ld8", a="alu0.out0", dst=1)
    p.op(6, "c_rf0", None, rd=1, raddr=2)
    p.op(7, "c_lsu0", "ld16" if width >= 16 else "ldu8", a="iu0.out1")
    p.op(8, "c_abu0", "halt")
    bits, imems = p.config(), p.imems()
    data = {"lsu0": bytes(rng.randrange(256) for _ in range(16))}
    trace = CGRAModel(fab).run(bits, imems, data)
    res = run_hw(fab, bits, imems, data)
    compare(fab, res["runs"][0], trace, f"seed {seed}, W={width}")
    assert np.array_equal(res["memories"]["lsu0"], trace.memories["lsu0"]), f"seed {seed}"
    assert int(trace.outputs[-1].max()) <= mask


# -- host memory port, scan chain, instruction memories


def test_host_port_selects_lsu_and_reads_one_cycle_after(small):
    dut = CGRA(small.to_dict())
    seen = []

    async def bench(ctx):
        for lsu, addr, word in [(0, 3, 0xAAAA0003), (1, 3, 0xBBBB0003), (1, 64 + 4, 0x44)]:
            ctx.set(dut.mem_we, 1)
            ctx.set(dut.mem_lsu, lsu)
            ctx.set(dut.mem_addr, addr)
            ctx.set(dut.mem_wdata, word)
            await ctx.tick()
        ctx.set(dut.mem_we, 0)
        for lsu, addr in [(0, 3), (1, 3), (0, 4), (1, 4)]:
            ctx.set(dut.mem_lsu, lsu)
            ctx.set(dut.mem_addr, addr)
            await ctx.tick()
            seen.append(ctx.get(dut.mem_rdata))
            ctx.set(dut.mem_lsu, 1 - lsu)  # changing the inputs after the edge changes nothing
            seen.append(ctx.get(dut.mem_rdata))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    # 256-byte scratchpads: 64 words, so word 68 of lsu1 is word 4
    assert seen == [0xAAAA0003] * 2 + [0xBBBB0003] * 2 + [0, 0] + [0x44] * 2


def test_config_layout_matches_the_configuration_module():
    for name in ("small", "default"):
        fab = Fabric.builtin(name)
        dut = CGRA(fab.to_dict())
        assert dut.config_layout == [tuple(f) for f in config.layout(fab)], name
        assert dut.config_length == config.length(fab)
        assert dut.instruction_width == isa.max_width(fab)


def test_config_layout_by_hand():
    # crossbar, 4 FUs: ctrl of the two ALUs (2 IDs of type alu: 1 bit), slots clog2(9) = 4 bits
    tiny = {"name": "tiny", "width": 8, "imem_depth": 4, "network": {"kind": "crossbar"},
            "fu": [{"name": "abu0", "type": "abu"}, {"name": "iu0", "type": "iu"},
                   {"name": "alu0", "type": "alu"}, {"name": "alu1", "type": "alu"}],
            "id": [{"name": "c_abu", "fus": ["abu0"]}, {"name": "c_iu", "fus": ["iu0"]},
                   {"name": "c_a", "fus": ["alu0"]}, {"name": "c_b", "fus": ["alu1"]}]}
    expected = [("ctrl.alu0", 0, 1), ("ctrl.alu1", 1, 1)]
    offset = 2
    for fu in ("abu0", "alu0", "alu1"):
        for i in (0, 1):
            for k in range(4):
                expected.append((f"in.{fu}.{i}.{k}", offset, 4))
                offset += 4
    assert CGRA(tiny).config_layout == expected
    # 2 x 1 mesh, 1 track: slots clog2(4 + 3) = 3 bits; one switchbox side per cell
    mesh = {"name": "tinymesh", "width": 8, "imem_depth": 4,
            "network": {"kind": "mesh", "cols": 2, "rows": 1, "tracks": 1,
                        "switchbox": "disjoint"},
            "fu": [{"name": "abu0", "type": "abu", "at": [0, 0]},
                   {"name": "alu0", "type": "alu", "at": [1, 0]}],
            "id": [{"name": "c_abu", "fus": ["abu0"]}, {"name": "c_alu", "fus": ["alu0"]}]}
    expected = [(f"in.{fu}.{i}.{k}", 24 * j + 12 * i + 3 * k, 3)
                for j, fu in enumerate(("abu0", "alu0")) for i in (0, 1) for k in range(4)]
    expected += [("sb.0.0.E.0", 48, 3), ("sb.1.0.W.0", 51, 3)]
    dut = CGRA(mesh)
    assert dut.config_layout == expected and dut.config_length == 54
    assert dut.instruction_width == 10 and dut.pc_bits == 2


# -- fabric validation


@pytest.mark.parametrize("change,error,message", [
    (lambda d: d.update(width=12), ValueError, "Data width must be 8, 16 or 32, not 12"),
    (lambda d: d.update(imem_depth=48), ValueError,
     "Instruction memory depth (imem_depth) must be a power of two between 4 and 1024, not 48"),
    (lambda d: d["network"].update(kind="torus"), ValueError,
     "Network kind must be 'crossbar' or 'mesh', not 'torus'"),
    (lambda d: d["fu"].append({"name": "abu1", "type": "abu"}), ValueError,
     "A fabric must have exactly one FU of type 'abu', found 2"),
    (lambda d: d["id"][1]["fus"].append("abu0"), ValueError,
     "FU 'abu0' is on two IDs: 'c_abu' and 'c_iu0'"),
    (lambda d: d["id"].pop(), ValueError, "FU 'alu2' is not on any ID"),
    (lambda d: d["id"][-1]["fus"].append("mul1"), ValueError,
     "FU 'mul1' is on two IDs: 'c_mul01' and 'c_alu23'"),
    (lambda d: d["fu"][3].update(mem_bytes=100), ValueError,
     "FU 'lsu0': Memory bytes must be a power of two, not 100"),
    (lambda d: d["fu"][6].update(kind="drum", k=40), ValueError,
     "FU 'mul0': K must be an integer between 3 and 31 (width - 1), not 40"),
    (lambda d: d["fu"][6].update(kind="wallace"), ValueError,
     "FU 'mul0': MUL kind must be 'exact', 'drum' or 'roup', not 'wallace'"),
    (lambda d: d.pop("fu"), ValueError, "Fabric: missing key 'fu'"),
    (lambda d: d.update(width="32"), TypeError, "Fabric: 'width' must be an integer, not '32'"),
])
def test_fabric_validation(small, change, error, message):
    d = small.to_dict()
    change(d)
    with pytest.raises(error, match=exactly(message)):
        CGRA(d)


def test_mesh_validation():
    d = Fabric.builtin("default").to_dict()
    d["fu"][1]["at"] = [2, 3]
    with pytest.raises(ValueError, match=exactly("FU 'iu0': cell [2, 3] is taken twice")):
        CGRA(d)
    d["fu"][1]["at"] = [5, 0]
    with pytest.raises(ValueError, match=exactly(
            "FU 'iu0': at must be [x, y] with 0 <= x < 5 and 0 <= y < 5, not [5, 0]")):
        CGRA(d)


# -- Verilog


def test_verilog_of_the_builtins():
    times = {}
    for name in ("small", "default"):
        t = time.perf_counter()
        text = CGRA(Fabric.builtin(name).to_dict()).to_verilog()
        times[name] = time.perf_counter() - t
        assert f"module cgra_{name}(" in text
        # every Yosys time-0 dummy register is also set in an `initial #0` (for Icarus -g2012)
        dummies = re.findall(r"reg (\\\$auto\$verilog_backend\S+ ) = 0;", text)
        assert dummies and all(f"initial #0 {d} = 1'h1;" in text for d in dummies)
        if name == "default":
            assert "module cgra_sb_w32_t4_wilton_NESW_fu(" in text
            assert "module cgra_sb_w32_t4_wilton_ES_fu(" in text  # corner (0, 0)
    print("Verilog generation:", ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))


def test_verilog_is_deterministic():
    fab = narrow_fabric(8, "drum", {"k": 4}).to_dict()
    first = verilog.convert(CGRA(fab), name="top", emit_src=False)
    assert first == verilog.convert(CGRA(fab), name="top", emit_src=False)
    # a crossbar converts as it is, plus the time-0 triggers
    patched = CGRA(fab).to_verilog("top")
    assert patched == CGRA(fab).to_verilog("top")
    assert re.sub(r"\n *initial #0 [^\n]*", "", patched) == first != patched
