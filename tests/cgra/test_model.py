"""The cycle-accurate CGRA model on small hand-assembled programs (instruction words from
``isa.encode``, configurations from ``config.encode``), against docs/cgra.md."""

import numpy as np
import pytest

from sim_models.approx import DrumModel, RoupModel
from sim_models.cgra import config as cfg
from sim_models.cgra import isa
from sim_models.cgra.fabric import Fabric
from sim_models.cgra.model import CGRAModel, Trace, alu

SEED = 20261208
SMALL = Fabric.builtin("small")
# FU order of "small", typed in from the contract
ORDER = ["abu0", "iu0", "iu1", "lsu0", "lsu1", "rf0", "mul0", "mul1",
         "alu0", "alu1", "alu2", "alu3"]
ALU_OPS = ["add", "sub", "and", "ior", "xor", "not", "eq", "ne", "lt", "ltu", "gt", "gtu",
           "ge", "geu", "shl1", "shl4", "shr1", "shr4", "shru1", "shru4", "pass"]


def _fabric(width=32, depth=64, base=SMALL):
    d = base.to_dict()
    d["width"], d["imem_depth"] = width, depth
    return Fabric.from_dict(d)


def _config(fabric, conns=(), **extra):
    """Crossbar configuration: ``conns`` = {(fu, input, slot): (src fu, port)}."""
    values = {f"in.{fu}.{i}.{k}": 1 + 2 * ORDER.index(src) + p
              for (fu, i, k), (src, p) in dict(conns).items()}
    values.update({k.replace("__", "."): v for k, v in extra.items()})
    return cfg.encode(fabric, values)


class Prog:
    """Rows of instructions: ``p.row(c_iu0=word, ...)``; ``p.imems`` for the model."""

    def __init__(self, fabric):
        self.fabric = fabric
        self.rows = []

    def at(self, address, **words):
        while len(self.rows) <= address:
            self.rows.append({})
        self.rows[address].update(words)

    def row(self, **words):
        self.at(len(self.rows), **words)

    def i(self, fu_type, **fields):
        return isa.encode(fu_type, self.fabric, **fields)

    @property
    def imems(self):
        out = {}
        for a, r in enumerate(self.rows):
            for name, word in r.items():
                out.setdefault(name, [0] * len(self.rows))[a] = word
        return out


def _out(trace, cycle, fu, port=0):
    return int(trace.outputs[cycle, ORDER.index(fu), port])


def _run(prog, config, **kw):
    return CGRAModel(prog.fabric).run(config, prog.imems, **kw)


