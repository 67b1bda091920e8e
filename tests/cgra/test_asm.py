"""PASM assembler (sim_models/cgra/asm.py): encoding, slots, images, and every checked error."""

from __future__ import annotations

import pytest

from sim_models.cgra import config, isa
from sim_models.cgra.asm import AsmError, Program, assemble
from sim_models.cgra.fabric import Fabric
from sim_models.cgra.model import CGRAModel

SMALL = Fabric.builtin("small")


def variant(**changes) -> Fabric:
    d = SMALL.to_dict()
    d.update(changes)
    return Fabric.from_dict(d)


def words(prog: Program, ident: str) -> list[dict]:
    """Decode the image of one ID with sim_models.cgra.isa (independent of the assembler)."""
    t = SMALL.id(ident).type
    return [isa.decode(t, prog.fabric, w) for w in prog.imems[ident]]


def test_fields_slots_and_configuration_of_a_small_program():
    text = """
    .columns c_iu0 c_alu0 c_lsu0 c_abu
    start:  imm 0x10 -> out1 | nop                                 | nop              | nop
            imm -1           | add iu0.out1, alu0.out0 -> out1     | ld32 iu0.out1    | nop
            imm start        | sub alu0.out1, iu0.out0             | st8 alu0.out0, lsu0.out0 | halt
    """
    prog = assemble(text, SMALL, "t.pasm")
    assert prog.rows == 3 and prog.labels == {"start": 0}
    assert set(prog.imems) == {i.name for i in SMALL.ids}
    assert all(len(w) == 3 for w in prog.imems.values())
    assert prog.imems["c_rf"] == [0, 0, 0]
    iu = words(prog, "c_iu0")
    assert [(d["op"], d["dst"], d["imm"]) for d in iu] == [(1, 1, 16), (1, 0, 2**32 - 1),
                                                             (1, 0, 0)]
    alu = words(prog, "c_alu0")
    ops = isa.OPCODES["alu"]
    assert alu[0] == {"sel0": 0, "sel1": 0, "dst": 0, "op": 0}
    # in0: iu0.out1 (slot 0) then alu0.out1 (slot 1); in1: alu0.out0 (0) then iu0.out0 (1)
    assert alu[1] == {"sel0": 0, "sel1": 0, "dst": 1, "op": ops["add"]}
    assert alu[2] == {"sel0": 1, "sel1": 1, "dst": 0, "op": ops["sub"]}
    assert prog.slots[("alu0", 0)] == [("iu0", 1), ("alu0", 1)]
    assert prog.slots[("alu0", 1)] == [("alu0", 0), ("iu0", 0)]
    lsu = words(prog, "c_lsu0")
    assert lsu[1]["op"] == isa.OPCODES["lsu"]["ld32"] and lsu[1]["sel0"] == 0
    assert lsu[2] == {"sel0": 1, "sel1": 0, "dst": 0, "op": isa.OPCODES["lsu"]["st8"]}
    assert words(prog, "c_abu")[2]["op"] == isa.OPCODES["abu"]["halt"]
    # the configuration connects every slot to its source and every FU to its ID
    assert prog.config == config.encode(SMALL, prog.config_values)
    traced = config.sources(SMALL, config.decode(SMALL, prog.config))
    for (fu, i), srcs in prog.slots.items():
        for k in range(4):
            assert traced[(fu, i, k)] == (srcs[k] if k < len(srcs) else None)
    for fu in SMALL.fus:
        name = f"ctrl.{fu.name}"
        if name in prog.config_values:
            ids = [d.name for d in SMALL.ids_of_type(fu.type)]
            assert ids[prog.config_values[name]] == SMALL.id_of(fu.name).name


def test_simd_operands_share_the_slot_of_each_lane():
    text = """.columns c_alu23 c_mul01
    add [alu2.out0, alu3.out1], iu0.out0 | mul [lsu0.out0, lsu1.out0], rf0.out0
    add [alu3.out0, alu2.out0], iu0.out0 | mul [lsu0.out0, lsu1.out0], [rf0.out0, iu1.out0]
    """
    prog = assemble(text, SMALL)
    assert prog.slots[("alu2", 0)] == [("alu2", 0), ("alu3", 0)]
    assert prog.slots[("alu3", 0)] == [("alu3", 1), ("alu2", 0)]
    assert prog.slots[("alu2", 1)] == prog.slots[("alu3", 1)] == [("iu0", 0)]
    assert prog.slots[("mul1", 1)] == [("rf0", 0), ("iu1", 0)]
    assert [d["sel0"] for d in words(prog, "c_alu23")] == [0, 1]
    assert [d["sel1"] for d in words(prog, "c_mul01")] == [0, 1]


