"""gen.power: OpenSTA-style energy from a netlist, its liberty and a value-change dump.

The expected energies are recomputed here from first principles for a three-cell netlist whose
waveform the test writes itself: toggles counted from the stimulus lists, capacitances and table
energies taken straight from the liberty model, summed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gen import liberty
from gen.activity import read_activity
from gen.cli import main
from gen.netlist import load_netlist
from gen.power import PowerError, analyse

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GCD = SHARED / "reference" / "gcd"
FULL = SHARED / "pdk" / "sky130_fd_sc_hd" / "sky130hd_tt.lib.gz"

NAND, INV, DFF = "sky130_fd_sc_hd__nand2_1", "sky130_fd_sc_hd__inv_1", "sky130_fd_sc_hd__dfxtp_1"
NETLIST = f"""
module top(input clk, input a, input b, output y, output q);
  wire n;
  {NAND} g0 (.A(a), .B(b), .Y(n));
  {INV} g1 (.A(n), .Y(y));
  {DFF} r0 (.CLK(clk), .D(n), .Q(q));
endmodule
"""
PERIOD = 1000  # ps
A = [0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0]
B = [1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1]


def _waves():
    """Per-cycle values of every net (zero delay); q samples n at each rising edge."""
    n = [1 - (x & y) for x, y in zip(A, B, strict=True)]
    y = [1 - v for v in n]
    q = [None] + n[:-1]  # x until the first edge
    return {"a": A, "b": B, "n": n, "y": y, "q": q}


def _vcd() -> str:
    ids = {"clk": "!", "a": '"', "b": "#", "n": "$", "y": "%", "q": "&"}
    lines = ["$timescale 1ps $end", "$scope module tb $end", "$var reg 1 ! clk $end",
             "$scope module dut $end"]
    lines += [f"$var wire 1 {i} {name} $end" for name, i in ids.items()]
    lines += ["$upscope $end", "$upscope $end", "$enddefinitions $end"]
    w = _waves()
    for c in range(len(A)):
        t = c * PERIOD
        lines.append(f"#{t}")
        lines.append(f"{1 if c else 0}!")  # rising edge at every cycle start but the first
        for name in ("a", "b", "n", "y", "q"):
            v = w[name][c]
            lines.append(f"{'x' if v is None else v}{ids[name]}")
        lines += [f"#{t + PERIOD // 2}", "0!"]
    lines.append(f"#{len(A) * PERIOD}")
    return "\n".join(lines) + "\n"


def _toggles(seq) -> int:
    known = [v for v in seq if v is not None]
    return sum(1 for u, v in zip(known, known[1:], strict=False) if u != v)


@pytest.fixture(scope="module")
def lib():
    return liberty.load(liberty.default_library_path())


@pytest.fixture()
def design(tmp_path, monkeypatch, lib):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.v").write_text(NETLIST)
    (tmp_path / "w.vcd").write_text(_vcd())
    return load_netlist("n.v", "top", lib), read_activity("w.vcd", "tb/dut")


def _expected(lib, wire_load: bool, slew: float = 0.1e-9) -> dict[str, float]:
    w = _waves()
    t = {k: _toggles(v) for k, v in w.items()}
    clk_toggles = 2 * len(A) - 2  # edges after t=0: rises at cycles 1.., falls every cycle
    wl = lib.wire_load()
    pins = {c: lib.cells[c].pins for c in (NAND, INV, DFF)}
    cap_n = pins[INV]["A"].capacitance + pins[DFF]["D"].capacitance + (
        wl.capacitance(2) if wire_load else 0.0)
    cap_out = wl.capacitance(1) if wire_load else 0.0  # y and q drive only an output port
    v2 = lib.voltage ** 2

    def out_energy(cell, pin, related, load):
        g = next(g for g in pins[cell][pin].internal_power if g.related_pin == related)
        return (g.rise.at(slew, load) + g.fall.at(slew, load)) / 2

    def in_energy(cell, pin):
        gs = [g for g in pins[cell][pin].internal_power if g.related_pin is None]
        return sum((g.rise.at(slew) + g.fall.at(slew)) / 2 for g in gs) / len(gs) if gs else 0.0

    e_nand = (t["a"] * out_energy(NAND, "Y", "A", cap_n)
              + t["b"] * out_energy(NAND, "Y", "B", cap_n)) / (t["a"] + t["b"])
    comb_internal = (t["n"] * e_nand + t["a"] * in_energy(NAND, "A")
                     + t["b"] * in_energy(NAND, "B")
                     + t["y"] * out_energy(INV, "Y", "A", cap_out) + t["n"] * in_energy(INV, "A"))
    seq_internal = (t["q"] * out_energy(DFF, "Q", "CLK", cap_out)
                    + clk_toggles * in_energy(DFF, "CLK") + t["n"] * in_energy(DFF, "D"))
    duration = len(A) * PERIOD * 1e-12
    return {
        "comb_switching": 0.5 * v2 * (t["n"] * cap_n + t["y"] * cap_out),
        "seq_switching": 0.5 * v2 * t["q"] * cap_out,
        "comb_internal": comb_internal,
        "seq_internal": seq_internal,
        "comb_leakage": (lib.cells[NAND].leakage + lib.cells[INV].leakage) * duration,
        "seq_leakage": lib.cells[DFF].leakage * duration,
        "input_switching": 0.5 * v2 * (
            t["a"] * (pins[NAND]["A"].capacitance + (wl.capacitance(1) if wire_load else 0))
            + t["b"] * (pins[NAND]["B"].capacitance + (wl.capacitance(1) if wire_load else 0))
            + clk_toggles * (pins[DFF]["CLK"].capacitance
                             + (wl.capacitance(1) if wire_load else 0))),
        "duration": duration,
        "toggles": sum(t.values()) + clk_toggles,
    }


@pytest.mark.parametrize("wire_load", ["default", "none"])
def test_energy_matches_a_hand_computation(design, lib, wire_load):
    netlist, activity = design
    res = analyse(netlist, library=lib, activity=activity, wire_load=wire_load)
    exp = _expected(lib, wire_load == "default")
    approx = pytest.approx
    g = res.groups
    assert res.duration == approx(exp["duration"])
    assert g["combinational"].switching == approx(exp["comb_switching"], rel=1e-9)
    assert g["sequential"].switching == approx(exp["seq_switching"], rel=1e-9)
    assert g["combinational"].internal == approx(exp["comb_internal"], rel=1e-9)
    assert g["sequential"].internal == approx(exp["seq_internal"], rel=1e-9)
    assert g["combinational"].leakage == approx(exp["comb_leakage"], rel=1e-9)
    assert g["sequential"].leakage == approx(exp["seq_leakage"], rel=1e-9)
    assert g["clock"].total == 0  # no clock-tree cells: the clock comes from a port
    assert res.input_switching == approx(exp["input_switching"], rel=1e-9)
    assert res.toggles == exp["toggles"]
    assert res.annotated == res.nets == 6 and not res.unannotated
    assert res.wire_load == ("Small" if wire_load == "default" else "none")
    p = res.power_dict()
    assert p["total_w"] == approx(res.total.total / exp["duration"])
    assert p["total_w"] > 0 and set(p["groups"]) == {"sequential", "combinational", "clock"}


def test_slew_changes_internal_energy_only(design, lib):
    netlist, activity = design
    fast = analyse(netlist, lib, activity, slew=0.01e-9)
    slow = analyse(netlist, lib, activity, slew=1.0e-9)
    assert fast.total.switching == pytest.approx(slow.total.switching, rel=1e-12)
    assert abs(slow.total.internal / fast.total.internal - 1) > 0.01


def test_bad_options_and_wrong_scope(design, lib, tmp_path):
    netlist, activity = design
    with pytest.raises(PowerError, match="Wire load must be 'default' or 'none', not 'big'"):
        analyse(netlist, lib, activity, wire_load="big")
    with pytest.raises(PowerError, match="Slew must be a time in seconds"):
        analyse(netlist, lib, activity, slew=-1.0)
    wrong = read_activity("w.vcd", "tb", include_subscopes=False)  # only tb.clk is there
    res = analyse(netlist, lib, wrong)
    assert res.annotated == 1 and res.nets == 6
    assert sorted(res.unannotated) == ["a", "b", "n", "q", "y"]  # reported, never silent
    (tmp_path / "other.vcd").write_text(_vcd().replace(" a $end", " zz $end").replace(
        " b $end", " zy $end").replace(" n $end", " zx $end").replace(" y $end", " zw $end")
        .replace(" q $end", " zv $end").replace(" clk $end", " zu $end"))
    with pytest.raises(PowerError, match="has none of the 6 nets of top in scope tb/dut"):
        analyse(netlist, lib, read_activity("other.vcd", "tb/dut"))


def test_cli_power_json_and_text(design, capsys):
    assert main(["power", "--netlist", "n.v", "--top", "top", "--vcd", "w.vcd", "--scope",
                 "tb/dut", "--json", "--period", "1"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"total_w", "internal_w", "switching_w", "leakage_w", "groups"} <= set(d)
    assert d["total_w"] == pytest.approx(d["internal_w"] + d["switching_w"] + d["leakage_w"])
    assert d["cycles"] == pytest.approx(len(A))
    assert main(["power", "--netlist", "n.v", "--top", "top", "--vcd", "w.vcd", "--scope",
                 "tb/dut"]) == 0
    out = capsys.readouterr().out
    assert "Sequential" in out and "Combinational" in out and "Total" in out


@pytest.mark.parametrize("argv,message", [
    (["--vcd", "missing.vcd"], "--vcd file missing.vcd does not exist"),
    (["--scope", "tb/nosuch"], "scope tb/nosuch is not in w.vcd"),
    (["--liberty", "nope.lib"], "liberty file nope.lib does not exist"),
    (["--top", "nosuch"], "Yosys failed reading netlist n.v"),
    (["--period", "0"], "--period must be a positive time in ns, not 0"),
])
def test_cli_power_errors_exit_2(design, capsys, argv, message):
    base = {"--netlist": "n.v", "--top": "top", "--vcd": "w.vcd", "--scope": "tb/dut"}
    for k, v in zip(argv[::2], argv[1::2], strict=True):
        base[k] = v
    code = main(["power", *[x for kv in base.items() for x in kv]])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_cli_power_cell_absent_from_library(design, capsys, tmp_path):
    (tmp_path / "bad.v").write_text(NETLIST.replace(INV, "sky130_fd_sc_hd__nosuch_1"))
    code = main(["power", "--netlist", "bad.v", "--top", "top", "--vcd", "w.vcd", "--scope",
                 "tb/dut"])
    err = capsys.readouterr().err
    assert code == 2 and "sky130_fd_sc_hd__nosuch_1" in err and "not in liberty file" in err


# OpenSTA's own regression on the same three files (test/power_vcd.ok in
# The-OpenROAD-Project/OpenSTA), which also reads the routed design's SPEF parasitics:
# group -> (internal, switching, leakage) in W
OPENSTA_GCD = {"sequential": (3.05e-04, 3.84e-05, 2.92e-10),
               "combinational": (9.95e-05, 1.59e-04, 6.76e-10),
               "clock": (4.82e-05, 1.20e-04, 2.30e-11)}


@pytest.mark.skipif(not (GCD.exists() and FULL.exists()),
                    reason="../shared/reference/gcd or the full sky130 liberty is absent")
def test_gcd_power_from_another_flow_agrees_with_opensta(tmp_path, monkeypatch, capsys):
    """OpenROAD's gcd netlist and its Icarus VCD (5 ns clock), full sky130 library.

    Internal power and leakage do not depend on parasitics: they must agree with OpenSTA
    (internal within 15 % per group, the remainder being our single stated slew against
    OpenSTA's computed slews; leakage within 1 %). Switching energy must come out below
    OpenSTA's, which charges the routed wires' extracted capacitance where we only have the
    library's wire-load model.
    """
    monkeypatch.chdir(tmp_path)
    assert main(["power", "--netlist", str(GCD / "gcd_sky130hd.v"), "--top", "gcd", "--vcd",
                 str(GCD / "gcd_sky130hd.vcd.gz"), "--scope", "gcd_tb/gcd1", "--liberty",
                 str(FULL), "--period", "5", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["unannotated_nets"] == 0 and d["annotated_nets"] == 288 and d["cells"] == 252
    assert d["physical_only_cells"] == {"sky130_fd_sc_hd__tapvpwrvgnd_1": 1040}
    assert d["cycles"] == pytest.approx(25)
    for g, (internal, switching, leakage) in OPENSTA_GCD.items():
        ours = d["groups"][g]
        assert ours["internal_w"] == pytest.approx(internal, rel=0.15), g
        assert ours["leakage_w"] == pytest.approx(leakage, rel=0.01), g
        assert 0.2 * switching < ours["switching_w"] < switching, g
