"""The synthesis flow: area relations that must hold, exact transistor counts, clear errors, CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from gen.cli import main
from gen.eda import synth as synth_mod
from gen.eda.synth import (
    DEFAULT_LIBERTY_LABEL,
    SynthesisError,
    library_cells,
    nand2_cell,
    resolve_liberty,
    synthesize,
)
from gen.flow.family import instantiate

# all synthesis tests on one xdist worker: they share the cached runs of the fixtures below
pytestmark = pytest.mark.xdist_group("synth")

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EDGEFORGE_SHARED") or ROOT.parent / "shared")
FULL_LIB = SHARED / "pdk" / "sky130_fd_sc_hd" / "sky130hd_tt.lib.gz"
COMPACT = ROOT / "gen" / "eda" / "data" / "sky130_fd_sc_hd_compact.lib"
needs_full = pytest.mark.skipif(
    not FULL_LIB.is_file(),
    reason=f"the full sky130_fd_sc_hd liberty is not here ({FULL_LIB}; shared/ is absent or "
           "EDGEFORGE_SHARED points elsewhere)")

# Yosys' CMOS cost of a positive-edge D flip-flop (kernel/cost.h: $_DFF_P_)
DFF_P_TRANSISTORS = 16


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch):
    for var in ("LIBERTY", "PDK_ROOT", "YOSYS"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("synth")


@pytest.fixture(scope="module")
def run(work):
    """Synthesise a design point once per module (cached by the flow in ``work``)."""
    seen = {}

    def go(name, liberty=None, **params):
        key = (name, liberty, tuple(sorted(params.items())))
        if key not in seen:
            seen[key] = synthesize(instantiate(name, params), liberty=liberty,
                                   build_dir=work / "build", cache_dir=work / "cache")
        return seen[key]

    return go


def _verilog(tmp_path, name, text):
    path = tmp_path / f"{name}.v"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------------
# Library selection and the facts taken from a library


def test_liberty_selection_order(tmp_path, monkeypatch):
    assert resolve_liberty() == COMPACT
    pdk = tmp_path / "pdk"
    lib = pdk / "sky130A/libs.ref/sky130_fd_sc_hd/lib/sky130_fd_sc_hd__tt_025C_1v80.lib"
    lib.parent.mkdir(parents=True)
    lib.write_text("library (x) { }\n")
    monkeypatch.setenv("PDK_ROOT", str(pdk))
    assert resolve_liberty() == lib
    other = tmp_path / "other.lib"
    other.write_text("library (y) { }\n")
    monkeypatch.setenv("LIBERTY", str(other))
    assert resolve_liberty() == other
    assert resolve_liberty(COMPACT) == COMPACT
    monkeypatch.setenv("LIBERTY", str(tmp_path / "gone.lib"))
    with pytest.raises(ValueError, match=r"gone\.lib does not exist"):
        resolve_liberty()
    monkeypatch.delenv("LIBERTY")
    monkeypatch.setenv("PDK_ROOT", str(tmp_path / "nopdk"))
    with pytest.raises(ValueError, match="PDK_ROOT is set but"):
        resolve_liberty()


def test_compact_library_facts():
    cells = library_cells(COMPACT.read_text())
    nand = nand2_cell(cells)
    assert nand.name == "sky130_fd_sc_hd__nand2_1" and nand.area == pytest.approx(3.7536)
    assert cells["sky130_fd_sc_hd__dfxtp_1"].sequential
    assert cells["sky130_fd_sc_hd__dfrtp_1"].sequential
    assert not cells["sky130_fd_sc_hd__nor2_1"].sequential
    assert not any(c.sequential for n, c in cells.items() if "nand" in n or "xor" in n)
    with pytest.raises(SynthesisError, match="no two-input NAND"):
        nand2_cell({n: c for n, c in cells.items() if "nand2" not in n})


@pytest.mark.parametrize("expr,nand", [
    ("!(A&B)", True), ("(!A) | (!B)", True), ("(A B)'", True), ("!A+!B", True),
    ("!(A|B)", False), ("A^B", False), ("!(A*B)", True),
])
def test_nand_recognised_from_the_function(expr, nand):
    cell = synth_mod.LibCell("x", 1.0, False, ("A", "B"), {"Y": expr})
    assert synth_mod._is_nand2(cell) is nand


# --------------------------------------------------------------------------------------------
# Exact figures on tiny hand-written modules


def test_nand_gate_is_four_transistors_one_nand2(tmp_path, work):
    src = _verilog(tmp_path, "nand", "module nand_top(input a, input b, output y);\n"
                   "  assign y = ~(a & b);\nendmodule\n")
    r = synthesize(src, top="nand_top", build_dir=work / "build", cache_dir=work / "cache")
    assert r.transistors == 4
    assert r.logic_depth == 1
    assert r.cells == {"sky130_fd_sc_hd__nand2_1": 1}
    assert r.area_ge == pytest.approx(1.0)
    assert r.liberty == DEFAULT_LIBERTY_LABEL
    assert Path(r.netlist).is_file() and Path(r.netlist_json).is_file()
    assert "sky130_fd_sc_hd__nand2_1" in Path(r.netlist).read_text()
    assert "nand_top" in json.loads(Path(r.netlist_json).read_text())["modules"]


def test_single_flip_flop_costs_what_yosys_charges_for_dff_p(tmp_path, work):
    src = _verilog(tmp_path, "ff", "module ff_top(input clk, input d, output reg q);\n"
                   "  always @(posedge clk) q <= d;\nendmodule\n")
    r = synthesize(src, top="ff_top", build_dir=work / "build", cache_dir=work / "cache")
    assert r.transistors == DFF_P_TRANSISTORS
    assert r.sequential_area_um2 == pytest.approx(r.area_um2) and r.area_um2 > 0
    assert r.cells == {"sky130_fd_sc_hd__dfxtp_1": 1}


# --------------------------------------------------------------------------------------------
# Relations that must hold between design points


def test_per_module_areas_add_up_and_ge_uses_nand2(run):
    r = run("drum", width=16, k=6)
    assert r.top == "drum_u16_k6"
    subs = {name.split(".", 1)[1] for name in r.per_module if "." in name}
    assert subs == {"lod_a", "enc_a", "sel_a", "lod_b", "enc_b", "sel_b", "mul", "shift"}
    assert all(m["instances"] == 1 for m in r.per_module.values())
    total = sum(m["area_um2"] * m["instances"] for m in r.per_module.values())
    assert total == pytest.approx(r.area_um2, rel=1e-9)
    assert sum(m["transistors"] * m["instances"] for m in r.per_module.values()) \
        == r.transistors
    assert sum(m["cells"] * m["instances"] for m in r.per_module.values()) == r.num_cells
    assert r.area_ge == pytest.approx(r.area_um2 / r.nand2_area_um2, rel=1e-6)
    assert r.sequential_area_um2 == 0
    assert r.logic_depth > 5
    # the two operand paths are the same hardware
    assert r.per_module["drum_u16_k6.lod_a"]["area_um2"] \
        == r.per_module["drum_u16_k6.lod_b"]["area_um2"]
    d = r.to_dict()
    for key in ("area_um2", "area_ge", "cells", "sequential_area_um2", "transistors",
                "logic_depth", "critical_path_ns", "critical_path_note", "abc_delay_ns",
                "liberty", "per_module", "top", "netlist", "netlist_json"):
        assert key in d
    json.dumps(d)


def test_critical_path_estimate(run, tmp_path, work):
    small, big = run("drum", width=8, k=4), run("drum", width=16, k=6)
    assert 0.5 < small.critical_path_ns < big.critical_path_ns < 50
    assert "NLDM estimate" in big.critical_path_note
    piped = run("exact", width=8, latency=1)
    assert "dfxtp" in piped.critical_path_note  # the path ends at a pipeline register
    src = _verilog(tmp_path, "nand", "module nand_top(input a, input b, output y);\n"
                   "  assign y = ~(a & b);\nendmodule\n")
    one = synthesize(src, top="nand_top", build_dir=work / "build", cache_dir=work / "cache")
    assert 0.005 < one.critical_path_ns < 0.2  # one lightly loaded NAND2


def test_library_without_delay_tables_gives_no_critical_path_and_says_why(tmp_path, work):
    lib = tmp_path / "notiming.lib"
    _drop_groups(COMPACT, lib, r"timing\s*\(\s*\)", lambda body: True)
    r = synthesize(instantiate("exact", {"width": 4}), liberty=lib, build_dir=work / "b",
                   cache_dir=work / "cache")
    assert r.area_um2 > 0
    assert r.critical_path_ns is None and r.abc_delay_ns is None
    assert "no delay tables" in r.critical_path_note


def test_area_relations(run):
    assert run("exact", width=16).area_um2 > run("exact", width=8).area_um2 > 0
    assert run("drum", width=16, k=4).area_um2 < run("drum", width=16, k=8).area_um2
    assert run("roup", width=16, p=2, r=4).area_um2 < run("roup", width=16, p=0, r=0).area_um2
    assert run("drum", width=16, k=6).area_um2 < run("exact", width=16).area_um2


def test_pipeline_registers_are_sequential_area(run):
    comb = run("exact", width=8)
    piped = run("exact", width=8, latency=1)
    assert comb.sequential_area_um2 == 0
    assert piped.sequential_area_um2 > 0
    assert piped.cells.get("sky130_fd_sc_hd__dfxtp_1", 0) >= 16  # the 16-bit product
    assert piped.area_um2 == pytest.approx(comb.area_um2 + piped.sequential_area_um2, rel=0.15)
    # ABC maps the combinational part a little differently each time: no exact sum here
    assert piped.transistors > comb.transistors
    assert piped.per_module["mul_array_u8_l1"]["transistors"] >= 16 * DFF_P_TRANSISTORS


def test_rerun_comes_from_the_cache(work, run):
    first = run("drum", width=16, k=6)
    t0 = time.perf_counter()
    again = synthesize(instantiate("drum", {"width": 16, "k": 6}), build_dir=work / "build2",
                       cache_dir=work / "cache")
    assert again.cached and time.perf_counter() - t0 < 10
    assert again.area_um2 == first.area_um2 and again.per_module == first.per_module
    assert Path(again.netlist).is_file() and str(work / "build2") in again.netlist


@needs_full
def test_full_library_maps_without_lpflow_cells(run):
    r = run("drum", liberty=str(FULL_LIB), width=16, k=6)
    assert r.liberty == str(FULL_LIB)
    assert r.nand2_cell == "sky130_fd_sc_hd__nand2_1"
    assert r.area_um2 > 0 and not any("lpflow" in c for c in r.cells)
    compact = run("drum", width=16, k=6)
    assert r.transistors == compact.transistors  # generic mapping: library-independent
    assert 0.8 < r.area_um2 / compact.area_um2 < 1.25


@pytest.mark.skipif(shutil.which("yosys") is None, reason="no native yosys on PATH")
def test_native_yosys_gives_a_critical_path(tmp_path, monkeypatch):
    monkeypatch.setenv("YOSYS", "yosys")
    r = synthesize(instantiate("drum", {"width": 8, "k": 4}), build_dir=tmp_path / "b",
                   cache_dir=tmp_path / "c")
    assert r.abc_delay_ns is not None and 0.1 < r.abc_delay_ns < 50
    # two estimates of the same kind of path: the same order of magnitude
    assert 0.5 < r.critical_path_ns / r.abc_delay_ns < 2


# --------------------------------------------------------------------------------------------
# Errors


def test_missing_or_bad_liberty_is_a_clear_error(tmp_path, work):
    inst = instantiate("drum", {"width": 8, "k": 4})
    with pytest.raises(ValueError, match=r"liberty file .*nope\.lib does not exist"):
        synthesize(inst, liberty=tmp_path / "nope.lib", build_dir=work / "b",
                   cache_dir=work / "cache")
    junk = tmp_path / "junk.lib"
    junk.write_text("this is not liberty\n")
    with pytest.raises(ValueError, match=r"junk\.lib has no library group"):
        synthesize(inst, liberty=junk, build_dir=work / "b", cache_dir=work / "cache")


def test_verilog_file_needs_a_top_and_must_exist(tmp_path):
    with pytest.raises(ValueError, match="needs the top module name"):
        synthesize(tmp_path / "x.v")
    with pytest.raises(ValueError, match=r"x\.v does not exist"):
        synthesize(tmp_path / "x.v", top="x")


def test_unknown_yosys_executable(monkeypatch):
    monkeypatch.setenv("YOSYS", "/nonexistent/yosys")
    with pytest.raises(ValueError, match="Yosys executable /nonexistent/yosys"):
        synthesize(instantiate("drum", {"width": 8, "k": 4}))


def _drop_groups(src: Path, dst: Path, head: str, drop) -> None:
    """Copy a liberty without the groups ``head {...}`` whose text satisfies ``drop``."""
    text = src.read_text()
    out, pos = [], 0
    for m in re.finditer(r"(?<![\w])" + head + r"\s*\{", text):
        if m.start() < pos:
            continue
        depth, i = 0, m.end() - 1
        while True:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        if drop(text[m.start():i]):
            out.append(text[pos:m.start()])
            pos = i + 1
    out.append(text[pos:])
    dst.write_text("".join(out))


def _without_flip_flops(src: Path, dst: Path) -> None:
    """Copy a liberty without its flip-flop and latch cells."""
    _drop_groups(src, dst, r'cell\s*\(\s*"?[^"\s)]+"?\s*\)',
                 lambda body: re.search(r"(?<![\w])(ff|latch)\s*\(", body) is not None)


def test_library_without_flip_flops_fails_clearly_for_a_pipelined_design(tmp_path, work):
    lib = tmp_path / "noff.lib"
    _without_flip_flops(COMPACT, lib)
    assert not any(c.sequential for c in library_cells(lib.read_text()).values())
    with pytest.raises(SynthesisError) as info:
        synthesize(instantiate("exact", {"width": 4, "latency": 1}), liberty=lib,
                   build_dir=work / "b", cache_dir=work / "cache")
    msg = str(info.value)
    assert "mul_array_u4_l1" in msg and "synth.log" in msg
    assert "flip-flop" in msg or "not in liberty file" in msg
    # a combinational design does not need flip-flops
    r = synthesize(instantiate("exact", {"width": 4}), liberty=lib, build_dir=work / "b",
                   cache_dir=work / "cache")
    assert r.area_um2 > 0 and r.sequential_area_um2 == 0


# --------------------------------------------------------------------------------------------
# Command line


def test_cli_synth_json_and_summary(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["synth", "drum", "-p", "width=8", "-p", "k=4", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    d = json.loads(out)
    assert d["top"] == "drum_u8_k4" and d["area_um2"] > 0
    assert d["liberty"] == DEFAULT_LIBERTY_LABEL
    assert (tmp_path / "build/synth/drum_u8_k4/netlist.v").is_file()
    assert (tmp_path / "build/synth/drum_u8_k4/result.json").is_file()
    code = main(["synth", "drum", "-p", "width=8", "-p", "k=4"])
    out, _ = capsys.readouterr()
    assert code == 0
    for text in ("um^2", "GE", "sequential area", "transistors", "logic depth",
                 "critical path", "drum_u8_k4.mul", "liberty: embedded"):
        assert text in out


def test_cli_synth_all_writes_the_summary(capsys, tmp_path, monkeypatch):
    import gen.flow.family

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(gen.flow.family, "default_set",
                        lambda: [("drum", {"width": 8, "k": 4}), ("exact", {"width": 4})])
    code = main(["synth", "--all", "-o", "out"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads((tmp_path / "out/summary.json").read_text())
    assert [d["top"] for d in summary["designs"]] == ["drum_u8_k4", "mul_array_u4"]
    md = (tmp_path / "out/summary.md").read_text()
    assert "| drum_u8_k4 |" in md and "| mul_array_u4 |" in md


@pytest.mark.parametrize("argv,message", [
    (["synth"], "give a design name or --all"),
    (["synth", "drum", "--all"], "give a design or --all, not both"),
    (["synth", "--all", "-p", "k=4"], "-p does not apply to --all"),
    (["synth", "nosuch"], "Unknown design 'nosuch'"),
    (["synth", "drum", "-p", "k=99"], "K must be an integer between 3 and 15"),
    (["synth", "drum", "--liberty", "missing.lib"], "liberty file missing.lib does not exist"),
])
def test_cli_synth_bad_input_exits_2_with_one_line(capsys, tmp_path, monkeypatch, argv,
                                                   message):
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("edgeforge: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "build").exists()


def test_cli_synth_failure_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _without_flip_flops(COMPACT, tmp_path / "noff.lib")
    code = main(["synth", "exact", "-p", "width=4", "-p", "latency=1", "--liberty",
                 "noff.lib"])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("edgeforge: synthesis failed: ")