def _ref_alu(op, a, b, w):
    """Plain integer arithmetic on w-bit patterns."""
    m = 1 << w
    sa = a - m if a >= m // 2 else a
    sb = b - m if b >= m // 2 else b
    return {
        "add": (a + b) % m, "sub": (a - b) % m, "and": a & b, "ior": a | b, "xor": a ^ b,
        "not": m - 1 - a, "eq": int(a == b), "ne": int(a != b), "lt": int(sa < sb),
        "ltu": int(a < b), "gt": int(sa > sb), "gtu": int(a > b), "ge": int(sa >= sb),
        "geu": int(a >= b), "shl1": a * 2 % m, "shl4": a * 16 % m, "shr1": (sa // 2) % m,
        "shr4": (sa // 16) % m, "shru1": a // 2, "shru4": a // 16, "pass": a,
    }[op]


def _operands(w, rng, n):
    m = 1 << w
    edges = [0, 1, 2, m - 1, m - 2, m // 2, m // 2 - 1, m // 2 + 1, 0x5A % m, 15, 16]
    pairs = [(a, b) for a in edges for b in edges]
    pairs += [(int(x), int(y)) for x, y in rng.integers(0, m, size=(n, 2), dtype=np.int64)]
    return pairs


@pytest.mark.parametrize("width", [8, 16, 32])
def test_alu_function(width):
    rng = np.random.default_rng(SEED + width)
    for a, b in _operands(width, rng, 300):
        for op in ALU_OPS:
            assert alu(op, a, b, width) == _ref_alu(op, a, b, width), \
                f"seed {SEED + width}: {op} {a:#x} {b:#x}"


def test_alu_function_checks():
    with pytest.raises(ValueError, match="ALU operation must be one of"):
        alu("nop", 0, 0, 8)
    with pytest.raises(ValueError, match="Data width must be 8, 16 or 32, not 12"):
        alu("add", 0, 0, 12)
    with pytest.raises(ValueError, match="Operand a must be an integer between 0 and 255"):
        alu("add", 256, 0, 8)


@pytest.mark.parametrize("width", [8, 16, 32])
def test_alu_ops_in_a_program(width):
    """Every ALU op executed on alu0 (one per row) against plain integer arithmetic."""
    rng = np.random.default_rng(SEED + 100 + width)
    f = _fabric(width)
    config = _config(f, {("alu0", 0, 1): ("iu0", 0), ("alu0", 1, 2): ("iu1", 1)})
    model = CGRAModel(f)
    m = 1 << width
    pairs = [(m - 1, 1), (m // 2, m // 2 - 1), (0, m // 2)]
    pairs += [tuple(int(v) for v in rng.integers(0, m, 2)) for _ in range(4)]
    for a, b in pairs:
        p = Prog(f)
        p.row(c_iu0=p.i("iu", op="imm", imm=a), c_iu1=p.i("iu", op="imm", dst=1, imm=b))
        for op in ALU_OPS:
            p.row(c_alu0=p.i("alu", op=op, sel0=1, sel1=2))
        p.at(len(ALU_OPS), c_abu=p.i("abu", op="halt"))
        t = model.run(config, p.imems)
        assert t.cycles == len(ALU_OPS) + 1
        for k, op in enumerate(ALU_OPS, start=1):
            assert _out(t, k, "alu0") == _ref_alu(op, a, b, width), \
                f"seed {SEED + 100 + width}: {op} {a:#x} {b:#x}"
            assert _out(t, k, "alu0", 1) == 0  # dst 0: out1 untouched


def test_latency_one_and_hold():
    f = SMALL
    config = _config(f, {("alu0", 0, 0): ("iu0", 0), ("alu0", 1, 0): ("alu0", 0),
                         ("alu1", 0, 3): ("alu0", 1)})
    p = Prog(f)
    add = p.i("alu", op="add")
    p.row(c_iu0=p.i("iu", op="imm", imm=5), c_alu0=p.i("alu", op="pass"))  # reads iu0 = 0
    p.row(c_alu0=add)  # 5 + 0
    p.row(c_alu0=add, c_iu0=p.i("iu", op="imm", imm=100))  # 5 + 5 (iu0 is still 5)
    p.row(c_alu0=p.i("alu", op="add", dst=1))  # 100 + 10 -> out1
    p.row(c_alu1=p.i("alu", op="pass", sel0=3))  # alu0.out1 of the previous row
    p.row(c_abu=p.i("abu", op="halt"))
    t = _run(p, config)
    assert [_out(t, c, "iu0") for c in range(6)] == [5, 5, 100, 100, 100, 100]
    assert [_out(t, c, "alu0") for c in range(6)] == [0, 5, 10, 10, 10, 10]
    assert [_out(t, c, "alu0", 1) for c in range(6)] == [0, 0, 0, 110, 110, 110]
    assert [_out(t, c, "alu1") for c in range(6)] == [0, 0, 0, 0, 110, 110]
    assert t.cycles == 6 and t.halted
    assert t.pc.tolist() == list(range(6))


def test_trace_format():
    p = Prog(SMALL)
    p.row(c_iu1=p.i("iu", op="imm", imm=0xFFFFFFFF, dst=1), c_abu=p.i("abu", op="halt"))
    t = _run(p, _config(p.fabric))
    assert isinstance(t, Trace)
    assert t.outputs.shape == (1, 12, 2) and t.outputs.dtype == np.uint64
    assert t.pc.shape == (1,)
    assert int(t.outputs[0, 2, 1]) == 0xFFFFFFFF
    assert set(t.memories) == {"lsu0", "lsu1"}
    assert all(m.dtype == np.uint8 and m.shape == (256,) for m in t.memories.values())
    assert set(t.registers) == {"rf0"} and t.registers["rf0"].shape == (16,)


def test_unconnected_slot_reads_zero():
    p = Prog(SMALL)
    p.row(c_iu0=p.i("iu", op="imm", imm=7))
    p.row(c_alu0=p.i("alu", op="not", sel0=2), c_abu=p.i("abu", op="halt"))
    t = _run(p, _config(SMALL, {("alu0", 0, 0): ("iu0", 0)}))
    assert _out(t, 1, "alu0") == 0xFFFFFFFF  # slot 2 unconnected: ~0


def test_delay_slots_after_taken_jump():
    p = Prog(SMALL)
    imm = [p.i("iu", op="imm", imm=v) for v in range(8)]
    p.row(c_abu=p.i("abu", op="jump", target=5), c_iu0=imm[0])
    p.row(c_iu0=imm[1])
    p.row(c_iu0=imm[2])
    p.row(c_iu0=imm[3])  # skipped
    p.row(c_iu0=imm[4])  # skipped
    p.row(c_iu0=imm[5], c_abu=p.i("abu", op="halt"))
    t = _run(p, _config(p.fabric))
    assert t.pc.tolist() == [0, 1, 2, 5]
    assert [_out(t, c, "iu0") for c in range(4)] == [0, 1, 2, 5]


@pytest.mark.parametrize("value", [0, 1, 0x80000000, 0xFFFFFFFF])
@pytest.mark.parametrize("op", ["bz", "bnz"])
def test_conditional_branches(op, value):
    p = Prog(SMALL)
    p.row(c_iu1=p.i("iu", op="imm", dst=1, imm=value))
    p.row(c_abu=p.i("abu", op=op, sel0=3, target=8))
    p.at(4, c_abu=p.i("abu", op="halt"))
    p.at(8, c_abu=p.i("abu", op="halt"))
    t = _run(p, _config(SMALL, {("abu0", 0, 3): ("iu1", 1)}))
    taken = (value == 0) == (op == "bz")
    assert t.pc.tolist() == ([0, 1, 2, 3, 8] if taken else [0, 1, 2, 3, 4])


def test_call_and_ret():
    p = Prog(SMALL)
    p.row(c_abu=p.i("abu", op="call", target=10))
    p.at(3, c_abu=p.i("abu", op="halt"))
    p.at(10, c_abu=p.i("abu", op="ret"))
    p.at(12)
    t = _run(p, _config(p.fabric))
    assert t.pc.tolist() == [0, 1, 2, 10, 11, 12, 3]
    assert [_out(t, c, "abu0", 1) for c in range(7)] == [3] * 7  # link = call address + 3
    assert [_out(t, c, "abu0", 0) for c in range(7)] == [0] * 7


def test_link_wider_than_the_data_shows_its_low_bits_and_returns_whole():
    # 8-bit data, 512-row programs: the link (call address + 3 = 303) does not fit out1
    f = _fabric(width=8, depth=512)
    p = Prog(f)
    p.row(c_abu=p.i("abu", op="jump", target=300))
    p.at(300, c_abu=p.i("abu", op="call", target=400))
    p.at(303, c_abu=p.i("abu", op="halt"))
    p.at(400, c_abu=p.i("abu", op="ret"))
    p.at(402)
    t = _run(p, _config(p.fabric))
    assert t.pc.tolist() == [0, 1, 2, 300, 301, 302, 400, 401, 402, 303]
    assert _out(t, 3, "abu0", 1) == 303 & 0xFF


@pytest.mark.parametrize("n", [1, 2, 5])
def test_loop_runs_body_n_times(n):
    f = SMALL
    p = Prog(f)
    p.row(c_iu0=p.i("iu", op="imm", imm=n), c_iu1=p.i("iu", op="imm", imm=1))
    p.row(c_abu=p.i("abu", op="setl", sel0=0))  # counter <- iu0
    p.row(c_abu=p.i("abu", op="loop", target=2))  # L: loop L, body = rows 2..4
    p.row(c_alu0=p.i("alu", op="add"))  # alu0 += iu1
    p.row()
    p.row(c_abu=p.i("abu", op="halt"))
    config = _config(f, {("abu0", 0, 0): ("iu0", 0), ("alu0", 0, 0): ("alu0", 0),
                         ("alu0", 1, 0): ("iu1", 0)})
    t = _run(p, config)
    assert t.pc.tolist() == [0, 1] + [2, 3, 4] * n + [5]
    assert _out(t, t.cycles - 1, "alu0") == n
    assert _out(t, 1, "abu0") == n  # out0 = counter after setl
    assert [_out(t, 2 + 3 * i, "abu0") for i in range(n)] == list(range(n - 1, -1, -1))


def test_halt_stops_before_its_delay_slots():
    p = Prog(SMALL)
    p.row(c_iu0=p.i("iu", op="imm", imm=1))
    p.row()
    p.row(c_abu=p.i("abu", op="halt"), c_iu0=p.i("iu", op="imm", imm=2))
    p.row(c_iu0=p.i("iu", op="imm", imm=3))
    p.row(c_iu0=p.i("iu", op="imm", imm=4))
    t = _run(p, _config(p.fabric))
    assert t.cycles == 3 and t.pc.tolist() == [0, 1, 2]
    assert _out(t, 2, "iu0") == 2


def test_halt_in_delay_slot():
    p = Prog(SMALL)
    p.row(c_abu=p.i("abu", op="jump", target=9))
    p.row(c_abu=p.i("abu", op="halt"))
    t = _run(p, _config(p.fabric))
    assert t.pc.tolist() == [0, 1]


def test_address_wraps():
    f = _fabric(32, 8)
    p = Prog(f)
    p.at(0, c_abu=p.i("abu", op="bnz", sel0=0, target=6))  # taken on the second visit
    p.at(1, c_iu0=p.i("iu", op="imm", imm=1))
    p.at(3, c_abu=p.i("abu", op="jump", target=7))  # skips 6 on the first pass
    p.at(6, c_abu=p.i("abu", op="halt"))
    p.at(7)
    t = _run(p, _config(f, {("abu0", 0, 0): ("iu0", 0)}))
    assert t.pc.tolist() == [0, 1, 2, 3, 4, 5, 7, 0, 1, 2, 6]


def test_link_wraps():
    f = _fabric(32, 8)
    p = Prog(f)
    p.at(1, c_abu=p.i("abu", op="jump", target=5))  # slots 2, 3; row 4 skipped
    p.at(6, c_abu=p.i("abu", op="call", target=4))  # slots 7 and 0 (wrapped)
    p.at(4, c_abu=p.i("abu", op="halt"))
    p.at(7)
    t = _run(p, _config(p.fabric))
    assert t.pc.tolist() == [0, 1, 2, 3, 5, 6, 7, 0, 4]
    assert _out(t, 5, "abu0", 1) == (6 + 3) % 8


def test_max_cycles():
    p = Prog(SMALL)
    p.row()
    with pytest.raises(RuntimeError, match="No halt within max_cycles = 50 cycles"):
        _run(p, _config(p.fabric), max_cycles=50)
    p.at(9, c_abu=p.i("abu", op="halt"))
    assert _run(p, _config(p.fabric), max_cycles=10).cycles == 10
    with pytest.raises(RuntimeError, match="max_cycles = 9"):
        _run(p, _config(p.fabric), max_cycles=9)
    with pytest.raises(ValueError, match="max_cycles must be an integer between 1"):
        _run(p, _config(p.fabric), max_cycles=0)


def test_transfer_in_delay_slot_raises():
    p = Prog(SMALL)
    p.row(c_abu=p.i("abu", op="jump", target=8))
    p.row()
    p.row(c_abu=p.i("abu", op="bz", target=4))
    p.at(8, c_abu=p.i("abu", op="halt"))
    with pytest.raises(ValueError, match="cycle 2: bz at address 2 is in a delay slot of the "
                                         "jump at address 0"):
        _run(p, _config(p.fabric))
    # a not-taken branch opens its delay slots too
    p = Prog(SMALL)
    p.row(c_iu0=p.i("iu", op="imm", imm=1))
    p.row(c_abu=p.i("abu", op="bz", sel0=0, target=9))
    p.row(c_abu=p.i("abu", op="loop", target=9))
    p.at(9, c_abu=p.i("abu", op="halt"))
    with pytest.raises(ValueError, match="loop at address 2 is in a delay slot of the bz"):
        _run(p, _config(SMALL, {("abu0", 0, 0): ("iu0", 0)}))
    # setl and halt are not transfers
    p = Prog(SMALL)
    p.row(c_abu=p.i("abu", op="jump", target=8))
    p.row(c_abu=p.i("abu", op="setl"))
    p.at(8, c_abu=p.i("abu", op="halt"))
    assert _run(p, _config(p.fabric)).pc.tolist() == [0, 1, 2, 8]
    # three rows after a transfer are free again
    p = Prog(SMALL)
    p.row(c_abu=p.i("abu", op="jump", target=3))
    p.row()
    p.row()
    p.row(c_abu=p.i("abu", op="jump", target=10))
    p.at(10, c_abu=p.i("abu", op="halt"))
    assert _run(p, _config(p.fabric)).pc.tolist() == [0, 1, 2, 3, 4, 5, 10]


def _lsu_value(mem, op, addr, w):
    size = {"ld8": 1, "ldu8": 1, "ld16": 2, "ldu16": 2, "ld32": 4}[op]
    a = addr % len(mem) // size * size
    v = int.from_bytes(bytes(mem[a:a + size]), "little")
    if not op.startswith("ldu") and v >= 1 << (8 * size - 1):
        v -= 1 << (8 * size)
    return v % (1 << w)


@pytest.mark.parametrize("width", [8, 16, 32])
def test_lsu_loads_and_stores(width):
    rng = np.random.default_rng(SEED + 7 * width)
    f = _fabric(width)
    m = 1 << width
    bits = {"ld8": 8, "ldu8": 8, "ld16": 16, "ldu16": 16, "ld32": 32, "st8": 8, "st16": 16,
            "st32": 32}
    loads = [op for op in ("ld8", "ldu8", "ld16", "ldu16", "ld32") if bits[op] <= width]
    stores = [op for op in ("st8", "st16", "st32") if bits[op] <= width]
    image = rng.integers(0, 256, 200, dtype=np.uint8)  # shorter than 256: padded with 0
    mem = bytearray(256)
    mem[:200] = image.tobytes()
    config = _config(f, {("lsu0", 0, 0): ("iu0", 0), ("lsu0", 1, 1): ("iu1", 0)})
    p = Prog(f)
    expect = []  # (row whose result shows the load, value)
    ops = []
    for _ in range(40):
        op = str(rng.choice(loads + stores))
        addr = int(rng.integers(0, min(m, 1024)))  # beyond 256 wraps modulo the size
        data = int(rng.integers(0, m))
        ops.append((op, addr, data))
    for k, (op, addr, data) in enumerate(ops):
        p.at(k, c_iu0=p.i("iu", op="imm", imm=addr), c_iu1=p.i("iu", op="imm", imm=data))
        p.at(k + 1, c_lsu0=p.i("lsu", op=op, sel0=0, sel1=1, dst=k % 2))
        if op.startswith("st"):
            size = int(op[2:]) // 8
            a = addr % 256 // size * size
            mem[a:a + size] = (data % (1 << 8 * size)).to_bytes(size, "little")
        else:
            expect.append((k + 1, k % 2, _lsu_value(mem, op, addr, width), op, addr))
    p.at(len(ops), c_abu=p.i("abu", op="halt"))
    t = _run(p, config, memories={"lsu0": image})
    for row, port, value, op, addr in expect:
        assert _out(t, row, "lsu0", port) == value, f"seed {SEED + 7 * width}: {op} {addr}"
    assert t.memories["lsu0"].tobytes() == bytes(mem)
    assert not t.memories["lsu1"].any()


def test_lsu_by_hand():
    f = SMALL
    config = _config(f, {("lsu0", 0, 0): ("iu0", 0), ("lsu0", 1, 0): ("iu1", 0)})
    p = Prog(f)
    imm = lambda v: p.i("iu", op="imm", imm=v)  # noqa: E731
    p.row(c_iu0=imm(5), c_iu1=imm(0x80FF7F01))
    p.row(c_lsu0=p.i("lsu", op="st32"), c_iu0=imm(259))  # 5 -> word at 4; 259 -> byte 3
    p.row(c_lsu0=p.i("lsu", op="ld8"), c_iu0=imm(6))  # byte 3 = 0
    p.row(c_lsu0=p.i("lsu", op="ld8"), c_iu0=imm(7))  # byte 6 = 0xFF -> -1
    p.row(c_lsu0=p.i("lsu", op="ldu8"), c_iu0=imm(5))  # byte 7 = 0x80
    p.row(c_lsu0=p.i("lsu", op="ld16"), c_iu0=imm(7))  # 5 -> 4: 0x7F01
    p.row(c_lsu0=p.i("lsu", op="ld16"))  # 7 -> 6: 0x80FF, negative
    p.row(c_lsu0=p.i("lsu", op="ldu16"))  # 0x80FF
    p.row(c_lsu0=p.i("lsu", op="ld32"), c_abu=p.i("abu", op="halt"))  # 7 -> 4
    t = _run(p, config, memories={"lsu0": b"\x00\x00\x00\x00"})
    lsu = [_out(t, c, "lsu0") for c in range(2, 9)]
    assert lsu == [0, 0xFFFFFFFF, 0x80, 0x7F01, 0xFFFF80FF, 0x80FF, 0x80FF7F01]
    assert t.memories["lsu0"][:8].tolist() == [0, 0, 0, 0, 1, 0x7F, 0xFF, 0x80]


@pytest.mark.parametrize("width,op", [(16, "ld32"), (16, "st32"), (8, "ld16"), (8, "ldu16"),
                                      (8, "st16")])
def test_lsu_wider_than_w_raises(width, op):
    f = _fabric(width)
    p = Prog(f)
    p.row()
    p.row(c_lsu1=p.i("lsu", op=op), c_abu=p.i("abu", op="halt"))
    with pytest.raises(ValueError, match=f"cycle 1: address 1, LSU 'lsu1': {op} is wider than "
                                         f"the data width {width}"):
        _run(p, _config(p.fabric))


def test_rf_read_before_write():
    f = SMALL
    config = _config(f, {("rf0", 0, 0): ("iu0", 0), ("rf0", 0, 1): ("iu1", 0)})
    p = Prog(f)
    p.row(c_iu0=p.i("iu", op="imm", imm=7), c_iu1=p.i("iu", op="imm", imm=9))
    p.row(c_rf=p.i("rf", wr=1, waddr=3, sel0=0))  # r3 <- 7
    p.row(c_rf=p.i("rf", rd=1, wr=1, raddr=3, waddr=3, sel0=1))  # read 7, r3 <- 9
    p.row(c_rf=p.i("rf", rd=1, raddr=3, dst=1))  # 9 -> out1
    p.row(c_rf=p.i("rf", rd=1, raddr=15), c_abu=p.i("abu", op="halt"))  # preset
    t = _run(p, config, registers={"rf0": [0] * 15 + [-2]})
    assert [_out(t, c, "rf0") for c in range(5)] == [0, 0, 7, 7, 0xFFFFFFFE]
    assert [_out(t, c, "rf0", 1) for c in range(5)] == [0, 0, 0, 9, 9]
    regs = t.registers["rf0"].tolist()
    assert regs[3] == 9 and regs[15] == 0xFFFFFFFE and sum(regs) == 9 + 0xFFFFFFFE


def test_simd_lanes_with_different_sources():
    f = SMALL
    config = _config(f, {("alu2", 0, 0): ("iu0", 0), ("alu3", 0, 0): ("iu1", 0),
                         ("alu2", 1, 1): ("iu1", 0), ("alu3", 1, 1): ("iu1", 0)})
    p = Prog(f)
    p.row(c_iu0=p.i("iu", op="imm", imm=40), c_iu1=p.i("iu", op="imm", imm=2))
    p.row(c_alu23=p.i("alu", op="sub", sel0=0, sel1=1, dst=1), c_abu=p.i("abu", op="halt"))
    t = _run(p, config)
    assert _out(t, 1, "alu2", 1) == 38 and _out(t, 1, "alu3", 1) == 0
    assert _out(t, 1, "alu2") == 0 and _out(t, 1, "alu0") == 0


def test_ctrl_selects_the_driving_id():
    f = SMALL
    p = Prog(f)
    p.row(c_iu0=p.i("iu", op="imm", imm=3), c_iu1=p.i("iu", op="imm", imm=4))
    p.row(c_alu0=p.i("alu", op="pass"), c_alu1=p.i("alu", op="not"),
          c_abu=p.i("abu", op="halt"))
    conns = {("alu0", 0, 0): ("iu0", 0), ("alu1", 0, 0): ("iu0", 0)}
    t = _run(p, _config(f, conns, ctrl__alu0=1, ctrl__alu1=0))  # swapped IDs
    assert _out(t, 1, "alu0") == 0xFFFFFFFC and _out(t, 1, "alu1") == 3
    # iu0 driven by c_iu1
    t = _run(p, _config(f, conns, ctrl__iu0=1))
    assert _out(t, 0, "iu0") == 4


def _mul_program(fabric, pairs):
    p = Prog(fabric)
    for k, (a, b) in enumerate(pairs):
        p.at(k, c_iu0=p.i("iu", op="imm", imm=a), c_iu1=p.i("iu", op="imm", imm=b))
        p.at(k + 1, c_mul01=p.i("mul", op="mul", sel0=0, sel1=1))
    p.at(len(pairs), c_abu=p.i("abu", op="halt"))
    # mul0 = iu0 * iu1, mul1 = iu1 * iu0 (operands swapped: ROUP is not commutative)
    config = _config(fabric, {("mul0", 0, 0): ("iu0", 0), ("mul0", 1, 1): ("iu1", 0),
                              ("mul1", 0, 0): ("iu1", 0), ("mul1", 1, 1): ("iu0", 0)})
    return CGRAModel(fabric).run(config, p.imems)


def _signed(v, w):
    return v - (1 << w) if v >> (w - 1) else v


@pytest.mark.parametrize("width", [8, 16, 32])
def test_exact_mul_low_bits(width):
    rng = np.random.default_rng(SEED + 3 * width)
    m = 1 << width
    pairs = [(m - 1, m - 1), (m // 2, m - 1), (m // 2, m // 2), (3, m - 5)]
    pairs += [tuple(int(v) for v in rng.integers(0, m, 2)) for _ in range(20)]
    t = _mul_program(_fabric(width), pairs)
    for k, (a, b) in enumerate(pairs, start=1):
        assert _out(t, k, "mul0") == a * b % m, f"seed {SEED + 3 * width}"
        assert _out(t, k, "mul1") == _signed(a, width) * _signed(b, width) % m


@pytest.mark.parametrize("width", [16, 32])
@pytest.mark.parametrize("kind,params", [("drum", {"k": 6}), ("drum", {"k": 4}),
                                         ("roup", {"p": 1, "r": 2}), ("roup", {"p": 2, "r": 3})])
def test_approximate_mul_tiles(width, kind, params):
    rng = np.random.default_rng(SEED + 11 * width)
    m = 1 << width
    f = _fabric(width).with_mul(kind, **params)
    if kind == "drum":
        model = DrumModel(width, params["k"], signed=True, sign_mode="twos")
    else:
        model = RoupModel(width, params["p"], params["r"], signed=True)
    pairs = [(m - 1, m - 1), (m // 2, 12345 % m), (m // 2 - 1, m // 2 + 7)]
    pairs += [tuple(int(v) for v in rng.integers(0, m, 2)) for _ in range(20)]
    t = _mul_program(f, pairs)
    differs = 0
    for k, (a, b) in enumerate(pairs, start=1):
        sa, sb = _signed(a, width), _signed(b, width)
        want0 = int(model(sa, sb)) % m
        want1 = int(model(sb, sa)) % m
        assert _out(t, k, "mul0") == want0, f"seed {SEED + 11 * width}: {a:#x} * {b:#x}"
        assert _out(t, k, "mul1") == want1, f"seed {SEED + 11 * width}: {b:#x} * {a:#x}"
        differs += want0 != a * b % m
    assert differs > 0  # the tile really is approximate on these operands


def test_mesh_route_through_switchbox():
    f = Fabric.builtin("default")
    assert f.cell_of("iu0") == (1, 1) and f.cell_of("alu0") == (1, 0)
    values = {"sb.1.1.N.2": 4,  # iu0.out0 up to alu0's cell on track 2
              "in.alu0.0.1": 1 + 4 * 2 + 2}  # alu0 reads its south side, track 2
    p = Prog(f)
    p.row(c_iu0=p.i("iu", op="imm", imm=77))
    p.row(c_alu0=p.i("alu", op="shl1", sel0=1), c_abu=p.i("abu", op="halt"))
    t = CGRAModel(f).run(cfg.encode(f, values), p.imems)
    assert int(t.outputs[1, f.fu_index("alu0"), 0]) == 154
    t = CGRAModel(f).run(values, p.imems)  # the field values are accepted too
    assert int(t.outputs[1, f.fu_index("alu0"), 0]) == 154


def test_illegal_instruction_only_when_executed():
    p = Prog(SMALL)
    p.row()
    p.row(c_alu0=22 << 5)
    p.row(c_abu=p.i("abu", op="halt"))
    with pytest.raises(ValueError, match="cycle 1: address 1 of ID 'c_alu0': Illegal alu "
                                         "opcode 22"):
        _run(p, _config(p.fabric))
    p.at(1, c_alu0=0)
    p.at(5, c_alu0=22 << 5)  # never executed
    assert _run(p, _config(p.fabric)).cycles == 3


def test_run_argument_checks():
    model = CGRAModel(SMALL)
    halt = {"c_abu": [isa.encode("abu", SMALL, op="halt")]}
    with pytest.raises(ValueError, match="imems: unknown ID 'c_x'"):
        model.run(0, {"c_x": [0]})
    with pytest.raises(ValueError, match="65 words do not fit an instruction memory of 64"):
        model.run(0, {"c_abu": [0] * 65})
    with pytest.raises(ValueError, match="memories: unknown LSU 'lsu7'"):
        model.run(0, halt, memories={"lsu7": b""})
    with pytest.raises(ValueError, match="257 bytes do not fit a scratchpad of 256 bytes"):
        model.run(0, halt, memories={"lsu0": bytes(257)})
    with pytest.raises(ValueError, match="must hold bytes"):
        model.run(0, halt, memories={"lsu0": np.array([256])})
    with pytest.raises(ValueError, match="registers: unknown RF 'rf1'"):
        model.run(0, halt, registers={"rf1": [1]})
    with pytest.raises(ValueError, match="17 values for 16 registers"):
        model.run(0, halt, registers={"rf0": [0] * 17})
    with pytest.raises(ValueError, match="Configuration bits must be"):
        model.run(1 << 412, halt)
    with pytest.raises(ValueError, match="'ctrl.alu0' must be an integer between 0 and 2"):
        model.run(3 << 4, halt)
    with pytest.raises(TypeError, match="Fabric must be"):
        CGRAModel(SMALL.to_dict())
    # memories given as bytes and as arrays load the same way
    a = model.run(0, halt, memories={"lsu1": b"\x01\x02"}).memories["lsu1"]
    b = model.run(0, halt, memories={"lsu1": np.array([1, 2])}).memories["lsu1"]
    assert a[:3].tolist() == b[:3].tolist() == [1, 2, 0]
