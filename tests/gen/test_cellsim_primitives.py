"""gen.eda.cellsim with ``primitives=True``: the primitive tables give every combinational
output the value of the ``assign`` models for every 0/1/x/z input combination (Icarus), and
:func:`gen.eda.liberty.evaluate_function_verilog` follows Verilog's 4-state operators."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gen.eda.cellsim import MAX_PRIMITIVE_INPUTS, cell_model, cell_models
from gen.eda.liberty import default_library_path, evaluate_function_verilog, load

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EDGEFORGE_SHARED") or ROOT.parent / "shared")
FULL_LIB = SHARED / "pdk" / "sky130_fd_sc_hd" / "sky130hd_tt.lib.gz"


def _combinational(lib, most: int):
    """Cells with outputs and without state, their inputs and outputs (at most ``most``
    inputs)."""
    out = []
    for name in sorted(lib.cells):
        cell = lib.cells[name]
        if cell.sequential or cell.ff is not None or cell.latch is not None:
            continue
        ins = [p.name for p in cell.pins.values() if p.direction == "input"]
        outs = [p.name for p in cell.pins.values() if p.direction == "output" and p.function]
        if outs and 0 < len(ins) <= most:
            try:
                cell_model(cell)
            except ValueError:
                continue
            out.append((name, ins, outs))
    return out


def _bench(cells) -> str:
    """Every cell driven through all 0/1/x/z combinations of its inputs; outputs printed."""
    lines = ["`timescale 1ns/1ps", "module tb;"]
    body = []
    for k, (name, ins, outs) in enumerate(cells):
        lines += [f"  reg [{len(ins) - 1}:0] i{k};" if ins else "",
                  f"  wire [{len(outs) - 1}:0] o{k};",
                  f"  {name} u{k} (" + ", ".join(
                      [f".{p}(i{k}[{j}])" for j, p in enumerate(ins)]
                      + [f".{p}(o{k}[{j}])" for j, p in enumerate(outs)]) + ");"]
        for combo in itertools.product("01xz", repeat=len(ins)):
            if ins:
                body.append(f"    i{k} = {len(ins)}'b{''.join(reversed(combo))}; #1 "
                            f"$display(\"{name} {''.join(combo)} %b\", o{k});")
    return "\n".join(lines + ["  initial begin", *body, "    $finish;", "  end",
                              "endmodule", ""])


def _run(tmp: Path, models: str, bench: str) -> list[str]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "models.v").write_text(models)
    (tmp / "tb.v").write_text(bench)
    comp = subprocess.run(["iverilog", "-g2005", "-o", str(tmp / "sim.vvp"),
                           str(tmp / "models.v"), str(tmp / "tb.v")],
                          capture_output=True, text=True, check=False)
    assert comp.returncode == 0, comp.stderr[-3000:]
    run = subprocess.run(["vvp", "-n", str(tmp / "sim.vvp")], capture_output=True, text=True,
                         check=False, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.splitlines()


@pytest.mark.parametrize("which", ["compact", pytest.param("full", marks=pytest.mark.slow)])
def test_primitives_equal_assignments(which, tmp_path):
    if shutil.which("iverilog") is None or shutil.which("vvp") is None:
        pytest.skip("Icarus Verilog (iverilog, vvp) is not on PATH")
    if which == "full" and not FULL_LIB.is_file():
        pytest.skip(f"full sky130 liberty not found at {FULL_LIB}")
    lib = load(default_library_path() if which == "compact" else FULL_LIB)
    cells = _combinational(lib, 6)
    names = [c[0] for c in cells]
    udp = cell_models(lib, names, primitives=True)
    assert udp.count("primitive ") > len(cells) // 2  # most outputs are tables
    plain = _run(tmp_path / "plain", cell_models(lib, names), _bench(cells))
    table = _run(tmp_path / "udp", udp, _bench(cells))
    assert len(plain) == sum(4 ** len(c[1]) for c in cells)
    assert table == plain


def test_sequential_cells_unchanged():
    lib = load(default_library_path())
    for cell in lib.cells.values():
        if cell.ff is not None or cell.latch is not None:
            assert cell_model(cell, primitives=True) == cell_model(cell)


def test_verilog_four_state_operators():
    assert evaluate_function_verilog("A & B", {"A": "0", "B": "x"}) == "0"
    assert evaluate_function_verilog("A & B", {"A": "1", "B": "z"}) == "x"
    assert evaluate_function_verilog("A | B", {"A": "1", "B": "x"}) == "1"
    assert evaluate_function_verilog("!(A | B)", {"A": "0", "B": "0"}) == "1"
    assert evaluate_function_verilog("A ^ B", {"A": "1", "B": "x"}) == "x"
    assert evaluate_function_verilog("A ^ B", {"A": "1", "B": "0"}) == "1"
    # pessimistic as Verilog, not exact: A | !A with A = x is x
    assert evaluate_function_verilog("A | !A", {"A": "x"}) == "x"
    assert MAX_PRIMITIVE_INPUTS >= 6
