"""CGRA instruction encoding against the field table and opcodes of docs/cgra.md."""

import numpy as np
import pytest

from sim_models.cgra import isa
from sim_models.cgra.fabric import Fabric

SEED = 20261206


def _fabric(width=32, depth=64):
    d = Fabric.builtin("small").to_dict()
    d["width"], d["imem_depth"] = width, depth
    return Fabric.from_dict(d)


# The table of docs/cgra.md, typed in by hand.
TABLE = {
    "alu": [("sel0", 2), ("sel1", 2), ("dst", 1), ("op", 5)],
    "mul": [("sel0", 2), ("sel1", 2), ("dst", 1), ("op", 1)],
    "lsu": [("sel0", 2), ("sel1", 2), ("dst", 1), ("op", 4)],
    "rf": [("sel0", 2), ("sel1", 2), ("dst", 1), ("rd", 1), ("wr", 1), ("raddr", 4),
           ("waddr", 4)],
}

OPS = {
    "alu": "nop add sub and ior xor not eq ne lt ltu gt gtu ge geu shl1 shl4 shr1 shr4 shru1 "
           "shru4 pass",
    "mul": "nop mul",
    "lsu": "nop ld8 ld16 ld32 ldu8 ldu16 st8 st16 st32",
    "iu": "nop imm",
    "abu": "nop jump call ret bz bnz setl loop halt",
}


@pytest.mark.parametrize("width", [8, 16, 32])
@pytest.mark.parametrize("depth", [4, 64, 1024])
def test_fields_match_table(width, depth):
    f = _fabric(width, depth)
    p = {4: 2, 64: 6, 1024: 10}[depth]
    for t, fields in TABLE.items():
        assert isa.fields(t, f) == fields
    assert isa.fields("iu", f) == [("op", 1), ("dst", 1), ("imm", width)]
    assert isa.fields("abu", f) == [("sel0", 2), ("sel1", 2), ("op", 4), ("target", p)]
    widths = {"alu": 10, "mul": 6, "lsu": 9, "rf": 15, "iu": width + 2, "abu": 8 + p}
    for t, w in widths.items():
        assert isa.width(t, f) == w
    assert isa.max_width(f) == max(widths.values())


def test_max_width_only_present_types():
    d = {"name": "t", "width": 32, "imem_depth": 1024,
         "fu": [{"name": "abu0", "type": "abu"}, {"name": "a", "type": "alu"}],
         "id": [{"name": "ca", "fus": ["abu0"]}, {"name": "cb", "fus": ["a"]}]}
    assert isa.max_width(Fabric.from_dict(d)) == 18  # abu 8 + 10; no IU of 34 bits


def test_opcodes_match_docs():
    for t, text in OPS.items():
        assert isa.OPCODES[t] == {m: i for i, m in enumerate(text.split())}
    assert isa.OPCODES["rf"] == {}


def test_hand_computed_words():
    f = _fabric(32, 64)
    assert isa.encode("alu", f, op="add", sel0=1, sel1=2, dst=1) == 1 | 2 << 2 | 1 << 4 | 1 << 5
    assert isa.encode("alu", f, op=21, sel0=3) == 3 | 21 << 5
    assert isa.encode("mul", f, op="mul", sel1=3, dst=1) == 3 << 2 | 1 << 4 | 1 << 5
    assert isa.encode("lsu", f, op="st32", sel0=2, sel1=1) == 2 | 1 << 2 | 8 << 5
    assert isa.encode("lsu", f, op="ldu16", dst=1) == 1 << 4 | 5 << 5
    assert isa.encode("rf", f, rd=1, raddr=3, dst=1) == 1 << 4 | 1 << 5 | 3 << 7
    assert isa.encode("rf", f, wr=1, waddr=15, sel0=1) == 1 | 1 << 6 | 15 << 11
    assert isa.encode("rf", f, rd=1, wr=1, raddr=9, waddr=4) == 1 << 5 | 1 << 6 | 9 << 7 | 4 << 11
    assert isa.encode("iu", f, op="imm", dst=1, imm=0xDEADBEEF) == 1 | 1 << 1 | 0xDEADBEEF << 2
    assert isa.encode("iu", f, op=1, imm=-1) == 1 | 0xFFFFFFFF << 2
    assert isa.encode("abu", f, op="bnz", sel0=2, target=63) == 2 | 5 << 4 | 63 << 8
    assert isa.encode("abu", f, op="halt") == 8 << 4
    f8 = _fabric(8, 1024)
    assert isa.encode("iu", f8, op="imm", imm=-128) == 1 | 0x80 << 2
    assert isa.encode("abu", f8, op="loop", target=1000, sel1=1) == 1 << 2 | 7 << 4 | 1000 << 8


