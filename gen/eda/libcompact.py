"""Write the compact embedded sky130_fd_sc_hd library from the full SkyWater liberty file.

``python -m gen.eda.libcompact SRC.lib[.gz] OUT.lib`` reads the full typical-corner library (e.g.
``../shared/pdk/sky130_fd_sc_hd/sky130hd_tt.lib.gz``), keeps the cells in :data:`CELLS` and
writes a smaller Liberty file that Yosys (``read_liberty``, ``dfflibmap``, ``abc``, ``stat``) and
:func:`gen.eda.liberty.load` read. Every number that is kept is copied as written in the source; the
header comment of the output lists the source, licence, cells and every simplification
(:data:`SIMPLIFICATIONS`). The shipped copy is ``gen/eda/data/sky130_fd_sc_hd_compact.lib``
(:func:`gen.eda.liberty.default_library_path`).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import files
from .liberty import Attribute, Group, LibertyError, QStr, load, parse_file

__all__ = ["CELLS", "SIMPLIFICATIONS", "build_compact", "format_group", "main"]

PREFIX = "sky130_fd_sc_hd__"
CELLS: tuple[str, ...] = tuple(
    PREFIX + name
    for name in (
        "inv_1", "inv_2", "inv_4", "buf_1", "buf_2", "buf_4",
        "nand2_1", "nand3_1", "nand4_1", "nor2_1", "nor3_1", "nor4_1",
        "and2_1", "and3_1", "and4_1", "or2_1", "or3_1", "or4_1", "xor2_1", "xnor2_1",
        "a21oi_1", "a21o_1", "a22oi_1", "a22o_1", "o21ai_1", "o21a_1", "o22ai_1", "o22a_1",
        "a211oi_1", "o211ai_1", "mux2_1", "mux2i_1", "ha_1", "fa_1", "maj3_1",
        "dfxtp_1", "dfrtp_1", "dfstp_1", "edfxtp_1", "conb_1",
    )
)
"""Cells kept (drive strength 1; inverter and buffer also 2 and 4)."""

# cell-level groups dropped
_CELL_GROUPS_DROP = frozenset({"pg_pin", "leakage_power", "test_cell"})
# simple attributes dropped at cell / pin / timing level
_CELL_ATTRS_DROP = frozenset({"driver_waveform_rise", "driver_waveform_fall"})
_PIN_ATTRS_DROP = frozenset({
    "related_power_pin", "related_ground_pin", "power_down_function", "driver_waveform_rise",
    "driver_waveform_fall",
})
_TIMING_ATTRS_DROP = frozenset({"sim_opt", "violation_delay_degrade_pct"})
# timing types of delay arcs (kept); constraint arcs (setup/hold/recovery/removal/min pulse
# width) are dropped
_DELAY_TIMING_TYPES = frozenset({
    "combinational", "combinational_rise", "combinational_fall", "rising_edge", "falling_edge",
    "clear", "preset", "three_state_enable", "three_state_disable",
})
# library-level groups dropped (driver waveforms are only referenced by dropped attributes)
_LIB_GROUPS_DROP = frozenset({"normalized_driver_waveform"})
_TEMPLATE_KINDS = frozenset({"lu_table_template", "power_lut_template"})
_TABLE_KINDS = frozenset({
    "rise_power", "fall_power", "power", "cell_rise", "cell_fall", "rise_transition",
    "fall_transition", "rise_constraint", "fall_constraint",
})

SIMPLIFICATIONS: tuple[str, ...] = (
    "Only the cells listed above; every other cell of the library is left out.",
    "Timing: the delay arcs of output pins (timing_type combinational, rising_edge, clear, "
    "preset: cell_rise, cell_fall, rise_transition, fall_transition tables) are kept as in the "
    "source; constraint arcs on input pins (setup, hold, recovery, removal, min_pulse_width) "
    "are dropped, so this file cannot be used to check setup/hold.",
    "Internal power: rise_power/fall_power tables are kept as in the source, one internal_power "
    "group per related pin (none of the kept cells has state-dependent internal_power groups; "
    "the script would average such groups and drop their 'when').",
    "Leakage: cell_leakage_power only (the source value); the state-dependent leakage_power "
    "groups are dropped.",
    "pg_pin groups, related_power_pin/related_ground_pin, power_down_function, the driver "
    "waveform (normalized_driver_waveform, driver_waveform_rise/fall), test_cell groups and the "
    "characterisation-tool attributes sim_opt and violation_delay_degrade_pct (with their "
    "define statements) are dropped.",
    "Only the lu_table_template/power_lut_template groups referenced by kept tables are kept; "
    "units, nom_voltage/temperature/process, operating_conditions, thresholds, the four "
    "wire_load tables and default_wire_load \"Small\" are kept as in the source.",
    "All kept numbers (areas, pin capacitances, leakage, table indices and values) are copied "
    "verbatim; no table is thinned.",
)


# --------------------------------------------------------------------------------------------
# Writing Liberty text


def _quote(value: str) -> str:
    return '"' + str(value).replace('"', '\\"') + '"'


def _value(value: str) -> str:
    return _quote(value) if isinstance(value, QStr) else str(value)


def format_group(group: Group, indent: int = 0) -> list[str]:
    """Liberty text lines of ``group`` (nested groups indented by 4 spaces).

    Quoted values (:class:`~gen.eda.liberty.QStr`) are written quoted, others as written; complex
    attributes with several quoted values (``values``) put one value per line with ``\\``
    continuations.
    """
    pad = " " * indent
    args = ", ".join(_value(a) for a in group.args)
    lines = [f"{pad}{group.kind} ({args}) {{"]
    inner = pad + "    "
    for item in group.body:
        if type(item) is Group:
            lines.extend(format_group(item, indent + 4))
        elif item.complex:
            vals = [_value(v) for v in item.value]
            if len(vals) > 1 and all(isinstance(v, QStr) for v in item.value):
                sep = ", \\\n" + inner + " " * (len(item.name) + 1)
                lines.append(f"{inner}{item.name}({sep.join(vals)});")
            else:
                lines.append(f"{inner}{item.name}({', '.join(vals)});")
        else:
            lines.append(f"{inner}{item.name} : {_value(item.value)};")
    lines.append(pad + "}")
    return lines


# --------------------------------------------------------------------------------------------
# Reduction


def _numbers(attr: Attribute) -> np.ndarray:
    return np.array([float(x) for v in attr.value for x in str(v).split(",") if x.strip()])


def _average_tables(tables: list[Group], where: str) -> Group:
    """One table whose values are the mean of ``tables`` (identical templates and indices)."""
    first = tables[0]
    key = [(t.args, [(a.name, list(a.value)) for a in t.body
                     if type(a) is Attribute and a.name.startswith("index_")]) for t in tables]
    if any(k != key[0] for k in key[1:]):
        raise LibertyError(f"{where}: cannot average {first.kind} tables with different indices")
    rows = [[a for a in t.body if type(a) is Attribute and a.name == "values"][-1] for t in tables]
    mean = np.mean([_numbers(r) for r in rows], axis=0)
    shape = [len(r.value) for r in rows][0]
    per_row = len(mean) // shape
    values = [QStr(", ".join(f"{x:.10g}" for x in mean[i * per_row:(i + 1) * per_row]))
              for i in range(shape)]
    body = [a for a in first.body if not (type(a) is Attribute and a.name == "values")]
    body.append(Attribute("values", values, True, rows[0].line))
    return Group(first.kind, first.args, body, first.line)


def _merge_internal_power(groups: list[Group], where: str) -> list[Group]:
    by_pin: dict[str | None, list[Group]] = {}
    for g in groups:
        rel = g.attr("related_pin")
        by_pin.setdefault(None if rel is None else str(rel), []).append(g)
    out = []
    for rel, same in by_pin.items():
        if len(same) == 1:
            out.append(same[0])
            continue
        body: list = []
        if rel is not None:
            body.append(Attribute("related_pin", QStr(rel), False, same[0].line))
        for kind in ("fall_power", "rise_power", "power"):
            tables = [t for g in same for t in g.groups(kind)]
            if not tables:
                continue
            if len(tables) != len(same):
                raise LibertyError(f"{where}: related pin {rel!r}: not every internal_power "
                                   f"group has a {kind} table")
            body.append(_average_tables(tables, f"{where} related pin {rel!r}"))
        out.append(Group("internal_power", [], body, same[0].line))
    return out


def _reduce_pin(pin: Group, cell: str) -> Group:
    where = f"{cell} pin {pin.args}"
    body: list = []
    powers = []
    for item in pin.body:
        if type(item) is Attribute:
            if not item.complex and item.name in _PIN_ATTRS_DROP:
                continue
            body.append(item)
        elif item.kind == "internal_power":
            powers.append(item)
        elif item.kind == "timing":
            ttype = str(item.attr("timing_type", "combinational"))
            if ttype not in _DELAY_TIMING_TYPES:
                continue
            tbody = [a for a in item.body
                     if not (type(a) is Attribute and a.name in _TIMING_ATTRS_DROP)]
            body.append(Group(item.kind, item.args, tbody, item.line))
        else:
            body.append(item)
    merged = _merge_internal_power(powers, where)
    # keep internal_power where the first one was, for a source-like layout
    first_timing = next((i for i, x in enumerate(body) if type(x) is Group), len(body))
    body[first_timing:first_timing] = merged
    return Group(pin.kind, pin.args, body, pin.line)


def _reduce_cell(cell: Group) -> Group:
    name = str(cell.name)
    body: list = []
    leak_values = []
    for item in cell.body:
        if type(item) is Attribute:
            if not item.complex and item.name in _CELL_ATTRS_DROP:
                continue
            body.append(item)
        elif item.kind == "leakage_power":
            leak_values.append(float(item.attr("value")))
        elif item.kind in _CELL_GROUPS_DROP:
            continue
        elif item.kind in ("pin", "bus", "bundle"):
            body.append(_reduce_pin(item, name) if item.kind == "pin" else item)
        else:
            body.append(item)
    if cell.attr("cell_leakage_power") is None:
        if not leak_values:
            raise LibertyError(f"cell {name!r}: no leakage given")
        mean = sum(leak_values) / len(leak_values)
        body.insert(0, Attribute("cell_leakage_power", f"{mean:.10g}", False, cell.line))
    return Group(cell.kind, cell.args, body, cell.line)


def _walk(group: Group) -> Iterable[Group | Attribute]:
    for item in group.body:
        yield item
        if type(item) is Group:
            yield from _walk(item)


def build_compact(src: str | Path, cells: Iterable[str] = CELLS) -> tuple[Group, list[str]]:
    """Reduced library tree and the kept cell names (in source order).

    Raises
    ------
    LibertyError
        The source cannot be read, or a requested cell is missing from it.
    """
    wanted = set(cells)

    def skip(kind: str, args: list) -> bool:
        return kind == "cell" and (not args or str(args[0]) not in wanted)

    root = parse_file(src, skip)
    kept = [str(g.name) for g in root.groups("cell")]
    missing = sorted(wanted - set(kept))
    if missing:
        raise LibertyError(f"{src}: cells not found: {', '.join(missing)}")
    body: list = []
    for item in root.body:
        if type(item) is Group:
            if item.kind in _LIB_GROUPS_DROP:
                continue
            if item.kind == "cell":
                item = _reduce_cell(item)
        body.append(item)
    lib = Group(root.kind, root.args, body, root.line)
    used = {str(t.args[0]) for t in _walk(lib)
            if type(t) is Group and t.args and t.kind in _TABLE_KINDS}
    used_names = {x.name for x in _walk(lib) if type(x) is Attribute}
    lib.body = [
        item for item in lib.body
        if not (type(item) is Group and item.kind in _TEMPLATE_KINDS
                and str(item.name) not in used)
        and not (type(item) is Attribute and item.complex and item.name == "define"
                 and str(item.value[0]) not in used_names)
    ]
    return lib, kept


def _header(src: str, kept: list[str]) -> str:
    cells = textwrap.fill(", ".join(c.removeprefix(PREFIX) for c in kept), 94,
                          initial_indent=" * ", subsequent_indent=" * ")
    simpl = "\n".join(
        textwrap.fill(s, 94, initial_indent=" *  - ", subsequent_indent=" *    ")
        for s in SIMPLIFICATIONS
    )
    return f"""/*
 * sky130_fd_sc_hd_compact.lib -- compact subset of the SkyWater SKY130 high-density standard
 * cell library (sky130_fd_sc_hd), typical corner tt, 25 C, 1.80 V (library
 * "sky130_fd_sc_hd__tt_025C_1v80").
 *
 * Source: sky130hd_tt.lib.gz, the full liberty file of that corner as distributed with
 * The-OpenROAD-Project/OpenSTA examples, from the SkyWater Open Source PDK
 * (google/skywater-pdk, libraries/sky130_fd_sc_hd).
 * Licence: Apache License 2.0 (the SkyWater PDK's licence; this derived file is distributed
 * under the same licence). Copyright 2020 The SkyWater PDK Authors.
 *
 * Generated by gen/libcompact.py (python -m gen.eda.libcompact {Path(src).name} OUT.lib); do not
 * edit by hand. Cells kept (prefix sky130_fd_sc_hd__):
{cells}
 *
 * Simplifications with respect to the source:
{simpl}
 *
 * Units (unchanged): time 1ns, capacitance 1pF, voltage 1V, leakage power 1nW, current 1mA;
 * area in um^2. internal_power tables are energies per transition in pF * V^2 = pJ; with
 * switching_power_split_model "true" the output rise_power/fall_power tables each carry
 * +/- half of the load's C*V^2, so only their rise/fall average is the internal energy.
 */
"""


def write_compact(src: str | Path, out: str | Path, cells: Iterable[str] = CELLS) -> list[str]:
    """Write the compact library ``out`` from ``src``; returns the kept cell names."""
    lib, kept = build_compact(src, cells)
    text = _header(str(src), kept) + "\n".join(format_group(lib)) + "\n"
    files.atomic_write(out, text.encode("ascii"))
    load(out)  # the result must read back
    return kept


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m gen.eda.libcompact SRC.lib[.gz] OUT.lib``."""
    parser = argparse.ArgumentParser(
        prog="python -m gen.eda.libcompact",
        description="Write the compact sky130_fd_sc_hd liberty subset shipped with edgeforge.",
    )
    parser.add_argument("src", help="full sky130_fd_sc_hd liberty (.lib or .lib.gz)")
    parser.add_argument("out", help="output .lib")
    args = parser.parse_args(argv)
    try:
        kept = write_compact(args.src, args.out)
    except LibertyError as exc:
        print(f"libcompact: {exc}", file=sys.stderr)
        return 1
    size = Path(args.out).stat().st_size
    print(f"{args.out}: {len(kept)} cells, {size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
