"""Zero-delay Verilog simulation models of Liberty cells, generated from the Liberty itself.

A netlist mapped by :mod:`gen.eda.synth` instantiates library cells by name
(``sky130_fd_sc_hd__nand2_1 _123_ (.A(x), .B(y), .Y(z));``). To simulate it (Icarus Verilog or
Verilator) every cell needs a Verilog module; this module writes them from the cell descriptions
of the ``.lib`` read by :mod:`gen.eda.liberty`, so no PDK Verilog is needed.

Model rules
-----------
* Ports are the cell's signal pins, in Liberty order, declared ``input``, ``output`` or ``inout``.
  Power and ground pins are **not** ports: :func:`gen.eda.liberty.load` does not keep ``pg_pin``
  groups, so a netlist simulated with these models must not connect ``VPWR``/``VGND``/``VPB``/
  ``VNB`` (write it without power pins). ``internal`` pins are not ports either.
* Combinational output: ``assign Y = <function>;`` with the function translated by
  :func:`gen.eda.liberty.liberty_function_to_verilog`. An output with a ``three_state`` attribute is
  ``assign Z = (<three_state>) ? 1'bz : (<function>);`` (high impedance while it is true).
* With ``primitives=True`` (Icarus Verilog), an output of a purely combinational cell that is
  not tri-state, not a plain copy of one pin (a buffer's ``assign`` passes z on, a table would
  not) and reads 1 to :data:`MAX_PRIMITIVE_INPUTS` pins is driven by a user-defined
  primitive instead: ``<cell>__<pin>_udp u_<pin> (<pin>, <inputs>);`` with a table of every
  0/1/x input combination, each row the value the ``assign`` expression has under Verilog's
  4-state operators (z reads as x in both). The output is the same function of the inputs in
  every state, including x, so every net settles to the same value in every time step;
  Icarus evaluates one table instead of a chain of operators, about twice as fast on
  gate-level netlists.
* ``ff ("IQ", "IQ_N")``: a ``reg`` per state variable, updated with non-blocking assignments in
  ``always @(posedge <clock> ...)``; ``clocked_on`` ``CLK`` gives ``posedge CLK``, ``!CLK_N``
  gives ``negedge CLK_N`` and any other expression becomes a wire ``_clk`` and ``posedge _clk``.
  ``next_state`` is sampled at the clock edge; ``IQ_N`` gets its complement. The second state
  variable is declared only when a function reads it (sky130 outputs ``Q_N`` from ``IQ_N``).
* Asynchronous ``clear``/``preset`` (for example ``!RESET_B``) are wires ``_clr``/``_pre``. With
  only one of them the block is the usual ``always @(posedge CLK or posedge _clr)``, which is exact
  for a level-sensitive control: the state is forced while it is active, a clock edge in that
  time changes nothing, and the forced value is held after the release. With both, releasing one
  while the other stays active must hand the state to the other one, which ``posedge _clr or
  posedge _pre`` would miss; the block therefore wakes on ``posedge`` of the three exclusive
  conditions ``_both`` (both active), ``_clr_only`` and ``_pre_only``, which is again exact. While
  both are active the state follows ``clear_preset_var1`` (``L`` 0, ``H`` 1, ``N`` hold, ``T``
  toggle once on entering the condition, ``X`` x; absent: the clear wins) and ``IQ_N`` follows
  ``clear_preset_var2`` (absent: the complement of ``IQ``'s new value). An asynchronous control at
  ``x`` or ``z`` makes the state ``x`` (when it is not forced by the other control), so a design
  whose reset is never driven shows x instead of silently working.
* ``latch ("IQ", "IQ_N")``: ``always @*`` with the same clear/preset priority, then
  ``if (<enable>) IQ <= <data_in>;`` (non-blocking, so that a flip-flop clocked by the same edge
  samples the latch's old output, as in hardware).
* Integrated clock gates whose behaviour is a ``statetable`` (sky130 ``dlclkp``, ``sdlclkp``) are
  modelled from ``clock_gating_integrated_cell``: ``latch_posedge`` / ``latch_negedge`` (an enable
  latch transparent while the clock is low / high, then ``GCLK = CLK & EN_latched`` /
  ``CLK | ~EN_latched``), ``none_posedge`` / ``none_negedge`` (no latch), each optionally
  ``_precontrol`` (the ``clock_gate_test_pin`` is ORed into the enable before the latch) or
  ``_postcontrol`` (after it). The pins are found by their ``clock_gate_clock_pin``,
  ``clock_gate_enable_pin``, ``clock_gate_test_pin`` and ``clock_gate_out_pin`` attributes.
* A cell without signal pins (sky130 ``decap``, ``lpflow_decapkapwr``) becomes an empty module,
  so netlists that instantiate it elaborate. Cells that are not in the Liberty at all (the
  sky130_fd_sc_hd ``.lib`` has no ``fill`` or ``tapvpwrvgnd`` cell) have no model.
* Flip-flops and latches start at ``x`` (no ``initial`` block): a design must reset them.
* Names that are not plain Verilog identifiers (or are keywords) are escaped (``\\name ``).

Simulators. The models are Verilog-2005 and written for Icarus Verilog (4-state: x start, x from
an unknown clear/preset, ``z`` from tri-state outputs). Verilator lints them with only the
expected ``COMBDLY``/``LATCH`` warnings on latches (it then treats their non-blocking
assignments as blocking) and, being 2-state, turns x into 0 or 1 and supports z only in part.

Cells that cannot be modelled raise :class:`CellModelError` from :func:`cell_model`; the reasons
for a whole library are listed by :func:`unmodelled`. They are: other ``statetable`` cells (the
data model of :mod:`gen.eda.liberty` does not keep statetables), outputs without a function,
``ff_bank``/``latch_bank`` groups, master-slave flip-flops (``clocked_on_also``), clock gates with
an observability output, functions of unknown or internal pins, and names that
:func:`~gen.eda.liberty.liberty_function_to_verilog` writes differently from the port declaration
(bus bits such as ``D[0]``, Verilog keywords). A cell with several ``ff`` or ``latch`` groups is
modelled from the first of each kind only, which is all :class:`gen.eda.liberty.Cell` keeps.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from pathlib import Path

from . import files
from .liberty import (
    Cell,
    FlipFlop,
    Latch,
    LibertyError,
    Library,
    evaluate_function_verilog,
    function_variables,
    liberty_function_to_verilog,
)

__all__ = [
    "CellModelError",
    "cell_model",
    "cell_models",
    "unmodelled",
    "write_cell_models",
]


class CellModelError(ValueError):
    """A cell that has no simulation model: absent from the library, or not expressible.

    Parameters
    ----------
    cell : str
        Cell name.
    reason : str
        Why the cell cannot be modelled.
    library : str, optional
        Path of the library file (named first in the message when given).

    Attributes
    ----------
    cell, reason, library : str
        The constructor arguments.
    """

    def __init__(self, cell: str, reason: str, library: str | None = None) -> None:
        self.cell = cell
        self.reason = reason
        self.library = library
        where = f"{library}: " if library else ""
        super().__init__(f"{where}cell {cell!r}: {reason}")


# --------------------------------------------------------------------------------------------
# Names

_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# Verilog-2005 keywords plus the SystemVerilog ones Verilator also reserves in .v files that are
# likely as pin names; escaping a name that is not a keyword is harmless.
_KEYWORDS = frozenset("""
    always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign
    default defparam design disable edge else end endcase endconfig endfunction endgenerate
    endmodule endprimitive endspecify endtable endtask event for force forever fork function
    generate genvar highz0 highz1 if ifnone incdir include initial inout input instance integer
    join large liblist library localparam macromodule medium module nand negedge nmos nor
    noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1
    pulldown pullup pulsestyle_ondetect pulsestyle_onevent rcmos real realtime reg release repeat
    rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam
    strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand
    trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
    bit byte logic int shortint longint string type interface program class package import export
    """.split())


_CONSTANT = {"L": "1'b0", "H": "1'b1", "X": "1'bx"}


def _vname(name: str) -> str:
    """``name`` as a Verilog identifier, escaped (``\\name `` with its space) when needed."""
    if name.startswith("\\"):
        return name + " "
    if _PLAIN_ID.fullmatch(name) and name not in _KEYWORDS:
        return name
    return "\\" + name + " "


def _not(expr: str) -> str:
    """Verilog complement of ``expr`` (parenthesised unless it is a single name)."""
    if _PLAIN_ID.fullmatch(expr) or (expr.startswith("\\") and expr.count(" ") == 1
                                     and expr.endswith(" ")):
        return "~" + expr
    return f"~({expr})"


class _Names:
    """Names taken in one module; hands out fresh names for the model's internal wires."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)

    def fresh(self, base: str) -> str:
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name


