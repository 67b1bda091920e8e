"""gen.eda.power: OpenSTA-style energy from a netlist, its liberty and a value-change dump.

The expected energies are recomputed here from first principles for a three-cell netlist whose
waveform the test writes itself: toggles counted from the stimulus lists, capacitances and table
energies taken straight from the liberty model, summed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gen.cli import main
from gen.eda import liberty
from gen.eda.activity import read_activity
from gen.eda.netlist import load_netlist
from gen.eda.power import PowerError, analyse

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


def _toggles(seq) -> float:
    """OpenSTA's count: 0<->1 is one transition, a change to or from x half of one."""
    return sum(1.0 if None not in (u, v) else 0.5
               for u, v in zip(seq, seq[1:], strict=False) if u != v)


def _duty(seq) -> float:
    return sum(1 for v in seq if v == 1) / len(seq)


@pytest.fixture(scope="module")
def lib():
    return liberty.load(liberty.default_library_path())


@pytest.fixture()
def design(tmp_path, monkeypatch, lib):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.v").write_text(NETLIST)
    (tmp_path / "w.vcd").write_text(_vcd())
    return load_netlist("n.v", "top", lib), read_activity("w.vcd", "tb/dut")


def _mean_rf(group, slew_rise, slew_fall, load):
    """A group's energy: mean of rise_power at ``slew_rise`` and fall_power at ``slew_fall``."""
    return (group.rise.at(slew_rise, load) + group.fall.at(slew_fall, load)) / 2


def _expected(lib, wire_load: bool, slew: float | None = None,
              input_slew: float = 0.0) -> dict[str, float]:
    """Every number of the three-cell design, worked from the liberty model by hand."""
    w = _waves()
    t = {k: _toggles(v) for k, v in w.items()}
    d = {k: _duty(v) for k, v in w.items()}
    clk_toggles = 2 * len(A) - 2  # edges after t=0: rises at cycles 1.., falls every cycle
    wl = lib.wire_load()
    pins = {c: lib.cells[c].pins for c in (NAND, INV, DFF)}
    wire = {f: (wl.capacitance(f) if wire_load else 0.0) for f in (1, 2)}
    # n drives INV.A and DFF.D: per edge the pins' rise (fall) capacitances, plus wire
    cap_n_rf = (pins[INV]["A"].rise_capacitance + pins[DFF]["D"].rise_capacitance + wire[2],
                pins[INV]["A"].fall_capacitance + pins[DFF]["D"].fall_capacitance + wire[2])
    cap_n = max(cap_n_rf)
    cap_out = wire[1]  # y and q drive only an output port
    v2 = lib.voltage ** 2

    def arc(cell, pin, related):
        return next(a for a in pins[cell][pin].timing if a.related_pin == related)

    # slews (rise, fall): a, b at the input slew, clk ideal (0), then n, y in order
    if slew is None:
        s_in = (input_slew, input_slew)
        # NAND2 is negative unate: Y rises when A or B falls
        s_n = tuple(max(getattr(arc(NAND, "Y", r), edge).at(s_in[1 - k], cap_n_rf[k])
                        for r in ("A", "B"))
                    for k, edge in enumerate(("rise", "fall")))
        s_clk = (0.0, 0.0)
    else:
        s_in = s_n = s_clk = (slew, slew)

    def group(cell, pin, related):
        return next(g for g in pins[cell][pin].internal_power if g.related_pin == related)

    def in_energy(cell, pin, s):
        gs = [g for g in pins[cell][pin].internal_power if g.related_pin is None]
        return sum(_mean_rf(g, s[0], s[1], 0.0) for g in gs)

    # NAND2 Y = !(A & B): Y follows A when B = 1 and B when A = 1 (Boolean difference)
    wa, wb = t["a"] * d["b"], t["b"] * d["a"]
    e_nand = (wa * _mean_rf(group(NAND, "Y", "A"), s_in[1], s_in[0], cap_n)
              + wb * _mean_rf(group(NAND, "Y", "B"), s_in[1], s_in[0], cap_n)) / (wa + wb)
    e_inv = _mean_rf(group(INV, "Y", "A"), s_n[1], s_n[0], cap_out)
    comb_internal = (t["n"] * e_nand + t["a"] * in_energy(NAND, "A", s_in)
                     + t["b"] * in_energy(NAND, "B", s_in) + t["y"] * e_inv
                     + t["n"] * in_energy(INV, "A", s_n))
    seq_internal = (t["q"] * _mean_rf(group(DFF, "Q", "CLK"), s_clk[0], s_clk[1], cap_out)
                    + clk_toggles * in_energy(DFF, "CLK", s_clk)
                    + t["n"] * in_energy(DFF, "D", s_n))
    duration = len(A) * PERIOD * 1e-12

    def port_cap(pin):
        return max(pin.rise_capacitance, pin.fall_capacitance) + wire[1]

    return {
        "comb_switching": 0.5 * v2 * (t["n"] * cap_n + t["y"] * cap_out),
        "seq_switching": 0.5 * v2 * t["q"] * cap_out,
        "comb_internal": comb_internal,
        "seq_internal": seq_internal,
        "comb_leakage": (lib.cells[NAND].leakage + lib.cells[INV].leakage) * duration,
        "seq_leakage": lib.cells[DFF].leakage * duration,
        "input_switching": 0.5 * v2 * (t["a"] * port_cap(pins[NAND]["A"])
                                       + t["b"] * port_cap(pins[NAND]["B"])
                                       + clk_toggles * port_cap(pins[DFF]["CLK"])),
        "duration": duration,
        "toggles": sum(t.values()) + clk_toggles,
    }


