"""gen.eda.netlist: structural netlists read through Yosys into instances and nets."""

from __future__ import annotations

from pathlib import Path

import pytest

from gen.eda import liberty
from gen.eda.netlist import NetlistError, cell_stubs, load_netlist

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GCD = SHARED / "reference" / "gcd" / "gcd_sky130hd.v"
FULL = SHARED / "pdk" / "sky130_fd_sc_hd" / "sky130hd_tt.lib.gz"

NAND = "sky130_fd_sc_hd__nand2_1"
INV = "sky130_fd_sc_hd__inv_1"
DFF = "sky130_fd_sc_hd__dfxtp_1"


@pytest.fixture(scope="module")
def lib():
    return liberty.load(liberty.default_library_path())


HIER = f"""
module leaf_pair(input x, input y, output z);
  wire n;
  {NAND} g0 (.A(x), .B(y), .Y(n));
  {INV} g1 (.A(n), .Y(z));
endmodule
module top(input clk, input [1:0] a, output q, output [1:0] o);
  wire \\esc.w[3] ;
  leaf_pair u0 (.x(a[0]), .y(a[1]), .z(\\esc.w[3] ));
  {DFF} r0 (.CLK(clk), .D(\\esc.w[3] ), .Q(q));
  assign o[0] = \\esc.w[3] ;
  assign o[1] = 1'b0;
  sky130_fd_sc_hd__tapvpwrvgnd_1 TAP_0 ();
endmodule
"""


def test_hierarchy_ports_aliases_and_constants(tmp_path, monkeypatch, lib):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.v").write_text(HIER)
    nl = load_netlist("n.v", "top", lib)
    assert nl.modules == {(): "top", ("u0",): "leaf_pair"}
    assert sorted(i.full_name for i in nl.instances) == ["r0", "u0/g0", "u0/g1"]
    assert nl.cell_counts() == {DFF: 1, INV: 1, NAND: 1}
    assert nl.physical_only == {"sky130_fd_sc_hd__tapvpwrvgnd_1": 1}
    by = {i.full_name: i for i in nl.instances}
    # the inverter output, the escaped wire, the DFF input and output port o[0] are one net
    z = by["u0/g1"].pins["Y"]
    assert by["r0"].pins["D"] == z
    names = set(nl.nets[z].names)
    assert {(("u0",), "z", None), ((), "esc.w[3]", None), ((), "o", 0)} <= names
    assert nl.nets[z].driver == (nl.instances.index(by["u0/g1"]), "Y")
    assert nl.nets[z].sinks == [(nl.instances.index(by["r0"]), "D")]
    assert nl.nets[z].port == "output"
    # port bits of a bus are distinct input nets, seen inside the submodule under its own name
    a0, a1 = by["u0/g0"].pins["A"], by["u0/g0"].pins["B"]
    assert a0 != a1 and nl.nets[a0].port == nl.nets[a1].port == "input"
    assert (("u0",), "x", None) in nl.nets[a0].names and ((), "a", 0) in nl.nets[a0].names
    assert nl.nets[a0].driver is None


def test_stubs_declare_every_cell(lib):
    text = cell_stubs(lib)
    assert text.count("(* blackbox *) module ") == len(lib.cells)
    assert f"module {NAND}(A, B, Y);" in text


@pytest.mark.parametrize("body,message", [
    ("module top(input a, output y); nosuch_cell u (.A(a), .Y(y)); endmodule",
     "uses cells that are not in liberty file"),
    ("module top(input a, output y); assign y = a; endmodul", "n.v:1: Yosys: syntax error"),
    (f"module top(input a, output y); {INV} u (.A(a), .Q(y)); endmodule",
     "sky130_fd_sc_hd__inv_1 instance u connects pin Q, which liberty file"),
])
def test_errors_name_the_problem(tmp_path, monkeypatch, lib, body, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.v").write_text(body)
    with pytest.raises(NetlistError) as e:
        load_netlist("n.v", "top", lib)
    assert message in str(e.value) and "n.v" in str(e.value), str(e.value)


def test_missing_file_and_top(tmp_path, monkeypatch, lib):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NetlistError, match="netlist nope.v does not exist"):
        load_netlist("nope.v", "top", lib)
    (tmp_path / "n.v").write_text(HIER)
    with pytest.raises(NetlistError, match=r"^n\.v: Yosys: Module `other' not found! \(full log: "):
        load_netlist("n.v", "other", lib)


@pytest.mark.skipif(not (GCD.exists() and FULL.exists()),
                    reason="../shared/reference/gcd or the full sky130 liberty is absent")
def test_gcd_from_openroad(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    full = liberty.load(FULL)
    nl = load_netlist(GCD, "gcd", full)
    text = GCD.read_text()
    # every instance line of the netlist is either a modelled cell or a tap cell
    assert len(nl.instances) + sum(nl.physical_only.values()) == text.count("sky130_fd_sc_hd__")
    assert nl.physical_only == {"sky130_fd_sc_hd__tapvpwrvgnd_1": text.count("tapvpwrvgnd_1")}
    ports = [n for n in nl.nets if n.port]
    assert sum(1 for n in ports if n.port == "input") == 1 + 1 + 1 + 1 + 32  # clk,val,rst,rdy,msg
    assert sum(1 for n in ports if n.port == "output") == 1 + 1 + 16
    # every driven net has exactly one driver, and every flip-flop is clocked by the clock tree
    clocks = {n.names[0][1] for i in nl.instances if i.cell.startswith(
        "sky130_fd_sc_hd__dfxtp") for n in [nl.nets[i.pins["CLK"]]]}
    assert all(c.startswith("clknet_") for c in clocks)
