"""Switching-activity power and energy of a gate-level netlist, in the manner of OpenSTA.

Given a :class:`gen.netlist.Netlist`, its :class:`gen.liberty.Library` and the toggle counts of
a simulation (:class:`gen.activity.Activity`), :func:`analyse` computes for every cell instance,
over the activity window:

switching
    ``0.5 * C * V**2`` per toggle of each net the instance drives; ``C`` is the sum of the
    input-pin capacitances of the net's loads plus, with ``wire_load="default"``, the wire
    capacitance of the library's default wire-load model for that fanout (``"none"``: pins
    only). Top-level output ports add no pin load (no ``set_load``) but count as fanout.
internal
    For each toggle of an output pin, the energy of the pin's ``internal_power`` tables at the
    stated input slew and the net's actual load, rise and fall averaged; when several input pins
    have arcs to the output, their energies are weighted by how often each of them toggled. For
    each toggle of an input pin, the pin's own ``internal_power`` (e.g. a flip-flop's clock pin),
    rise and fall averaged. Groups that differ only by their ``when`` condition are averaged.
leakage
    ``leakage_power`` states weighted by the probability of their ``when`` condition (from the
    simulated duty of each pin, pins taken as independent), else ``cell_leakage_power``; times
    the window's duration.

Instances are grouped as OpenSTA does: *sequential* (cells with a flip-flop, latch or state
table), *clock* (cells that only drive clock networks: clock buffers, inverters and gates), and
*combinational*. Nets driven by top-level input ports have no driving instance: their switching
energy is reported apart (``input_switching``), as OpenSTA leaves it to the driver outside.

Limits, stated in every report: zero-delay activity has no glitches (glitch power is missing);
no parasitic extraction (wire-load model or none); one input slew for every pin.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .liberty import (
    Cell,
    InternalPower,
    LibertyError,
    Library,
    evaluate_function,
    function_variables,
)
from .netlist import Netlist

if TYPE_CHECKING:
    from .activity import Activity

__all__ = ["GROUPS", "DEFAULT_SLEW_NS", "PowerError", "PowerResult", "analyse", "LIMITS"]

GROUPS = ("sequential", "combinational", "clock")
DEFAULT_SLEW_NS = 0.1
LIMITS = ("zero-delay simulation: no glitch power", "no parasitic extraction (wire-load model "
          "or pin capacitance only)", "one input slew for every pin")
_KINDS = ("internal", "switching", "leakage")


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
        Nets that can toggle, and how many of them the activity file covered.
    unannotated : list of str
        Names of up to 20 nets without activity (taken as never toggling).
    toggles : int
        Toggles counted on annotated nets.
    cells : int
        Cell instances.
    voltage : float
        Supply voltage (V).
    slew : float
        Input slew used for the tables (s).
    wire_load : str
        Wire-load model used, or ``"none"``.
    liberty : str
        Library path.
    """

    duration: float
    groups: dict[str, Breakdown]
    per_module: dict[str, Breakdown]
    input_switching: float
    nets: int
    annotated: int
    unannotated: list[str]
    toggles: int
    cells: int
    voltage: float
    slew: float
    wire_load: str
    liberty: str
    physical_only: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Breakdown:
        out = Breakdown()
        for b in self.groups.values():
            out.add(b)
        return out

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
            "toggles": self.toggles,
            "voltage_v": self.voltage,
            "slew_ns": self.slew / 1e-9,
            "wire_load": self.wire_load,
            "liberty": self.liberty,
            "physical_only_cells": self.physical_only,
            "limits": list(LIMITS),
        }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _group_energy(groups: list[InternalPower], slew: float, load: float | None) -> float | None:
    """Average energy per transition (J) of internal-power groups; None if they hold no table."""
    vals = []
    for g in groups:
        parts = [t for t in (g.rise, g.fall) if t is not None]
        if not parts and g.power is not None:
            parts = [g.power]
        if not parts:
            continue
        vals.append(_mean([_table_at(t, slew, load) for t in parts]))
    return _mean(vals) if vals else None


def _table_at(table, slew: float, load: float | None) -> float:
    try:
        return table.at(slew, load if load is not None else 0.0)
    except TypeError as e:
        raise PowerError(f"internal-power table over {table.variables}: {e}") from None


def _probability(expr: str, duty: Mapping[str, float]) -> float:
    """P(expr is true) with pins independent and each at 1 with probability ``duty[pin]``."""
    names = function_variables(expr)
    total = 0.0
    for values in itertools.product((0, 1), repeat=len(names)):
        if evaluate_function(expr, dict(zip(names, values, strict=True))):
            p = 1.0
            for n, v in zip(names, values, strict=True):
                d = duty.get(n, 0.5)
                p *= d if v else 1.0 - d
            total += p
    return total


def _leakage(cell: Cell, duty: Mapping[str, float]) -> float:
    """Leakage power (W) of one instance."""
    states = [(w, p) for w, p in cell.leakage_states if w]
    if states:
        probs = []
        for when, p in states:
            try:
                probs.append((_probability(when, duty), p))
            except (LibertyError, KeyError):
                probs = []
                break
        norm = sum(q for q, _ in probs)
        if probs and norm > 0:
            return sum(q * p for q, p in probs) / norm
    if cell.leakage is None:
        raise PowerError(f"cell {cell.name} has no leakage power in its library")
    return cell.leakage


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
    """Nets that feed clock pins, through buffers and inverters."""
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


def _net_label(names) -> str:
    path, name, index = next((n for n in names if n[2] is None), names[0])
    base = "/".join((*path, name))
    return base if index is None else f"{base}[{index}]"