def test_rf_abu_forms_and_labels_as_targets():
    text = """.columns c_rf c_abu
    top:  rd r3 -> out1          | setl rf0.out1
          wr r15, alu0.out0      | bz abu0.out0, end
          rw r1, r2, lsu0.out1   | nop
          nop                    | nop
    end:                         # a label alone names the next row
          nop                    | loop top
          nop | nop
          nop | nop
          nop | call 1
    """
    prog = assemble(text, SMALL)
    assert prog.labels == {"top": 0, "end": 4}
    rf = words(prog, "c_rf")
    assert (rf[0]["rd"], rf[0]["wr"], rf[0]["raddr"], rf[0]["dst"]) == (1, 0, 3, 1)
    assert (rf[1]["rd"], rf[1]["wr"], rf[1]["waddr"]) == (0, 1, 15)
    assert (rf[2]["rd"], rf[2]["wr"], rf[2]["raddr"], rf[2]["waddr"], rf[2]["sel0"]) == \
        (1, 1, 1, 2, 1)
    abu = words(prog, "c_abu")
    ops = isa.OPCODES["abu"]
    assert (abu[1]["op"], abu[1]["target"]) == (ops["bz"], 4)
    assert (abu[4]["op"], abu[4]["target"]) == (ops["loop"], 0)
    assert (abu[7]["op"], abu[7]["target"]) == (ops["call"], 1)


def test_assembled_loop_runs_on_the_model():
    # sum of 1..10 with the loop counter as the addend: 10 + 9 + ... + 1 = 55
    text = """.columns c_abu c_iu0 c_alu0 c_lsu0
          nop            | imm 10 | nop                          | nop
          setl iu0.out0  | imm 0  | nop                          | nop
    top:  loop top       |        | add alu0.out0, abu0.out0     |
          nop            |        |                              |
          nop            |        |                              |
          halt           |        |                              | st32 iu0.out0, alu0.out0
    """
    prog = assemble(text, SMALL)
    trace = CGRAModel(SMALL).run(prog.config, prog.imems)
    assert int.from_bytes(bytes(trace.memories["lsu0"][:4]), "little") == sum(range(1, 11))
    assert trace.halted


BAD = [
    (".fabric default\n", 1, 9, "program is for fabric 'default', not 'small'"),
    (".colums c_abu\n", 1, 1, "unknown directive '.colums'"),
    (".columns c_abu c_nope\n", 1, 16, "unknown ID 'c_nope' in .columns"),
    (".columns c_abu c_abu\n", 1, 16, "ID 'c_abu' is listed twice"),
    ("nop\n", 1, 1, "a row before .columns"),
    (".columns c_abu c_alu0\nnop | nop | nop\n", 2, 12, "row has 3 cells, .columns names 2"),
    (".columns c_abu c_alu0\n  nop\n", 2, 3, "row has 1 cells, .columns names 2"),
    (".columns c_alu0\n  mul alu0.out0, alu0.out0\n", 2, 3,
     "unknown mnemonic 'mul' for alu ID c_alu0"),
    (".columns c_abu\n  add\n", 2, 3, "unknown mnemonic 'add' for abu ID c_abu"),
    (".columns c_alu0\n  add alu9.out0, alu0.out0\n", 2, 7, "unknown unit 'alu9'"),
    (".columns c_alu0\n  add alu0.out0, alu1.out2\n", 2, 23,
     "unknown port 'out2' of alu1 (valid: out0, out1)"),
    (".columns c_alu0\n  add alu0.out0\n", 2, 3, "'add' takes 2 operands, not 1"),
    (".columns c_alu0\n  add alu0.out0, alu0.out0 -> out3\n", 2, 31,
     "destination must be '-> out0' or '-> out1'"),
    (".columns c_alu23\n  pass [alu0.out0, alu1.out0, alu2.out0]\n", 2, 8,
     "operand list has 3 entries; ID c_alu23 has 2 lanes"),
    (".columns c_alu0\n  pass [alu0.out0, alu1.out0]\n", 2, 8,
     "operand list has 2 entries; ID c_alu0 has 1 lane"),
    (".columns c_alu0\n pass alu0.out0\n pass alu1.out0\n pass alu2.out0\n pass alu3.out0\n"
     " pass alu0.out0\n pass mul0.out0\n", 7, 7,
     "more than 4 distinct sources on input alu0.in0"),
    (".columns c_alu23\n pass [alu0.out0, alu1.out0]\n pass [alu1.out0, alu0.out0]\n"
     " pass alu0.out0\n pass [alu0.out0, alu2.out0]\n pass [alu0.out0, alu3.out0]\n", 6, 7,
     "more than 4 distinct sources on input alu2.in0, alu3.in0"),
    (".columns c_iu0\n  imm 0x100000000\n", 2, 7, "immediate 0x100000000 out of range for "
     "W = 32 (-2147483648..4294967295)"),
    (".columns c_iu0\n  imm -2147483649\n", 2, 7, "out of range for W = 32"),
    (".columns c_abu\n  jump nowhere\n", 2, 8, "undefined label 'nowhere'"),
    (".columns c_iu0\n  imm later\n", 2, 7, "undefined label 'later'"),
    (".columns c_abu\nx: nop\nx: nop\n", 3, 1, "duplicate label 'x' (first defined on line 2)"),
    (".columns c_abu\n  jump 64\n", 2, 8, "branch target 64 outside 0..63"),
    (".columns c_abu\n" + "  nop\n" * 64 + "  halt\n", 66, 3,
     "program longer than imem_depth: row 65 does not fit the 64 instructions"),
    (".columns c_abu\n  jump a\n  nop\na: loop a\n", 4, 4,
     "'loop' in a branch delay slot of the 'jump' on line 2"),
    (".columns c_abu\n  bz iu0.out0, a\na: ret\n", 3, 4,
     "'ret' in a branch delay slot of the 'bz' on line 2"),
    (".columns c_lsu0\n  st32 alu0.out0, alu0.out0 -> out0\n", 2, 32, "'st32' writes no output"),
    (".columns c_rf\n  rd r16\n", 2, 6, "expected a register r0..r15, found 'r16'"),
    (".columns c_alu0\n  add alu0.out0 alu0.out0\n", 2, 17, "expected ',' between operands"),
    (".columns c_alu0\n  add alu0.out0, 3\n", 2, 18, "expected a source unit.port"),
    (".columns c_alu0\n  add alu0.out0, $\n", 2, 18, "unexpected character '$'"),
    ("# nothing\n", 1, 1, "the program has no rows"),
]