# --------------------------------------------------------------------------------------------
# One cell


#: Most inputs of a combinational output modelled as a primitive (3^n table rows).
MAX_PRIMITIVE_INPUTS = 7


def _udp(name: str, out: str, text: str, inputs: list[str]) -> str:
    """A combinational user-defined primitive ``name`` computing the Liberty function ``text``
    of ``inputs`` under Verilog's 4-state operators (every 0/1/x row)."""
    rows = []
    for combo in itertools.product("01x", repeat=len(inputs)):
        value = evaluate_function_verilog(text, dict(zip(inputs, combo, strict=True)))
        rows.append(f"    {' '.join(combo)} : {value};")
    ports = ", ".join(_vname(p) for p in [out, *inputs])
    return "\n".join([f"primitive {_vname(name)}({ports});", f"  output {_vname(out)};",
                      f"  input {', '.join(_vname(p) for p in inputs)};", "  table", *rows,
                      "  endtable", "endprimitive"]) + "\n"


class _Model:
    """Builds the Verilog text of one cell; every failure is a :class:`CellModelError`."""

    def __init__(self, cell: Cell, library: str | None, primitives: bool = False) -> None:
        self.cell = cell
        self.library = library
        self.primitives = primitives
        self.udps: list[str] = []
        self.ports = [p for p in cell.pins.values() if p.direction in ("input", "output", "inout")]
        self.internal = {p.name for p in cell.pins.values() if p.direction == "internal"}
        states: list[str] = []
        for group in (cell.ff, cell.latch):
            if group is not None:
                states.extend(n for n in group.names if n)
        self.states = states
        self.names = _Names([p.name for p in self.ports] + states + sorted(self.internal))
        self.body: list[str] = []
        self.kind = "combinational"
        exprs = [p.function for p in self.ports] + [p.attributes.get("three_state")
                                                    for p in self.ports]
        if cell.ff is not None:
            exprs.append(cell.ff.next_state)
        if cell.latch is not None:
            exprs += [cell.latch.enable, cell.latch.data_in]
        self.used: set[str] = set()
        for text in exprs:
            try:
                self.used.update(function_variables(str(text)) if text else ())
            except LibertyError:
                pass  # reported where the expression is translated

    def fail(self, reason: str) -> CellModelError:
        return CellModelError(self.cell.name, reason, self.library)

    # -- expressions -----------------------------------------------------------------------

    def expr(self, text: str | None, what: str, allowed: Iterable[str]) -> str:
        """Verilog for the Liberty expression ``text`` (``what`` names it in errors)."""
        if text is None or not str(text).strip():
            raise self.fail(f"{what} is empty")
        try:
            variables = function_variables(text)
            verilog = liberty_function_to_verilog(text)
        except LibertyError as exc:
            raise self.fail(f"{what}: {exc}") from None
        allowed = set(allowed)
        for var in variables:
            if var not in allowed:
                if var in self.internal:
                    raise self.fail(f"{what} {text!r} uses internal pin {var!r}, which has no "
                                    "model")
                raise self.fail(f"{what} {text!r} uses {var!r}, which is neither a pin nor a "
                                "state variable of the cell")
            written = liberty_function_to_verilog(var)
            if written != _vname(var):
                raise self.fail(f"{what} {text!r}: name {var!r} is written {written!r} in "
                                f"expressions but must be declared as {_vname(var)!r} (bus bits "
                                "and Verilog keywords are not supported)")
        return verilog

    def signals(self) -> set[str]:
        """Names a pin function may use: the ports and the state variables."""
        return {p.name for p in self.ports} | set(self.states)

    # -- the module --------------------------------------------------------------------------

    def build(self) -> str:
        cell = self.cell
        if cell.ff is not None:
            self.flip_flop(cell.ff)
        if cell.latch is not None:
            self.latch(cell.latch)
        kinds = [k for k, g in (("flip-flop", cell.ff), ("latch", cell.latch)) if g is not None]
        if kinds:
            self.kind = " and ".join(kinds)
        gate_pins: set[str] = set()
        if (cell.ff is None and cell.latch is None
                and cell.attributes.get("clock_gating_integrated_cell") is not None):
            kind = str(cell.attributes["clock_gating_integrated_cell"])
            gate_pins = self.clock_gate(kind)
            self.kind = f"integrated clock gate ({kind.strip()})"
        for pin in self.ports:
            if pin.direction == "input" or pin.name in gate_pins:
                continue
            self.output(pin)
        return self.render()

    def output(self, pin) -> None:
        name = _vname(pin.name)
        what = f"pin {pin.name!r} function"
        if pin.function is None:
            if pin.direction == "inout":
                return  # a passive inout (no driver in the model)
            if self.cell.sequential and self.cell.ff is None and self.cell.latch is None:
                raise self.fail(f"output pin {pin.name!r} has no function: its behaviour is in a "
                                "statetable, which gen.eda.liberty does not keep in the cell model")
            raise self.fail(f"output pin {pin.name!r} has no function")
        func = self.expr(pin.function, what, self.signals())
        tri = pin.attributes.get("three_state")
        inputs = list(function_variables(pin.function))
        if (self.primitives and tri is None and not self.cell.sequential
                and self.cell.ff is None and self.cell.latch is None
                and 0 < len(inputs) <= MAX_PRIMITIVE_INPUTS and func != _vname(inputs[0])
                and all(self.cell.pins[i].direction == "input" for i in inputs)):
            udp = f"{self.cell.name}__{pin.name}_udp"
            self.udps.append(_udp(udp, pin.name, pin.function, inputs))
            inst = self.names.fresh("u_" + pin.name)
            self.body.append(f"  {_vname(udp)} {_vname(inst)}({name}, "
                             f"{', '.join(_vname(i) for i in inputs)});")
        elif tri is not None:
            enable = self.expr(str(tri), f"pin {pin.name!r} three_state", self.signals())
            self.body.append(f"  assign {name} = ({enable}) ? 1'bz : ({func});")
        else:
            self.body.append(f"  assign {name} = {func};")

    def render(self) -> str:
        cell = self.cell
        head = _vname(cell.name)
        if not self.ports:
            lines = [f"// {cell.name}: no signal pins", f"module {head};"]
        else:
            lines = [f"// {cell.name}: {self.kind}", f"module {head} ("]
            decls = [f"  {p.direction} {_vname(p.name)}" for p in self.ports]
            lines.append(",\n".join(decls))
            lines.append(");")
        lines.extend(self.body)
        lines.append("endmodule")
        return "\n".join(lines) + "\n" + "".join(self.udps)

    # -- state -------------------------------------------------------------------------------

    def state_names(self, group: FlipFlop | Latch, kind: str) -> tuple[str, str | None]:
        names = [n for n in group.names if n]
        if not names:
            raise self.fail(f"{kind} group without state variable names")
        if len(set(names)) != len(names):
            raise self.fail(f"{kind} group names the state variable {names[0]!r} twice")
        ports = {p.name for p in self.ports} | self.internal
        for n in names:
            if n in ports:
                raise self.fail(f"{kind} state variable {n!r} has the name of a pin")
        q = names[0]
        # the second variable (IQ_N) only when something reads it: no unused reg in the model
        qn = names[1] if len(names) > 1 and names[1] in self.used else None
        self.body.append(f"  reg {_vname(q)};" if qn is None
                         else f"  reg {_vname(q)}, {_vname(qn)};")
        return q, qn

    def async_controls(self, group: FlipFlop | Latch, kind: str) -> dict:
        """Wires for clear/preset; returns the conditions and the sensitivity events."""
        inputs = {p.name for p in self.ports}
        ctl: dict = {"events": [], "both": None, "clr": None, "pre": None, "unknown": None}
        clear = self.expr(group.clear, f"{kind} clear", inputs) if group.clear else None
        preset = self.expr(group.preset, f"{kind} preset", inputs) if group.preset else None
        if clear is not None:
            clr = self.names.fresh("_clr")
            self.body.append(f"  wire {clr} = {clear};")
        if preset is not None:
            pre = self.names.fresh("_pre")
            self.body.append(f"  wire {pre} = {preset};")
        if clear is not None and preset is not None:
            both, clr_only, pre_only = (self.names.fresh(n)
                                        for n in ("_both", "_clr_only", "_pre_only"))
            self.body.append(f"  wire {both} = {clr} & {pre};")
            self.body.append(f"  wire {clr_only} = {clr} & ~{pre};")
            self.body.append(f"  wire {pre_only} = {pre} & ~{clr};")
            ctl.update(both=both, clr=clr_only, pre=pre_only,
                       unknown=f"{clr} !== 1'b0 || {pre} !== 1'b0",
                       events=[both, clr_only, pre_only])
        elif clear is not None:
            ctl.update(clr=clr, unknown=f"{clr} !== 1'b0", events=[clr])
        elif preset is not None:
            ctl.update(pre=pre, unknown=f"{pre} !== 1'b0", events=[pre])
        for var in ("clear_preset_var1", "clear_preset_var2"):
            value = getattr(group, var)
            if value is not None and value.strip().upper() not in ("L", "H", "N", "T", "X"):
                raise self.fail(f"{kind} {var} {value!r} is not one of L, H, N, T, X")
        return ctl

    def both_active(self, group: FlipFlop | Latch, q: str, qn: str | None,
                    ctl: dict) -> tuple[list[str], bool]:
        """Statements for clear and preset both active; True when a toggle needs a shadow."""
        v1 = (group.clear_preset_var1 or "L").strip().upper()
        complement = {"L": "H", "H": "L", "N": "N", "T": "T", "X": "X"}
        v2 = (group.clear_preset_var2 or complement[v1]).strip().upper()
        plain: list[str] = []
        toggles: list[str] = []
        for var, value in ((q, v1), (qn, v2)):
            if var is None or value == "N":
                continue
            name = _vname(var)
            if value == "T":
                toggles.append(f"{name} <= ~{name};")
            else:
                plain.append(f"{name} <= {_CONSTANT[value]};")
        if not toggles:
            return plain, False
        shadow = ctl.setdefault("shadow", self.names.fresh("_both_q"))
        return plain + [f"if ({shadow} !== 1'b1) begin", *("  " + t for t in toggles),
                        "end"], True

    def state_body(self, group: FlipFlop | Latch, kind: str, q: str, qn: str | None,
                   ctl: dict, condition: str | None, value: str) -> list[str]:
        """The if/else chain: async controls, then ``if (condition) q <= value``."""
        Q = _vname(q)
        QN = _vname(qn) if qn is not None else None

        def assign(v: str, vn: str) -> list[str]:
            out = [f"{Q} <= {v};"]
            if QN is not None:
                out.append(f"{QN} <= {vn};")
            return out

        branches: list[tuple[str | None, list[str]]] = []
        shadow_needed = False
        if ctl["both"] is not None:
            stmts, shadow_needed = self.both_active(group, q, qn, ctl)
            branches.append((ctl["both"], stmts))
        if ctl["clr"] is not None:
            branches.append((ctl["clr"], assign("1'b0", "1'b1")))
        if ctl["pre"] is not None:
            branches.append((ctl["pre"], assign("1'b1", "1'b0")))
        if ctl["unknown"] is not None:
            branches.append((ctl["unknown"], assign("1'bx", "1'bx")))
        branches.append((condition, assign(value, _not(value))))
        lines: list[str] = []
        for i, (cond, stmts) in enumerate(branches):
            keyword = "if" if i == 0 else "end else if"
            if cond is None:
                lines.append("end else begin" if i else "begin")
            else:
                lines.append(f"{keyword} ({cond}) begin")
            lines.extend("  " + s for s in stmts)
        lines.append("end")
        if lines[0] == "begin":  # no condition at all: drop the begin/end pair
            lines = [s[2:] for s in lines[1:-1]]
        if shadow_needed:  # remember whether both were active, to toggle only on entering
            op = "<=" if kind == "ff" else "="
            lines.append(f"{ctl['shadow']} {op} {ctl['both']};")
        return lines

    def flip_flop(self, ff: FlipFlop) -> None:
        if ff.bits is not None:
            raise self.fail(f"ff_bank of {ff.bits} bits is not supported")
        if ff.clocked_on_also:
            raise self.fail("clocked_on_also (a master-slave flip-flop) is not supported")
        inputs = {p.name for p in self.ports}
        q, qn = self.state_names(ff, "ff")
        clock = self.expr(ff.clocked_on, "ff clocked_on", inputs)
        variables = function_variables(ff.clocked_on)
        if len(variables) == 1 and clock == _vname(variables[0]):
            event = f"posedge {clock}"
        elif len(variables) == 1 and clock == "~" + _vname(variables[0]):
            event = f"negedge {_vname(variables[0])}"
        else:
            clk = self.names.fresh("_clk")
            self.body.append(f"  wire {clk} = {clock};")
            event = f"posedge {clk}"
        nxt = self.expr(ff.next_state, "ff next_state", inputs | {q} | ({qn} - {None}))
        ctl = self.async_controls(ff, "ff")
        events = [event] + [f"posedge {e}" for e in ctl["events"]]
        stmts = self.state_body(ff, "ff", q, qn, ctl, None, nxt)
        if "shadow" in ctl:
            self.body.append(f"  reg {ctl['shadow']};")
        self.body.append(f"  always @({' or '.join(events)}) begin")
        self.body.extend("    " + s for s in stmts)
        self.body.append("  end")

    def latch(self, latch: Latch) -> None:
        if latch.bits is not None:
            raise self.fail(f"latch_bank of {latch.bits} bits is not supported")
        inputs = {p.name for p in self.ports}
        q, qn = self.state_names(latch, "latch")
        states = {q} | ({qn} - {None})
        enable = self.expr(latch.enable, "latch enable", inputs | states)
        data = self.expr(latch.data_in, "latch data_in", inputs | states)
        ctl = self.async_controls(latch, "latch")
        stmts = self.state_body(latch, "latch", q, qn, ctl, enable, data)
        if "shadow" in ctl:
            self.body.append(f"  reg {ctl['shadow']};")
        self.body.append("  always @* begin")
        self.body.extend("    " + s for s in stmts)
        self.body.append("  end")

    def clock_gate(self, kind: str) -> set[str]:
        """Model of an integrated clock gate; returns the pins it drives."""
        m = re.fullmatch(r"(latch|none)_(posedge|negedge)(?:_(precontrol|postcontrol))?",
                         kind.strip())
        if m is None:
            raise self.fail(f"clock_gating_integrated_cell {kind!r} is not supported (supported: "
                            "latch_/none_ + posedge/negedge, optionally _precontrol or "
                            "_postcontrol)")
        latched, edge, control = m.groups()
        roles: dict[str, list[str]] = {"clock": [], "enable": [], "test": [], "out": []}
        for pin in self.ports:
            for role in roles:
                if str(pin.attributes.get(f"clock_gate_{role}_pin", "")).strip() == "true":
                    roles[role].append(pin.name)
        for role in ("clock", "enable", "out"):
            if len(roles[role]) != 1:
                raise self.fail(f"clock gate {kind!r} needs one clock_gate_{role}_pin, found "
                                f"{len(roles[role])}")
        if control and len(roles["test"]) != 1:
            raise self.fail(f"clock gate {kind!r} needs one clock_gate_test_pin, found "
                            f"{len(roles['test'])}")
        if not control and roles["test"]:
            raise self.fail(f"clock gate {kind!r} has a clock_gate_test_pin but no pre/post "
                            "control")
        outs = [p.name for p in self.ports if p.direction != "input"]
        if outs != roles["out"]:
            raise self.fail(f"clock gate {kind!r} has outputs {outs} besides the "
                            "clock_gate_out_pin (observability outputs are not supported)")
        clk = _vname(roles["clock"][0])
        enable = _vname(roles["enable"][0])
        test = _vname(roles["test"][0]) if control else None
        if control == "precontrol" or (control and latched == "none"):
            enable = f"{enable} | {test}"
        if latched == "latch":
            gate = self.names.fresh("_gate")
            transparent = f"!{clk}" if edge == "posedge" else clk
            self.body.append(f"  reg {gate};")
            self.body.append("  always @* begin")
            self.body.append(f"    if ({transparent}) {gate} <= {enable};")
            self.body.append("  end")
            enable = f"{gate} | {test}" if control == "postcontrol" else gate
        out = _vname(roles["out"][0])
        if _PLAIN_ID.fullmatch(enable.strip()) is None:
            enable = f"({enable})"
        if edge == "posedge":
            self.body.append(f"  assign {out} = {clk} & {enable};")
        else:
            self.body.append(f"  assign {out} = {clk} | ~{enable};")
        return {roles["out"][0]}


