# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.TritPacker/TritUnpacker: exhaustive over every group and every byte,
expected values from byte = sum((t_i + 1) * 3**i) in plain Python."""

import itertools
import runpy
from pathlib import Path

from amaranth.back import verilog

from hw.ternary import GROUP, VALID_BYTES, TritPacker, TritUnpacker

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
run_comb = _hwsim["run_comb"]


def encode(trits):
    return sum((t + 1) * 3 ** i for i, t in enumerate(trits))


def decode(byte):
    return [(byte // 3 ** i) % 3 - 1 for i in range(5)]


def test_constants():
    assert (GROUP, VALID_BYTES) == (5, 243)


def test_pack_all_groups():
    """All 243 legal groups give distinct bytes 0..242 by the formula, without the flag."""
    dut = TritPacker()
    groups = list(itertools.product((-1, 0, 1), repeat=5))
    got = run_comb(dut, groups, lambda ctx, g: ctx.set(dut.trits, list(g)),
                   lambda ctx: (ctx.get(dut.byte), ctx.get(dut.illegal)))
    assert got == [(encode(g), 0) for g in groups]
    assert sorted(byte for byte, _ in got) == list(range(243))


def test_pack_illegal_codes():
    """All 1024 code combinations: any 0b10 code sets the flag and packs as a zero trit."""
    dut = TritPacker()
    groups = list(itertools.product((-2, -1, 0, 1), repeat=5))
    got = run_comb(dut, groups, lambda ctx, g: ctx.set(dut.trits, list(g)),
                   lambda ctx: (ctx.get(dut.byte), ctx.get(dut.illegal)))
    for group, (byte, illegal) in zip(groups, got, strict=True):
        assert illegal == int(-2 in group), group
        assert byte == encode([0 if t == -2 else t for t in group]), group


def test_unpack_all_bytes():
    """All 256 bytes: 0..242 decode by the formula, 243..255 give zeros and the flag."""
    dut = TritUnpacker()
    got = run_comb(dut, range(256), lambda ctx, b: ctx.set(dut.byte, b),
                   lambda ctx: ([ctx.get(dut.trits[i]) for i in range(5)],
                                ctx.get(dut.illegal)))
    for byte, (trits, illegal) in enumerate(got):
        if byte < 243:
            assert (trits, illegal) == (decode(byte), 0), byte
            assert encode(trits) == byte
        else:
            assert (trits, illegal) == ([0] * 5, 1), byte


def test_combinational():
    for dut in (TritPacker(), TritUnpacker()):
        text = verilog.convert(dut, name="x", emit_src=False)
        assert "clk" not in text and "always @(posedge" not in text
