"""Switching-activity power and energy of a gate-level netlist, in the manner of OpenSTA.

Given a :class:`gen.eda.netlist.Netlist`, its :class:`gen.eda.liberty.Library` and the activity of a
simulation (:class:`gen.eda.activity.Activity`), :func:`analyse` computes for every cell instance,
over the activity window, what OpenSTA's ``read_vcd`` + ``report_power`` compute:

activity
    Every net of the netlist is matched to the dump by any of its names (Verilog escaped
    identifiers such as ``\\$129`` match the dump's ``$129``, in net names and in instance
    paths alike). Transitions are counted as OpenSTA counts them (a change between 0 and 1 is
    one transition, a change to or from X/Z half of one; :attr:`gen.eda.activity.Activity.
    transitions`); the duty of a net is its time at 1 over the window. A net the dump does not
    cover is an error unless ``allow_partial=True``; then it counts as never toggling at duty
    0.5 and the result carries the coverage and a warning.
switching
    ``0.5 * C * V**2`` per transition of each net an instance drives; ``C`` is the larger of the
    sums of the loads' ``rise_capacitance`` and ``fall_capacitance`` (their ``capacitance``
    where the library gives no rise/fall value), plus, with ``wire_load="default"``, the wire
    capacitance of the library's default wire-load model for that fanout (``"none"``: pins
    only). Top-level output ports add no pin load (no ``set_load``) but count as fanout.
internal
    For each transition of an output pin, the ``internal_power`` groups of the pin that have a
    related input pin, each weighted by ``density(input) * D / sum over the groups of the same``,
    where ``D`` is the probability that the output is sensitive to that input (the Boolean
    difference of the pin's ``function`` with respect to it, evaluated with the other inputs'
    duties, pins independent), or, for an input the function does not name (a flip-flop's clock),
    the probability of the group's ``when`` condition, else 1/2. Each group's energy is the
    mean of its ``rise_power`` and ``fall_power`` tables at the related input's slew (rising or
    falling as the arc's unateness says) and the output's load. For each transition of an input
    pin, the pin's own groups' energy at its slew, each weighted by the probability of its
    ``when`` condition (1 without one).
slews
    By default propagated as OpenSTA does without parasitics: the slew of each output is the
    largest ``rise_transition`` / ``fall_transition`` of its timing arcs at the related input's
    slew and the net's load (pins for that edge plus wire-load capacitance), in topological order
    from the primary inputs (``input_slew``, 0 by default as in OpenSTA without
    ``set_input_transition``); clock nets (those that reach clock pins through buffers,
    inverters and clock gates) are ideal, slew 0. ``slew=<seconds>`` uses one fixed slew for
    every pin instead.
leakage
    ``leakage_power`` states weighted by the probability of their ``when`` condition (from the
    simulated duty of each pin, pins taken as independent), else ``cell_leakage_power``; times
    the window's duration.

Instances are grouped as OpenSTA does: *clock* (cells all of whose outputs drive clock networks:
clock buffers, inverters and gates), *sequential* (cells with a flip-flop, latch or state
table), and *combinational*. Nets driven by top-level input ports have no driving instance: their
switching energy is reported apart (``input_switching``), as OpenSTA leaves it to the driver
outside.

Limits, stated in every report (:attr:`PowerResult.limits`): zero-delay activity has no glitches
(glitch power is missing); no parasitic extraction (wire-load model or none); slews from the
transition tables at the total load (no effective-capacitance delay calculation), or one fixed
slew.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .liberty import (
    Cell,
    LibertyError,
    Library,
    Table,
    evaluate_function,
    function_variables,
)
from .netlist import Netlist

if TYPE_CHECKING:
    from .activity import Activity

__all__ = ["GROUPS", "DEFAULT_SLEW_NS", "PowerError", "PowerResult", "analyse", "LIMITS",
           "limits"]

GROUPS = ("sequential", "combinational", "clock")
#: The fixed slew the CLI's ``--slew`` used to default to (ns); now only an example value.
DEFAULT_SLEW_NS = 0.1
_LIMIT_DELAY = "zero-delay simulation: no glitch power"
_LIMIT_WIRES = "no parasitic extraction (wire-load model or pin capacitance only)"
_LIMIT_PROPAGATED = ("slews propagated from the library's transition tables at the total load "
                     "(no effective-capacitance delay calculation), ideal clock (slew 0), "
                     "primary inputs at {input} ns")
_LIMIT_FIXED = "one input slew of {slew} ns for every pin (OpenSTA propagates slews)"
#: The limits of the default method (propagated slews, primary inputs at 0 ns).
LIMITS = (_LIMIT_DELAY, _LIMIT_WIRES, _LIMIT_PROPAGATED.format(input="0"))
_KINDS = ("internal", "switching", "leakage")
_UNCONNECTED = -9  # pin absent from an instance (net numbers of constants are -1..-4)
_MAX_FUNCTION_INPUTS = 16


def limits(slew: float | None = None, input_slew: float = 0.0) -> tuple[str, ...]:
    """The limits of an estimate, in words.

    Parameters
    ----------
    slew : float, optional
        The fixed slew in s (None: propagated slews).
    input_slew : float
        The primary inputs' slew in s (propagated slews only).
    """
    if slew is None:
        third = _LIMIT_PROPAGATED.format(input=f"{input_slew / 1e-9:g}")
    else:
        third = _LIMIT_FIXED.format(slew=f"{slew / 1e-9:g}")
    return (_LIMIT_DELAY, _LIMIT_WIRES, third)


class PowerError(ValueError):
    """Activity and netlist that cannot be combined into a trustworthy number."""


@dataclass
class Breakdown:
    """Energy in J by kind."""

    internal: float = 0.0
    switching: float = 0.0
    leakage: float = 0.0

    @property
    def total(self) -> float:
        return self.internal + self.switching + self.leakage

    def add(self, other: Breakdown) -> None:
        self.internal += other.internal
        self.switching += other.switching
        self.leakage += other.leakage


@dataclass
class PowerResult:
    """Energies over the activity window, by group, kind and module instance.

    Attributes
    ----------
    duration : float
        Window length in s.
    groups : dict of str to Breakdown
        ``sequential``, ``combinational``, ``clock``.
    per_module : dict of str to Breakdown
        By module-instance path (``/``-separated, ``""`` for cells of the top module).
    input_switching : float
        Switching energy (J) of nets driven by top-level input ports (not in :attr:`total`).
    nets, annotated : int
        Nets that can toggle (driven by a cell or a top-level input), and how many of them the
        activity file covered.
    unannotated : list of str
        Names of up to 20 nets without activity (taken as never toggling, duty 0.5).
    toggles : float
        Transitions counted on annotated nets (OpenSTA's count: X/Z changes are halves).
    cells : int
        Cell instances.
    voltage : float
        Supply voltage (V).
    slew : float or None
        The fixed slew (s), or None when slews were propagated.
    wire_load : str
        Wire-load model used, or ``"none"``.
    liberty : str
        Library path.
    physical_only : dict of str to int
        Instances of cells without a model (tap and fill cells), by cell name.
    warnings : list of str
        Everything the caller should know about the number (partial annotation...).
    input_slew : float
        Slew of the primary inputs (s) with propagated slews.
    """

    duration: float
    groups: dict[str, Breakdown]
    per_module: dict[str, Breakdown]
    input_switching: float
    nets: int
    annotated: int
    unannotated: list[str]
    toggles: float
    cells: int
    voltage: float
    slew: float | None
    wire_load: str
    liberty: str
    physical_only: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    input_slew: float = 0.0

    @property
    def total(self) -> Breakdown:
        out = Breakdown()
        for b in self.groups.values():
            out.add(b)
        return out

    @property
    def coverage(self) -> dict[str, object]:
        """Annotated nets, all nets, the fraction covered and up to 20 unannotated names."""
        return {"annotated": self.annotated, "nets": self.nets,
                "fraction": self.annotated / self.nets if self.nets else 1.0,
                "unannotated_examples": list(self.unannotated)}

    @property
    def slews(self) -> str:
        """``"propagated"`` or ``"fixed"``."""
        return "propagated" if self.slew is None else "fixed"

    @property
    def limits(self) -> tuple[str, ...]:
        """The limits of this estimate, in words (see :func:`limits`)."""
        return limits(self.slew, self.input_slew)

    def power_dict(self) -> dict[str, object]:
        """Average power in W, OpenSTA ``report_power`` style."""
        t = self.duration
        tot = self.total
        return {
            "total_w": tot.total / t,
            "internal_w": tot.internal / t,
            "switching_w": tot.switching / t,
            "leakage_w": tot.leakage / t,
            "groups": {g: {"internal_w": b.internal / t, "switching_w": b.switching / t,
                           "leakage_w": b.leakage / t, "total_w": b.total / t}
                       for g, b in self.groups.items()},
            "input_switching_w": self.input_switching / t,
            "duration_s": t,
            "cells": self.cells,
            "nets": self.nets,
            "annotated_nets": self.annotated,
            "unannotated_nets": self.nets - self.annotated,
            "coverage": self.coverage,
            "warnings": list(self.warnings),
            "toggles": self.toggles,
            "voltage_v": self.voltage,
            "slews": self.slews,
            "slew_ns": None if self.slew is None else self.slew / 1e-9,
            "input_slew_ns": self.input_slew / 1e-9,
            "wire_load": self.wire_load,
            "liberty": self.liberty,
            "physical_only_cells": self.physical_only,
            "limits": list(self.limits),
        }


# ---------------------------------------------------------------------------------------------
# names


def _unescape(name: str) -> str:
    """A Verilog name as a waveform writes it: without the escape backslash and its blank."""
    if name.startswith("\\"):
        return name[1:].rstrip(" ")
    return name


def _net_label(names) -> str:
    path, name, index = next((n for n in names if n[2] is None), names[0])
    base = "/".join(_unescape(x) for x in (*path, name))
    return base if index is None else f"{base}[{index}]"


def _match(netlist: Netlist, activity: Activity):
    """Activity key of every net (None when the dump does not have it)."""
    bits = activity.bits
    keys: list = [None] * len(netlist.nets)
    paths: dict[tuple[str, ...], tuple[str, ...]] = {}
    for i, net in enumerate(netlist.nets):
        for path, name, index in net.names:
            key = (path, name, index)
            if key in bits:
                keys[i] = key
                break
            p = paths.get(path)
            if p is None:
                p = paths[path] = tuple(_unescape(x) for x in path)
            n = _unescape(name) if name[:1] == "\\" else name
            key = (p, n, index)
            if key in bits:
                keys[i] = key
                break
            if index is not None:
                key = (p, f"{n}[{index}]", None)
                if key in bits:
                    keys[i] = key
                    break
    return keys


def _scope_hint(netlist: Netlist, activity: Activity) -> str:
    """Sub-scopes of the dump that hold the netlist's top-level port names (a wrong --scope)."""
    ports: dict[tuple[str, int | None], int] = {}
    for i, net in enumerate(netlist.nets):
        if net.port is not None:
            for path, name, index in net.names:
                if not path:
                    ports[(_unescape(name), index)] = i
    n_ports = len(set(ports.values()))
    if not n_ports:
        return ""
    found: dict[tuple[str, ...], set[int]] = {}
    for rel, name, index in activity.bits:
        if rel and (name, index) in ports:
            found.setdefault(rel, set()).add(ports[(name, index)])
    best = sorted(((rel, len(v)) for rel, v in found.items()), key=lambda kv: (-kv[1], kv[0]))
    base = "/".join(activity.scope)
    shown = [f"{'/'.join((base, *rel)) if base else '/'.join(rel)} ({k} of {n_ports} port "
             "bits)" for rel, k in best[:3] if k >= max(1, n_ports // 2)]
    return f" (the dump holds the netlist's ports in {', '.join(shown)})" if shown else ""


# ---------------------------------------------------------------------------------------------
# tables and Boolean functions, vectorised over instances


def _coords(table: Table, slew: np.ndarray, load: np.ndarray) -> list[np.ndarray]:
    from .liberty import _CAP_VARIABLES, _TIME_VARIABLES

    out = []
    for var in table.variables:
        if var in _TIME_VARIABLES:
            out.append(slew / table.units.time)
        elif var in _CAP_VARIABLES:
            out.append(load / table.units.capacitance)
        else:
            raise PowerError(f"table over {table.variables}: the variable {var!r} is neither "
                             "a transition time nor a load capacitance")
    return out


def _table_many(table: Table, slew: np.ndarray, load: np.ndarray) -> np.ndarray:
    """``table.at(slew[i], load[i])`` for every i (SI), multilinear inter-/extrapolation."""
    coords = _coords(table, slew, load)
    n = slew.shape[0]
    values = np.asarray(table.values, dtype=float)
    if not coords:
        return np.full(n, float(values.reshape(-1)[0]) * table.value_unit)
    parts = []  # per axis: (low index, high index, weight of high)
    for idx, x in zip(table.indices, coords, strict=True):
        idx = np.asarray(idx, dtype=float)
        if idx.size == 1:
            zero = np.zeros(n, dtype=np.int64)
            parts.append((zero, zero, np.zeros(n)))
            continue
        i = np.clip(np.searchsorted(idx, x, side="right") - 1, 0, idx.size - 2)
        lo, hi = idx[i], idx[i + 1]
        parts.append((i, i + 1, (x - lo) / (hi - lo)))
    total = np.zeros(n)
    for corner in range(1 << len(parts)):
        weight = np.ones(n)
        pos = []
        for axis, (lo, hi, t) in enumerate(parts):
            if corner >> axis & 1:
                weight = weight * t
                pos.append(hi)
            else:
                weight = weight * (1.0 - t)
                pos.append(lo)
        total += weight * values[tuple(pos)]
    return total * table.value_unit


class _Truth:
    """Truth tables of a cell's functions over a fixed variable order (cached per cell)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.codes = np.arange(1 << len(self.names), dtype=np.int64)
        self.cache: dict[tuple, np.ndarray] = {}

    def table(self, expr: str) -> np.ndarray:
        key = ("f", expr)
        t = self.cache.get(key)
        if t is None:
            values = {n: (self.codes >> j) & 1 for j, n in enumerate(self.names)}
            t = np.broadcast_to(np.asarray(evaluate_function(expr, values), dtype=bool),
                                self.codes.shape).copy()
            self.cache[key] = t
        return t

    def difference(self, expr: str, var: str) -> np.ndarray:
        """Boolean difference of ``expr`` with respect to ``var`` (1 where var flips it)."""
        key = ("d", expr, var)
        t = self.cache.get(key)
        if t is None:
            bit = 1 << self.names.index(var)
            f = self.table(expr)
            t = f[self.codes & ~bit] ^ f[self.codes | bit]
            self.cache[key] = t
        return t


def _probability(truth: np.ndarray, duties: np.ndarray) -> np.ndarray:
    """P(function) per instance; ``duties`` is (instances, variables), truth over 2**variables."""
    k, nvar = duties.shape
    m = np.ones((k, 1))
    for j in range(nvar):  # the code's bit j is variable j: variable j doubles the columns
        d = duties[:, j:j + 1]
        m = np.concatenate((m * (1.0 - d), m * d), axis=1)
    # each step appends the new variable as the most significant bit: column c has variable j
    # at bit j, the truth table's order
    return m @ truth.astype(float)


# ---------------------------------------------------------------------------------------------
# clock networks, groups


def _is_buffer(cell: Cell) -> bool:
    if cell.sequential or len(cell.inputs) != 1 or len(cell.outputs) != 1:
        return False
    f = cell.pins[cell.outputs[0]].function
    if not f:
        return False
    a = cell.inputs[0]
    try:
        table = [evaluate_function(f, {a: v}) for v in (0, 1)]
    except (LibertyError, KeyError):
        return False
    return table in ([0, 1], [1, 0])


def _clock_nets(netlist: Netlist, library: Library) -> set[int]:
    """Nets that feed clock pins, through buffers, inverters and clock gates."""
    cells = library.cells
    clock: set[int] = set()
    todo = []
    for inst in netlist.instances:
        cell = cells[inst.cell]
        for p, n in inst.pins.items():
            pin = cell.pins.get(p)
            if n >= 0 and pin is not None and pin.direction == "input" and (
                    pin.clock or "clock_gate_clock_pin" in pin.attributes):
                if n not in clock:
                    clock.add(n)
                    todo.append(n)
    while todo:
        n = todo.pop()
        drv = netlist.nets[n].driver
        if drv is None:
            continue
        inst = netlist.instances[drv[0]]
        cell = cells[inst.cell]
        if _is_buffer(cell) or "clock_gating_integrated_cell" in cell.attributes:
            for p, m in inst.pins.items():
                pin = cell.pins.get(p)
                if m >= 0 and pin is not None and pin.direction == "input" and (
                        _is_buffer(cell) or pin.clock or "clock_gate_clock_pin"
                        in pin.attributes) and m not in clock:
                    clock.add(m)
                    todo.append(m)
    return clock


# ---------------------------------------------------------------------------------------------
# per-cell-type view of the netlist


@dataclass
class _Kind:
    """All instances of one cell: their indices and the net of each pin (vectors)."""

    cell: Cell
    insts: np.ndarray
    nets: dict[str, np.ndarray]  # pin -> net per instance (negative: constant or unconnected)


def _kinds(netlist: Netlist, library: Library) -> dict[str, _Kind]:
    by_cell: dict[str, list[int]] = {}
    for i, inst in enumerate(netlist.instances):
        by_cell.setdefault(inst.cell, []).append(i)
    out = {}
    for name, idx in by_cell.items():
        cell = library.cells[name]
        insts = np.array(idx, dtype=np.int64)
        col = {p: j for j, p in enumerate(cell.pins)}
        table = np.full((len(idx), len(col)), _UNCONNECTED, dtype=np.int64)
        for row, i in enumerate(idx):
            for p, n in netlist.instances[i].pins.items():
                table[row, col[p]] = n
        out[name] = _Kind(cell, insts, {p: table[:, j] for p, j in col.items()})
    return out


def _gather(values: np.ndarray, nets: np.ndarray, const: dict[int, float], default: float
            ) -> np.ndarray:
    """Per-instance value of a pin's net: ``values[net]``, constants and unconnected pins mapped."""
    out = np.full(nets.shape, default, dtype=float)
    ok = nets >= 0
    out[ok] = values[nets[ok]]
    for code, v in const.items():
        out[nets == code] = v
    return out


# ---------------------------------------------------------------------------------------------
# slews


def _unate(cell: Cell, out_pin: str, related: str) -> str:
    for arc in cell.pins[out_pin].timing:
        if arc.related_pin == related:
            return arc.sense
    return "positive_unate"


def _levels(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Topological level of n nodes under edges src -> dst (nodes on loops: after the rest)."""
    if src.size:
        pair = np.unique(src * n + dst)
        src, dst = pair // n, pair % n
    indeg = np.bincount(dst, minlength=n)
    order = np.argsort(src, kind="stable")
    src_s, dst_s = src[order], dst[order]
    start = np.searchsorted(src_s, np.arange(n + 1))
    level = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    frontier = np.flatnonzero(indeg == 0)
    lev = 0
    while frontier.size:
        level[frontier] = lev
        done[frontier] = True
        lo, hi = start[frontier], start[frontier + 1]
        count = hi - lo
        total = int(count.sum())
        if not total:
            break
        idx = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(total)
        targets = dst_s[idx]
        np.subtract.at(indeg, targets, 1)
        frontier = np.unique(targets[indeg[targets] == 0])
        lev += 1
    if not done.all():  # combinational loops: the rest after everything else
        level[~done] = level.max(initial=0) + 1
    return level


def _propagate_slews(netlist: Netlist, kinds: Mapping[str, _Kind], cap_rf: np.ndarray,
                     clock: set[int], input_slew: float) -> np.ndarray:
    """Slew (s) of every net for a rising (column 0) and falling (column 1) transition."""
    n_nets = len(netlist.nets)
    slew = np.zeros((n_nets, 2))
    fixed = np.zeros(n_nets, dtype=bool)
    for i, net in enumerate(netlist.nets):
        if i in clock:
            fixed[i] = True  # ideal clock: slew 0
        elif net.driver is None:
            fixed[i] = True
            if net.port in ("input", "inout"):
                slew[i] = input_slew
    # levelise: an instance waits for the drivers of the nets its timing arcs start from
    n_inst = len(netlist.instances)
    driver = np.full(n_nets, -1, dtype=np.int64)
    for i, net in enumerate(netlist.nets):
        if net.driver is not None and not fixed[i]:
            driver[i] = net.driver[0]
    src_l, dst_l = [], []
    for kind in kinds.values():
        related = set()
        for p in kind.cell.outputs:
            related.update(a.related_pin for a in kind.cell.pins[p].timing)
        for r in related:
            nets = kind.nets.get(r)
            if nets is None:
                continue
            ok = nets >= 0
            src = driver[nets[ok]]
            dst = kind.insts[ok]
            keep = (src >= 0) & (src != dst)
            src_l.append(src[keep])
            dst_l.append(dst[keep])
    level = _levels(n_inst, np.concatenate(src_l or [np.zeros(0, np.int64)]),
                    np.concatenate(dst_l or [np.zeros(0, np.int64)]))
    by_level = []
    for kind in kinds.values():
        lv = level[kind.insts]
        order = np.argsort(lv, kind="stable")
        bounds = np.flatnonzero(np.diff(lv[order])) + 1
        for chunk in np.split(order, bounds):
            if chunk.size:
                by_level.append((int(lv[chunk[0]]), kind, chunk))
    by_level.sort(key=lambda x: x[0])
    for _, kind, sel in by_level:
        for p in kind.cell.outputs:
            out = kind.nets[p][sel]
            ok = out >= 0
            if not ok.any() or not kind.cell.pins[p].timing:
                continue
            out_ok = out[ok]
            best = np.zeros((out_ok.size, 2))
            for arc in kind.cell.pins[p].timing:
                rn = kind.nets.get(arc.related_pin)
                if rn is None:
                    continue
                rn = rn[sel][ok]
                from_slew = np.zeros((rn.size, 2))
                good = rn >= 0
                from_slew[good] = slew[rn[good]]
                for col, table in ((0, arc.rise), (1, arc.fall)):
                    if table is None:
                        continue
                    if arc.kind in ("rising_edge", "falling_edge"):
                        s_in = from_slew[:, 0 if arc.kind == "rising_edge" else 1]
                    elif arc.sense == "positive_unate":
                        s_in = from_slew[:, col]
                    elif arc.sense == "negative_unate":
                        s_in = from_slew[:, 1 - col]
                    else:
                        s_in = from_slew.max(axis=1)
                    v = _table_many(table, s_in, cap_rf[out_ok, col])
                    best[:, col] = np.maximum(best[:, col], v)
            keep = ~fixed[out_ok]
            slew[out_ok[keep]] = best[keep]
    return slew


# ---------------------------------------------------------------------------------------------
# the estimate


def _check_time(name: str, value, low_inclusive: bool) -> float:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and (value >= 0 if low_inclusive else value > 0)
          and value <= 1e-6)
    if not ok:
        bound = "0 (inclusive)" if low_inclusive else "0"
        raise PowerError(f"{name} must be a time in seconds between {bound} and 1e-6, not "
                         f"{value!r}")
    return float(value)


def analyse(netlist: Netlist, library: Library, activity: Activity, *,
            wire_load: str = "default", slew: float | None = None, input_slew: float = 0.0,
            allow_partial: bool = False) -> PowerResult:
    """Energy of every instance of ``netlist`` over the window of ``activity``.

    Parameters
    ----------
    netlist, library
        The netlist and the library its cells come from.
    activity
        Toggle counts, read with the netlist's top at the activity's scope.
    wire_load : {"default", "none"}
        ``"default"``: the library's ``default_wire_load`` model (an error when it has none);
        ``"none"``: pin capacitance only.
    slew : float, optional
        One fixed slew in s for every pin's tables; default (None): slews propagated from the
        library's transition tables, as OpenSTA does (see the module docstring).
    input_slew : float, default 0
        Slew in s of the nets driven by top-level input ports, with propagated slews (OpenSTA's
        ``set_input_transition``; without it OpenSTA takes 0).
    allow_partial : bool, default False
        Accept an activity file that covers only part of the netlist's nets (the rest never
        toggle, duty 0.5); the result's :attr:`PowerResult.warnings` say so. When False such a
        file is an error.

    Returns
    -------
    PowerResult

    Raises
    ------
    PowerError
        Bad options, a library without the requested wire-load model, a table that cannot be
        evaluated, a cell without leakage data, an activity file that covers none of the
        netlist's nets, or (unless ``allow_partial``) not all of them: the message says how
        many nets of how many are missing, names a few, and lists the dump's scopes that hold
        the netlist's port names when the scope looks wrong.
    """
    if wire_load not in ("default", "none"):
        raise PowerError(f"Wire load must be 'default' or 'none', not {wire_load!r}")
    if slew is not None:
        if not (isinstance(slew, (int, float)) and not isinstance(slew, bool)
                and math.isfinite(slew) and 0 < slew <= 1e-6):
            raise PowerError(f"Slew must be a time in seconds between 0 and 1e-6, not {slew!r}")
        slew = float(slew)
    input_slew = _check_time("Input slew", input_slew, True)
    wl = None
    wl_name = "none"
    if wire_load == "default":
        try:
            wl = library.wire_load()
        except LibertyError as e:
            raise PowerError(str(e)) from None
        if wl is None:
            raise PowerError(f"liberty file {library.path} has no default_wire_load; "
                             "use wire_load='none' (--wire-load none)")
        wl_name = wl.name
    if not activity.duration > 0:
        raise PowerError(f"activity window of {activity.path} has no duration")
    v2 = library.voltage ** 2
    nets = netlist.nets
    n_nets = len(nets)

    # activity of every net
    keys = _match(netlist, activity)
    trans = activity.transitions or activity.bits
    window_ticks = activity.end - activity.start
    tog = np.zeros(n_nets)
    duty = np.full(n_nets, 0.5)
    annotated = np.zeros(n_nets, dtype=bool)
    for i, key in enumerate(keys):
        if key is None:
            continue
        annotated[i] = True
        tog[i] = trans.get(key, activity.bits[key])
        high = activity.high.get(key)
        if high is not None and window_ticks > 0:
            duty[i] = high / window_ticks
    # every net something drives: a cell, or the outside through an input or inout port
    live = [i for i, net in enumerate(nets)
            if net.driver is not None or net.port in ("input", "inout")]
    n_annot = int(annotated[live].sum()) if live else 0
    where = f"scope {'/'.join(activity.scope) or '(whole file)'} of {activity.path}"
    if live and n_annot == 0:
        raise PowerError(
            f"activity file {activity.path} has none of the {len(live)} nets of {netlist.top} "
            f"in scope {'/'.join(activity.scope)} (wrong scope or wrong file?)"
            f"{_scope_hint(netlist, activity)}")
    missing = [i for i in live if not annotated[i]]
    unannotated = [_net_label(nets[i].names) if nets[i].names else f"net #{i}"
                   for i in missing][:20]
    warnings = []
    if missing:
        text = (f"{len(missing)} of {len(live)} nets of {netlist.top} have no activity in "
                f"{where} (e.g. {', '.join(unannotated[:5])})")
        if not allow_partial:
            raise PowerError(f"{text}: a wrong scope{_scope_hint(netlist, activity)}, or a dump "
                             "of only part of the design? Accept a partial estimate (those nets "
                             "never toggle) with --allow-partial (allow_partial=True in the API)")
        warnings.append(f"{text}; they are taken as never toggling (duty 0.5), so the "
                        f"estimate covers {n_annot / len(live):.1%} of the nets")

    # load capacitance of every net: pins per edge (+ wire), the larger edge for switching
    kinds = _kinds(netlist, library)
    pin_rf = np.zeros((n_nets, 2))
    fanout = np.zeros(n_nets)
    for kind in kinds.values():
        for p, pn in kind.nets.items():
            pin = kind.cell.pins[p]
            if pin.direction not in ("input", "inout"):
                continue
            ok = pn[pn >= 0]
            if ok.size:
                np.add.at(pin_rf[:, 0], ok, pin.rise_capacitance)
                np.add.at(pin_rf[:, 1], ok, pin.fall_capacitance)
                np.add.at(fanout, ok, 1.0)
    for i, net in enumerate(nets):
        if net.port in ("output", "inout"):
            fanout[i] += 1
    wire = np.zeros(n_nets)
    if wl is not None:
        cache: dict[float, float] = {}
        for i, f in enumerate(fanout.tolist()):
            c = cache.get(f)
            if c is None:
                c = cache[f] = wl.capacitance(f)
            wire[i] = c
    cap_rf = pin_rf + wire[:, None]
    cap = cap_rf.max(axis=1)

    clock = _clock_nets(netlist, library)
    if slew is None:
        slews = _propagate_slews(netlist, kinds, cap_rf, clock, input_slew)
    else:
        slews = np.full((n_nets, 2), slew)

    n_inst = len(netlist.instances)
    e_int = np.zeros(n_inst)
    e_sw = np.zeros(n_inst)
    e_leak = np.zeros(n_inst)
    duration = activity.duration
    const_duty = {-1: 0.0, -2: 1.0, -3: 0.0, -4: 0.0, _UNCONNECTED: 0.0}
    const_zero = {c: 0.0 for c in const_duty}
    for kind in kinds.values():
        cell = kind.cell
        k = kind.insts.size
        pin_duty = {p: _gather(duty, pn, const_duty, 0.0) for p, pn in kind.nets.items()}
        pin_tog = {p: _gather(tog, pn, const_zero, 0.0) for p, pn in kind.nets.items()}
        seen: dict[tuple[str, str | None], np.ndarray] = {}

        def probability(expr: str, diff_var: str | None = None, *, cell=cell, k=k,
                        pin_duty=pin_duty, seen=seen) -> np.ndarray:
            """P(expr), or P(d expr / d diff_var), per instance (other pins independent)."""
            got = seen.get((expr, diff_var))
            if got is not None:
                return got
            vars_ = function_variables(expr)
            if len(vars_) > _MAX_FUNCTION_INPUTS:
                raise PowerError(f"cell {cell.name}: {expr!r} has more than "
                                 f"{_MAX_FUNCTION_INPUTS} variables")
            t = _Truth(vars_)
            tab = t.difference(expr, diff_var) if diff_var else t.table(expr)
            d = (np.column_stack([pin_duty.get(v, np.full(k, 0.5)) for v in vars_])
                 if vars_ else np.zeros((k, 0)))
            got = seen[(expr, diff_var)] = _probability(tab, d)
            return got

        for p, pn in kind.nets.items():
            pin = cell.pins[p]
            if pin.direction in ("output", "inout"):
                ok = pn >= 0
                if not ok.any():
                    continue
                out = pn[ok]
                e_sw[kind.insts[ok]] += 0.5 * v2 * cap[out] * tog[out]
                groups = [g for g in pin.internal_power
                          if g.related_pin is not None and g.related_pin in cell.pins]
                if not groups:
                    continue
                func = pin.function
                fvars = function_variables(func) if func else ()
                load = cap[out]
                num = []
                energy = []
                for g in groups:
                    r = g.related_pin
                    rn = kind.nets[r][ok]
                    try:
                        if func and r in fvars:
                            d = probability(func, r)[ok]
                        elif g.when:
                            d = probability(g.when)[ok]
                        else:
                            d = np.full(out.size, 0.5)
                    except (LibertyError, KeyError) as e:
                        raise PowerError(f"cell {cell.name} pin {p}: {e}") from None
                    d = np.where(rn == _UNCONNECTED, 0.0, d)
                    num.append(pin_tog[r][ok] * d)
                    sense = _unate(cell, p, r)
                    from_slew = np.zeros((out.size, 2))
                    good = rn >= 0
                    from_slew[good] = slews[rn[good]]
                    e = np.zeros(out.size)
                    for col, table in ((0, g.rise or g.power), (1, g.fall or g.power)):
                        if table is None:
                            continue
                        src = col if sense != "negative_unate" else 1 - col
                        e += _table_many(table, from_slew[:, src], load)
                    energy.append(e / 2)
                num_a = np.array(num)
                den = num_a.sum(axis=0)
                w = np.divide(num_a, den, out=np.zeros_like(num_a), where=den > 0)
                e_int[kind.insts[ok]] += tog[out] * (w * np.array(energy)).sum(axis=0)
            elif pin.direction == "input" and pin.internal_power:
                ok = pn >= 0
                if not ok.any():
                    continue
                n_in = pn[ok]
                zero = np.zeros(n_in.size)
                total = np.zeros(n_in.size)
                for g in pin.internal_power:
                    e = np.zeros(n_in.size)
                    for col, table in ((0, g.rise or g.power), (1, g.fall or g.power)):
                        if table is not None:
                            e += _table_many(table, slews[n_in, col], zero)
                    e /= 2
                    if g.when:
                        try:
                            e = e * probability(g.when)[ok]
                        except (LibertyError, KeyError) as exc:
                            raise PowerError(f"cell {cell.name} pin {p}: {exc}") from None
                    total += e
                e_int[kind.insts[ok]] += tog[n_in] * total
        e_leak[kind.insts] = _leakage(cell, probability, k) * duration

    # groups as OpenSTA forms them: clock first (every output drives a clock net)
    clock_mask = np.zeros(n_nets + 1, dtype=bool)
    clock_mask[list(clock)] = True
    group_of = np.zeros(n_inst, dtype=np.int64)  # index into GROUPS
    for kind in kinds.values():
        outs = [pn for p, pn in kind.nets.items()
                if kind.cell.pins[p].direction in ("output", "inout")]
        g = np.full(kind.insts.size, GROUPS.index(
            "sequential" if kind.cell.sequential else "combinational"))
        if outs:
            o = np.column_stack(outs)
            conn = o >= 0
            on_clock = np.where(conn, clock_mask[np.where(conn, o, n_nets)], True)
            g[conn.any(axis=1) & on_clock.all(axis=1)] = GROUPS.index("clock")
        group_of[kind.insts] = g
    path_id: dict[tuple[str, ...], int] = {}
    inst_path = np.fromiter((path_id.setdefault(inst.path, len(path_id))
                             for inst in netlist.instances), dtype=np.int64, count=n_inst)
    sums = {}
    for name, e in (("internal", e_int), ("switching", e_sw), ("leakage", e_leak)):
        sums[name] = (np.bincount(group_of, e, minlength=len(GROUPS)),
                      np.bincount(inst_path, e, minlength=len(path_id)))
    groups = {g: Breakdown(*(float(sums[k][0][j]) for k in _KINDS))
              for j, g in enumerate(GROUPS)}
    per_module: dict[str, Breakdown] = {}
    for path, j in path_id.items():
        per_module.setdefault("/".join(_unescape(x) for x in path), Breakdown()).add(
            Breakdown(*(float(sums[k][1][j]) for k in _KINDS)))

    input_sw = float(sum(0.5 * cap[i] * v2 * tog[i] for i, net in enumerate(nets)
                         if net.driver is None and net.port in ("input", "inout")))
    return PowerResult(
        duration=duration, groups=groups, per_module=dict(sorted(per_module.items())),
        input_switching=input_sw, nets=len(live), annotated=n_annot, unannotated=unannotated,
        toggles=float(tog[live].sum()) if live else 0.0, cells=len(netlist.instances),
        voltage=library.voltage, slew=slew, wire_load=wl_name, liberty=library.path,
        physical_only=dict(netlist.physical_only), warnings=warnings, input_slew=input_slew)


def _leakage(cell: Cell, probability, k: int) -> np.ndarray:
    """Leakage power (W) of every instance of ``cell``."""
    states = [(w, p) for w, p in cell.leakage_states if w]
    if states:
        try:
            probs = [(probability(when), p) for when, p in states]
        except (LibertyError, KeyError, PowerError):
            probs = []
        if probs:
            norm = sum(q for q, _ in probs)
            weighted = sum(q * p for q, p in probs)
            good = norm > 0
            if good.all() or cell.leakage is not None:
                fallback = cell.leakage if cell.leakage is not None else 0.0
                return np.where(good, weighted / np.where(good, norm, 1.0), fallback)
    if cell.leakage is None:
        raise PowerError(f"cell {cell.name} has no leakage power in its library")
    return np.full(k, cell.leakage)