def cell_model(cell: Cell, *, library_path: str | None = None, primitives: bool = False) -> str:
    """Verilog simulation model of one cell.

    Parameters
    ----------
    cell : Cell
        A cell of a library loaded by :func:`gen.eda.liberty.load`.
    library_path : str, optional
        Library file named in error messages (:func:`cell_models` passes it).
    primitives : bool
        Combinational outputs as user-defined primitives (module documentation).

    Returns
    -------
    str
        ``module <cell> (...); ... endmodule`` followed by a newline, preceded by one comment
        line (see the module documentation for the rules; power pins are not ports); with
        ``primitives``, the primitives it instantiates follow it.

    Raises
    ------
    CellModelError
        The cell cannot be modelled; the message says why.
    """
    return _Model(cell, library_path, primitives).build()


# --------------------------------------------------------------------------------------------
# Libraries


def _header(library: Library, count: int, primitives: bool = False) -> str:
    source = Path(library.path).name if library.path else "<string>"
    return "\n".join([
        f"// Zero-delay simulation models of {count} cells of the Liberty library",
        f"// {library.name} ({source}),",
        "// generated by gen.eda.cellsim from the cells' functions: do not edit, regenerate.",
        "// No timing. Power/ground pins are not ports: netlists must not connect them.",
        "// Flip-flop and latch state starts at x: the design must reset it.",
        *(["// Combinational outputs are user-defined primitives (4-state tables)."]
          if primitives else []),
        "`timescale 1ns/1ps",
        "",
    ]) + "\n"