def test_all_zero_is_nop():
    f = _fabric()
    for t in ("alu", "mul", "lsu", "iu", "abu"):
        assert isa.encode(t, f) == 0
        assert isa.decode(t, f, 0)["op"] == isa.OPCODES[t]["nop"] == 0
    assert isa.decode("rf", f, 0) == {n: 0 for n, _ in TABLE["rf"]}


@pytest.mark.parametrize("width", [8, 16, 32])
def test_round_trip_random(width):
    rng = np.random.default_rng(SEED + width)
    f = _fabric(width, 256)
    for t in ("alu", "mul", "lsu", "rf", "iu", "abu"):
        for _ in range(200):
            values = {}
            for name, w in isa.fields(t, f):
                if name == "op":
                    values[name] = int(rng.choice(list(isa.OPCODES[t].values())))
                else:
                    values[name] = int(rng.integers(0, 1 << w))
            word = isa.encode(t, f, **values)
            assert 0 <= word < 1 << isa.width(t, f), f"seed {SEED + width}"
            assert isa.decode(t, f, word) == values, f"seed {SEED + width}, {t} {values}"
            # the field positions: rebuild the word from the table's offsets
            rebuilt, offset = 0, 0
            for name, w in isa.fields(t, f):
                rebuilt |= values[name] << offset
                offset += w
            assert rebuilt == word


def test_mnemonic():
    assert isa.mnemonic("abu", 7) == "loop"
    assert isa.mnemonic("lsu", 0) == "nop"
    with pytest.raises(ValueError, match="Illegal alu opcode 22"):
        isa.mnemonic("alu", 22)


def test_illegal_opcodes():
    f = _fabric()
    with pytest.raises(ValueError, match="Illegal alu opcode 22"):
        isa.decode("alu", f, 22 << 5)
    with pytest.raises(ValueError, match="Illegal lsu opcode 9"):
        isa.decode("lsu", f, 9 << 5)
    with pytest.raises(ValueError, match="Illegal abu opcode 15"):
        isa.decode("abu", f, 15 << 4)
    with pytest.raises(ValueError, match="Illegal alu opcode 31"):
        isa.encode("alu", f, op=31)
    with pytest.raises(ValueError, match="Unknown alu operation 'mul'"):
        isa.encode("alu", f, op="mul")


def test_encode_errors():
    f = _fabric(16, 64)
    with pytest.raises(ValueError, match="Unknown alu instruction field 'imm'"):
        isa.encode("alu", f, imm=1)
    with pytest.raises(ValueError, match="Field 'sel0' of an instruction of type alu must be an "
                                         "integer between 0 and 3, not 4"):
        isa.encode("alu", f, sel0=4)
    with pytest.raises(ValueError, match="Field 'dst' .* between 0 and 1, not -1"):
        isa.encode("mul", f, dst=-1)
    with pytest.raises(ValueError, match="Field 'imm' .* between -32768 and 65535, not 65536"):
        isa.encode("iu", f, imm=65536)
    with pytest.raises(ValueError, match="Field 'target' .* between 0 and 63, not 64"):
        isa.encode("abu", f, target=64)
    with pytest.raises(TypeError, match="Field 'raddr'"):
        isa.encode("rf", f, raddr=1.0)
    with pytest.raises(TypeError, match="Field 'rd'"):
        isa.encode("rf", f, rd=True)
    with pytest.raises(ValueError, match="FU type must be one of"):
        isa.encode("fpu", f)
    with pytest.raises(TypeError, match="Fabric must be"):
        isa.fields("alu", {"width": 32})


def test_decode_errors():
    f = _fabric(8, 16)
    with pytest.raises(ValueError, match="between 0 and 1023, not 1024"):
        isa.decode("iu", f, 1 << 10)
    with pytest.raises(ValueError, match="not -1"):
        isa.decode("alu", f, -1)
    with pytest.raises(TypeError, match="instruction word must be an integer"):
        isa.decode("alu", f, "0")


def test_hardware_tables_equal_the_isa():
    # hw may not import sim_models, so it keeps its own copy of the opcodes and widths
    from hw.cgra import decoder

    assert decoder.OPCODES == {t: c for t, c in isa.OPCODES.items() if c}
    assert set(decoder.FU_TYPES) == set(isa.OPCODES)