def analyse(netlist: Netlist, library: Library, activity: Activity, *,
            wire_load: str = "default", slew: float | None = None) -> PowerResult:
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
        Input slew in s for the internal-power tables (default :data:`DEFAULT_SLEW_NS`).

    Returns
    -------
    PowerResult

    Raises
    ------
    PowerError
        Bad options, a library without the requested wire-load model, a table that cannot be
        evaluated, a cell without leakage data, or an activity file that covers none of the
        netlist's nets (a wrong scope or the wrong file).
    """
    if wire_load not in ("default", "none"):
        raise PowerError(f"Wire load must be 'default' or 'none', not {wire_load!r}")
    if slew is None:
        slew = DEFAULT_SLEW_NS * 1e-9
    if not isinstance(slew, (int, float)) or not 0 < slew < 1e-6 or math.isnan(slew):
        raise PowerError(f"Slew must be a time in seconds between 0 and 1e-6, not {slew!r}")
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
    cells = library.cells
    v2 = library.voltage ** 2
    nets = netlist.nets
    n_nets = len(nets)

    # activity of every net
    toggles = [0] * n_nets
    duty = [0.5] * n_nets
    annotated = [False] * n_nets
    window_ticks = activity.end - activity.start
    for i, net in enumerate(nets):
        for path, name, index in net.names:
            t = activity.toggles(path, name, index)
            key = (path, name, index)
            if t is None and index is not None:
                key = (path, f"{name}[{index}]", None)
                t = activity.toggles(*key)
            if t is not None:
                toggles[i] = t
                high = activity.high.get(key)
                if high is not None and window_ticks > 0:
                    duty[i] = high / window_ticks
                annotated[i] = True
                break
    live = [i for i, net in enumerate(nets) if net.driver is not None or net.port == "input"]
    n_annot = sum(1 for i in live if annotated[i])
    if live and n_annot == 0:
        raise PowerError(
            f"activity file {activity.path} has none of the {len(live)} nets of {netlist.top} "
            f"in scope {'/'.join(activity.scope)} (wrong scope or wrong file?)")
    unannotated = [_net_label(nets[i].names) for i in live if not annotated[i]
                   and nets[i].names][:20]

    # load capacitance of every net
    cap = [0.0] * n_nets
    for i, net in enumerate(nets):
        c = 0.0
        for inst_i, pin in net.sinks:
            c += cells[netlist.instances[inst_i].cell].pins[pin].capacitance
        fanout = len(net.sinks) + (1 if net.port in ("output", "inout") else 0)
        if wl is not None:
            c += wl.capacitance(fanout)
        cap[i] = c

    clock = _clock_nets(netlist, library)
    groups = {g: Breakdown() for g in GROUPS}
    per_module: dict[str, Breakdown] = {}
    duration = activity.duration
    energy_cache: dict[tuple, float | None] = {}
    for inst in netlist.instances:
        cell = cells[inst.cell]
        b = Breakdown()
        pin_duty = {p: (duty[n] if n >= 0 else (1.0 if n == -2 else 0.0))
                    for p, n in inst.pins.items()}
        outs = [(p, n) for p, n in inst.pins.items()
                if n >= 0 and cell.pins[p].direction in ("output", "inout")]
        for p, n in outs:
            t_out = toggles[n]
            b.switching += 0.5 * cap[n] * v2 * t_out
            if not t_out:
                continue
            pin = cell.pins[p]
            related: dict[str | None, list[InternalPower]] = {}
            for g in pin.internal_power:
                related.setdefault(g.related_pin, []).append(g)
            weights = {}
            for r in related:
                rn = inst.pins.get(r) if r is not None else None
                weights[r] = toggles[rn] if rn is not None and rn >= 0 else 0
            wsum = sum(weights.values())
            e_pin = 0.0
            for r, gs in related.items():
                key = (inst.cell, p, r, round(cap[n], 21))
                e = energy_cache.get(key, False)
                if e is False:
                    e = energy_cache[key] = _group_energy(gs, slew, cap[n])
                if e is None:
                    continue
                w = weights[r] / wsum if wsum else 1.0 / len(related)
                e_pin += w * e
            b.internal += e_pin * t_out
        for p, n in inst.pins.items():
            if n < 0 or not toggles[n]:
                continue
            pin = cell.pins[p]
            if pin.direction != "input":
                continue
            own = [g for g in pin.internal_power if g.related_pin in (None, p)]
            if not own:
                continue
            key = (inst.cell, p, None, None)
            e = energy_cache.get(key, False)
            if e is False:
                e = energy_cache[key] = _group_energy(own, slew, None)
            if e is not None:
                b.internal += e * toggles[n]
        b.leakage = _leakage(cell, pin_duty) * duration
        if cell.sequential:
            group = "sequential"
        elif outs and all(n in clock for _, n in outs):
            group = "clock"
        else:
            group = "combinational"
        groups[group].add(b)
        per_module.setdefault("/".join(inst.path), Breakdown()).add(b)

    input_sw = sum(0.5 * cap[i] * v2 * toggles[i] for i, net in enumerate(nets)
                   if net.driver is None and net.port in ("input", "inout"))
    return PowerResult(
        duration=duration, groups=groups, per_module=dict(sorted(per_module.items())),
        input_switching=input_sw, nets=len(live), annotated=n_annot, unannotated=unannotated,
        toggles=sum(toggles[i] for i in live), cells=len(netlist.instances),
        voltage=library.voltage, slew=slew, wire_load=wl_name, liberty=library.path,
        physical_only=dict(netlist.physical_only))