@pytest.mark.parametrize("wire_load", ["default", "none"])
@pytest.mark.parametrize("slew,input_slew", [(None, 0.0), (None, 0.2e-9), (0.1e-9, 0.0)])
def test_energy_matches_a_hand_computation(design, lib, wire_load, slew, input_slew):
    netlist, activity = design
    res = analyse(netlist, library=lib, activity=activity, wire_load=wire_load, slew=slew,
                  input_slew=input_slew)
    exp = _expected(lib, wire_load == "default", slew, input_slew)
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
    with pytest.raises(PowerError, match="Input slew must be a time in seconds"):
        analyse(netlist, lib, activity, input_slew=float("nan"))
    with pytest.raises(PowerError, match="Slew must be a time in seconds"):
        analyse(netlist, lib, activity, slew=float("inf"))
    wrong = read_activity("w.vcd", "tb", include_subscopes=False)  # only tb.clk is there
    with pytest.raises(PowerError, match=r"^5 of 6 nets of top have no activity in scope tb "):
        analyse(netlist, lib, wrong)
    res = analyse(netlist, lib, wrong, allow_partial=True)
    assert res.annotated == 1 and res.nets == 6 and res.warnings
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
    (["--top", "nosuch"], "n.v: Yosys: Module `nosuch' not found! (full log: "),
    (["--period", "0"], "argument --period: must be a finite number above 0 ns"),
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
    (internal within 3 % per group with propagated slews, as OpenSTA computes them; leakage
    within 1 %). Switching energy must come out below
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
        assert ours["internal_w"] == pytest.approx(internal, rel=0.03), g
        assert ours["leakage_w"] == pytest.approx(leakage, rel=0.01), g
        assert 0.2 * switching < ours["switching_w"] < switching, g


ESCAPED = f"""
module leaf(input i, output o);
  wire \\$7 ;
  {INV} u0 (.A(i), .Y(\\$7 ));
  {INV} u1 (.A(\\$7 ), .Y(o));
endmodule
module top(input a, input b, output y);
  wire \\$129 ;
  {NAND} g0 (.A(a), .B(b), .Y(\\$129 ));
  leaf \\sub$0 (.i(\\$129 ), .o(y));
endmodule
"""


def _escaped_vcd(with_inner: bool = True) -> str:
    """tb drives a, b; the dump names escaped nets the way Icarus does (with the backslash)."""
    lines = ["$timescale 1ps $end", "$scope module tb $end", "$var reg 1 ! a $end",
             "$var reg 1 \" b $end", "$var wire 1 % y $end", "$scope module dut $end",
             "$var wire 1 ! a $end", "$var wire 1 \" b $end", "$var wire 1 # \\$129 $end",
             "$var wire 1 % y $end", "$scope module \\sub$0 $end", "$var wire 1 # i $end",
             "$var wire 1 % o $end"]
    if with_inner:
        lines.append("$var wire 1 $ \\$7 $end")
    lines += ["$upscope $end", "$upscope $end", "$upscope $end", "$enddefinitions $end"]
    for c, (a, b) in enumerate(zip(A, B, strict=True)):
        n = 1 - (a & b)
        lines += [f"#{c * PERIOD}", f"{a}!", f"{b}\"", f"{n}#", f"{n}%"]
        if with_inner:
            lines.append(f"{1 - n}$")
    lines.append(f"#{len(A) * PERIOD}")
    return "\n".join(lines) + "\n"


@pytest.fixture()
def escaped(tmp_path, monkeypatch, lib):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.v").write_text(ESCAPED)
    (tmp_path / "e.vcd").write_text(_escaped_vcd())
    (tmp_path / "p.vcd").write_text(_escaped_vcd(with_inner=False))
    return load_netlist("e.v", "top", lib)