def unmodelled(library: Library) -> dict[str, str]:
    """Cells of ``library`` that have no model, with the reason.

    Parameters
    ----------
    library : Library

    Returns
    -------
    dict of str to str
        Cell name to reason, sorted by cell name.
    """
    out: dict[str, str] = {}
    for name in sorted(library.cells):
        try:
            cell_model(library.cells[name], library_path=library.path)
        except CellModelError as exc:
            out[name] = exc.reason
    return out


def cell_models(library: Library, cells: Iterable[str] | None = None, *,
                primitives: bool = False) -> str:
    """Verilog models of cells of a library, as one source file.

    Parameters
    ----------
    library : Library
        Library loaded by :func:`gen.eda.liberty.load`.
    cells : iterable of str, optional
        Cells to model (duplicates are ignored). None models every cell that can be modelled
        and silently leaves out the others (see :func:`unmodelled`).
    primitives : bool
        Combinational outputs as user-defined primitives (for Icarus Verilog; see the module
        documentation).

    Returns
    -------
    str
        A header comment (library, "do not edit", zero delay, no power pins), ```timescale
        1ns/1ps`` and one module per cell sorted by name; the same input gives the same text
        byte for byte.

    Raises
    ------
    CellModelError
        A requested cell is not in the library, or cannot be modelled.
    """
    modules: list[str] = []
    if cells is None:
        for name in sorted(library.cells):
            try:
                modules.append(cell_model(library.cells[name], library_path=library.path,
                                          primitives=primitives))
            except CellModelError:
                continue
    else:
        if isinstance(cells, str):
            cells = [cells]
        for name in sorted(set(cells)):
            cell = library.cells.get(name)
            if cell is None:
                raise CellModelError(name, f"no such cell in library {library.name!r}",
                                     library.path)
            modules.append(cell_model(cell, library_path=library.path, primitives=primitives))
    return _header(library, len(modules), primitives) + "\n".join(modules)


def write_cell_models(library: Library, cells: Iterable[str] | None, path: str | Path, *,
                      primitives: bool = False) -> Path:
    """Write :func:`cell_models` of ``cells`` to ``path``.

    Parameters
    ----------
    library : Library
    cells : iterable of str or None
        As for :func:`cell_models` (None: every cell that can be modelled).
    path : str or Path
        Output file; its parent directories are created.
    primitives : bool
        As for :func:`cell_models`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    CellModelError
        As for :func:`cell_models` (nothing is written then).
    """
    text = cell_models(library, cells, primitives=primitives)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(out, text)
    return out
