"""``edgeforge asm``: images written, layout listed, bad input one line on stderr, exit 2."""

from __future__ import annotations

import json

import pytest

from gen.cli import main
from sim_models.cgra import config
from sim_models.cgra.asm import assemble
from sim_models.cgra.fabric import Fabric
from sim_models.cgra.programs import kernel

SMALL = Fabric.builtin("small")

SMALL_TOML = """
name = "tiny"
width = 16
imem_depth = 16

[network]
kind = "crossbar"

[[fu]]
name = "abu0"
type = "abu"
[[fu]]
name = "iu0"
type = "iu"
[[fu]]
name = "alu0"
type = "alu"
[[fu]]
name = "lsu0"
type = "lsu"
mem_bytes = 64

[[id]]
name = "c_abu"
fus = ["abu0"]
[[id]]
name = "c_iu"
fus = ["iu0"]
[[id]]
name = "c_alu"
fus = ["alu0"]
[[id]]
name = "c_lsu"
fus = ["lsu0"]
"""

PROGRAM = """.fabric tiny
.columns c_abu c_iu c_alu c_lsu
      nop  | imm 5 | nop                      | nop
      nop  | imm 2 | add iu0.out0, alu0.out0  | nop
      halt |       | nop                      | st16 iu0.out0, alu0.out0
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kernel_by_name_writes_the_images(capsys, tmp_path):
    out_dir = tmp_path / "dot"
    code, out, err = run(capsys, "asm", "dot", "--fabric", "small", "-o", str(out_dir))
    assert code == 0 and err == ""
    prog = kernel("dot").assemble(SMALL)
    assert f"{prog.rows} rows, configuration {config.length(SMALL)} bits" in out
    assert int((out_dir / "config.hex").read_text(), 16) == prog.config
    for ident in SMALL.ids:
        words = (out_dir / f"imem_{ident.name}.hex").read_text().split()
        assert [int(w, 16) for w in words] == prog.imems[ident.name]
    data = json.loads((out_dir / "program.json").read_text())
    assert data["rows"] == prog.rows and int(data["config"], 16) == prog.config
    assert data["fabric"] == SMALL.to_dict()


def test_file_program_and_toml_fabric(capsys, tmp_path):
    fab = tmp_path / "tiny.toml"
    fab.write_text(SMALL_TOML)
    src = tmp_path / "p.pasm"
    src.write_text(PROGRAM)
    code, out, _ = run(capsys, "asm", str(src), "--fabric", str(fab), "-o", str(tmp_path / "o"))
    assert code == 0
    from sim_models.cgra.fabric_file import load

    tiny = load(str(fab))
    assert tiny.width == 16 and tiny.name == "tiny"
    prog = assemble(PROGRAM, tiny)
    assert int((tmp_path / "o" / "config.hex").read_text(), 16) == prog.config
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == sorted(
        ["config.hex", "config.txt", "program.json"] + [f"imem_{i.name}.hex" for i in tiny.ids])


def test_list_fields_prints_the_layout(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "asm", "--fabric", "default", "--list-fields")
    assert code == 0
    fabric = Fabric.builtin("default")
    lines = [ln.split() for ln in out.splitlines() if not ln.startswith("#")]
    fields = [tuple(ln) for ln in lines if len(ln) == 3]
    assert fields == [(f.name, str(f.offset), str(f.width)) for f in config.layout(fabric)]
    assert any(ln.startswith("alu 10: sel0:2, sel1:2, dst:1, op:5") for ln in out.splitlines())
    code, out, _ = run(capsys, "asm", "vadd", "--fabric", "small", "--list-fields")
    prog = kernel("vadd").assemble(SMALL)
    values = {ln.split()[0]: int(ln.split()[3]) for ln in out.splitlines()
              if len(ln.split()) == 4 and not ln.startswith("#")}
    assert values == prog.config_values
    assert list(tmp_path.iterdir()) == []


BAD_PROGRAMS = [
    (".columns c_abu\n  jmp x\n", 2, 3, "unknown mnemonic 'jmp' for abu ID c_abu"),
    (".fabric default\n.columns c_abu\n halt\n", 1, 9,
     "program is for fabric 'default', not 'small'"),
]


@pytest.mark.parametrize("text,line,col,message", BAD_PROGRAMS)
def test_bad_program_is_one_located_line(capsys, tmp_path, monkeypatch, text, line, col,
                                         message):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "bad.pasm"
    src.write_text(text)
    code, out, err = run(capsys, "asm", "bad.pasm", "--fabric", "small", "-o", "o")
    assert code == 2
    assert err.startswith(f"bad.pasm:{line}:{col}: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["bad.pasm"]


BAD_USAGE = [
    (["asm", "nosuch", "--fabric", "small"],
     "program nosuch is neither a file nor a kernel (dot, fir, gemm, vadd, conv3x3)"),
    (["asm", "dot", "--fabric", "huge"],
     "Fabric must be one of default, small or a .toml file, not 'huge'"),
    (["asm", "dot", "--fabric", "missing.toml"], "fabric file missing.toml does not exist"),
    (["asm", "--fabric", "small"], "give a program (a .pasm file or a kernel name)"),
    (["asm", "dot", "--fabric", "small", "--list-fields", "-o", "x"],
     "--list-fields writes nothing"),
]


@pytest.mark.parametrize("argv,message", BAD_USAGE, ids=[m[:30] for _, m in BAD_USAGE])
def test_bad_usage_is_one_line_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("edgeforge: error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_bad_toml_names_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    code, _, err = run(capsys, "asm", "dot", "--fabric", str(bad))
    assert code == 2 and f"{bad}: invalid TOML" in err and err.count("\n") == 1
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(SMALL_TOML.replace("width = 16", "width = 12"))
    code, _, err = run(capsys, "asm", "dot", "--fabric", str(wrong))
    assert code == 2 and f"{wrong}: " in err and "12" in err


def test_missing_fabric_option_exits_2(capsys):
    assert main(["asm", "dot"]) == 2
    err = capsys.readouterr().err
    assert "--fabric" in err and err.count("\n") == 1


def test_kernel_on_a_16_bit_fabric_is_rejected_with_its_position(capsys, tmp_path):
    fab = tmp_path / "small16.toml"
    d = SMALL.to_dict()
    lines = ['name = "small16"', "width = 16", "imem_depth = 64", "[network]",
             'kind = "crossbar"']
    for f in d["fu"]:
        lines.append("[[fu]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in f.items()]
    for i in d["id"]:
        lines += ["[[id]]", f'name = "{i["name"]}"', f"fus = {json.dumps(i['fus'])}"]
    fab.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "asm", "dot", "--fabric", str(fab), "-o", str(tmp_path / "o"))
    assert code == 2
    path = str(kernel("dot").path)
    assert err.startswith(f"{path}:") and "'ld32' needs a data width of at least 32 bits; " \
        "fabric small16 has 16" in err
    assert not (tmp_path / "o").exists()