def test_escaped_identifiers_match_the_dump(escaped, lib):
    res = analyse(escaped, lib, read_activity("e.vcd", "tb/dut"))
    assert (res.annotated, res.nets) == (5, 5) and not res.unannotated and not res.warnings
    assert res.coverage["fraction"] == 1.0
    assert res.toggles == _toggles(A) + _toggles(B) + 3 * _toggles(
        [1 - (a & b) for a, b in zip(A, B, strict=True)])
    assert set(res.per_module) == {"", "sub$0"}  # instance paths unescaped as in the dump


def test_partial_annotation_is_an_error_unless_accepted(escaped, lib):
    act = read_activity("p.vcd", "tb/dut")
    with pytest.raises(PowerError, match=r"^1 of 5 nets of top have no activity in scope tb/dut "
                                         r"of p\.vcd \(e\.g\. sub\$0/\$7\).*--allow-partial "
                                         r"\(allow_partial=True in the API\)$"):
        analyse(escaped, lib, act)
    res = analyse(escaped, lib, act, allow_partial=True)
    assert res.coverage == {"annotated": 4, "nets": 5, "fraction": 0.8,
                            "unannotated_examples": ["sub$0/$7"]}
    assert len(res.warnings) == 1 and "1 of 5 nets" in res.warnings[0] and "80.0%" in \
        res.warnings[0]
    d = res.power_dict()
    assert d["coverage"]["fraction"] == 0.8 and d["warnings"] == res.warnings
    full = analyse(escaped, lib, read_activity("e.vcd", "tb/dut")).power_dict()
    assert full["coverage"]["fraction"] == 1.0 and full["warnings"] == []


def test_testbench_scope_is_refused_and_the_right_scope_suggested(escaped, lib):
    with pytest.raises(PowerError, match=r"^2 of 5 nets .*: a wrong scope \(the dump holds the "
                                         r"netlist's ports in tb/dut \(3 of 3 port bits\)\)"):
        analyse(escaped, lib, read_activity("e.vcd", "tb"))


A21OI = "sky130_fd_sc_hd__a21oi_1"
A1 = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1]
A2 = [1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0]
B1 = [0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]


def test_arc_weights_of_an_a21oi_worked_by_hand(tmp_path, monkeypatch, lib):
    """Y = !((A1 & A2) | B1): each arc weighted by its toggles times P(Y sensitive to it)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.v").write_text(f"module top(input a1, input a2, input b1, output y);\n"
                                  f"  {A21OI} g (.A1(a1), .A2(a2), .B1(b1), .Y(y));\nendmodule\n")
    y = [1 - ((p & q) | r) for p, q, r in zip(A1, A2, B1, strict=True)]
    ids = {"a1": "!", "a2": '"', "b1": "#", "y": "$"}
    waves = {"a1": A1, "a2": A2, "b1": B1, "y": y}
    lines = ["$timescale 1ps $end", "$scope module dut $end"]
    lines += [f"$var wire 1 {i} {n} $end" for n, i in ids.items()]
    lines += ["$upscope $end", "$enddefinitions $end"]
    for c in range(len(A1)):
        lines.append(f"#{c * PERIOD}")
        lines += [f"{waves[n][c]}{i}" for n, i in ids.items()]
    lines.append(f"#{len(A1) * PERIOD}")
    (tmp_path / "a.vcd").write_text("\n".join(lines) + "\n")
    res = analyse(load_netlist("a.v", "top", lib), lib, read_activity("a.vcd", "dut"),
                  wire_load="none")
    pins = lib.cells[A21OI].pins
    t = {n: _toggles(w) for n, w in waves.items()}
    d = {n: _duty(w) for n, w in waves.items()}
    # Boolean differences: Y follows A1 when A2 & !B1, A2 when A1 & !B1, B1 when !(A1 & A2)
    sens = {"A1": d["a2"] * (1 - d["b1"]), "A2": d["a1"] * (1 - d["b1"]),
            "B1": 1 - d["a1"] * d["a2"]}
    num = {r: t[r.lower()] * sens[r] for r in sens}
    # inputs are ports (slew 0); the output drives only the port: load 0 without wire load
    energy = {g.related_pin: _mean_rf(g, 0.0, 0.0, 0.0) for g in pins["Y"].internal_power}
    out = t["y"] * sum(num[r] * energy[r] for r in num) / sum(num.values())
    inputs = sum(t[p.lower()] * sum(_mean_rf(g, 0.0, 0.0, 0.0) for g in pins[p].internal_power)
                 for p in ("A1", "A2", "B1"))
    assert res.groups["combinational"].internal == pytest.approx(out + inputs, rel=1e-9)
    # the old weighting (raw input toggles) gives a different number on this stimulus
    raw = t["y"] * sum(t[r.lower()] * energy[r] for r in num) / sum(t[r.lower()] for r in num)
    assert abs(raw - out) > 1e-3 * out