@pytest.mark.parametrize("text,line,col,message", BAD,
                         ids=[m.split("'")[0].strip()[:40] + f"@{li}:{co}"
                              for _, li, co, m in BAD])
def test_errors_name_file_line_and_column(text, line, col, message):
    with pytest.raises(AsmError) as info:
        assemble(text, SMALL, "prog.pasm")
    e = info.value
    assert (e.file, e.line, e.col) == ("prog.pasm", line, col), str(e)
    assert message in e.message
    assert str(e).startswith(f"prog.pasm:{line}:{col}: ")


def test_immediate_range_follows_the_data_width():
    w8 = variant(name="w8", width=8)
    for value, pattern in (("255", 255), ("-128", 128), ("0x80", 128), ("0b101", 5)):
        prog = assemble(f".columns c_iu0\n imm {value}\n", w8)
        assert isa.decode("iu", w8, prog.imems["c_iu0"][0])["imm"] == pattern
    for value in ("256", "-129"):
        with pytest.raises(AsmError, match=rf"immediate {value} out of range for W = 8 "
                                           r"\(-128\.\.255\)"):
            assemble(f".columns c_iu0\n imm {value}\n", w8)


@pytest.mark.parametrize("width,mnemonic,ok", [
    (16, "ld32", False), (16, "st32", False), (16, "ld16", True), (16, "ldu16", True),
    (8, "ld16", False), (8, "st16", False), (8, "ldu8", True), (32, "ld32", True),
])
def test_accesses_wider_than_the_data_width_are_rejected(width, mnemonic, ok):
    fab = variant(name=f"w{width}", width=width)
    operands = "alu0.out0, alu0.out0" if mnemonic.startswith("st") else "alu0.out0"
    text = f".columns c_lsu0\n  {mnemonic} {operands}\n"
    if ok:
        assert assemble(text, fab).rows == 1
    else:
        with pytest.raises(AsmError) as info:
            assemble(text, fab, "w.pasm")
        assert (info.value.line, info.value.col) == (2, 3)
        assert info.value.message == (f"'{mnemonic}' needs a data width of at least "
                                      f"{mnemonic[-2:]} bits; fabric w{width} has {width}")


def test_delay_slots_allow_non_transfers_and_halt():
    text = ".columns c_abu\n  loop a\na: halt\n  nop\n  jump a\n"
    prog = assemble(text, SMALL)  # the jump is 3 rows after the loop: legal
    assert prog.rows == 4


def test_comments_and_empty_cells():
    text = "// header\n.columns c_abu c_iu0   # two columns\n   |   // both nop\nhalt | imm 1\n"
    prog = assemble(text, SMALL)
    assert prog.imems["c_abu"][0] == 0 and prog.imems["c_iu0"][0] == 0


def test_program_write_round_trips(tmp_path):
    text = ".columns c_iu0 c_alu0 c_abu\n imm 7 | pass iu0.out0 | nop\n | | halt\n"
    prog = assemble(text, SMALL, "w.pasm")
    files = prog.write(tmp_path / "out")
    names = {p.name for p in files}
    assert {"config.hex", "config.txt", "program.json"} <= names
    assert {f"imem_{i.name}.hex" for i in SMALL.ids} <= names
    assert int((tmp_path / "out" / "config.hex").read_text(), 16) == prog.config
    rows = [line.split() for line in (tmp_path / "out" / "config.txt").read_text().splitlines()]
    assert [(n, int(o), int(w)) for n, o, w, _ in rows] == \
        [tuple(f) for f in config.layout(SMALL)]
    assert {n: int(v) for n, _, _, v in rows} == prog.config_values
    for ident in SMALL.ids:
        text = (tmp_path / "out" / f"imem_{ident.name}.hex").read_text().split()
        assert [int(w, 16) for w in text] == prog.imems[ident.name]


def test_type_errors():
    with pytest.raises(TypeError, match="Program text must be a str"):
        assemble(b".columns c_abu\n", SMALL)
    with pytest.raises(TypeError, match="Fabric must be"):
        assemble(".columns c_abu\n halt\n", "small")
