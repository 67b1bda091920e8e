"""Verilog of a design and the modules it instantiates, written by Yosys in one run.

:func:`amaranth.back.verilog.convert` marks the top module of every conversion
``(* top = 1 *)``. A design put together from modules converted on their own (the shared OCU of
:class:`hw.ternary.TernaryEngine`, the switchboxes of a mesh :class:`hw.cgra.CGRA`, each a
:class:`hw.ternary.SharedModule`) therefore had several, and Yosys without ``-top`` (or any tool
that honours the attribute) picked one of them. :func:`convert` takes the RTLIL of the design
and of the modules it instantiates and writes them in one Yosys run: ``hierarchy -check -top``
(every instance checked against its module, the ``top`` attribute on the requested module
only), then Amaranth's own script (``proc -nomux -norom``, ``memory_collect``,
``write_verilog -norename``). A design without shared modules comes out byte-identical to
Amaranth's ``convert(..., emit_src=False)``; the text is a function of the RTLIL only. Yosys is
the one Amaranth uses (``AMARANTH_USE_YOSYS``).

Why ``-nomux`` stays: writing the processes as multiplexer cells (a full ``proc``) would make
every combinational block a continuous assignment, but Yosys writes a ``$pmux`` of n cases as a
function with n one-hot patterns of n bits, so case tables grow quadratically (the default
ternary engine's trit decoders: 2.5 MB of Verilog became 11 MB). ``always @*`` blocks remain,
with Yosys's time-0 trigger register (works in Verilog-2005 mode; :meth:`hw.cgra.CGRA.to_verilog`
adds an ``initial #0`` for SystemVerilog mode). A block that reads nothing at all, which no
event-driven simulator ever runs, comes from a signal that a process drives only in part:
Yosys's ``proc_prune`` turns the root-level assignments of the other bits into a constant
connection, and ``write_verilog`` must write a connection to a ``reg`` as ``always @*``. The
generators avoid that pattern (:class:`hw.cgra.network.Switchbox` is written with ``Mux``), and
``tests/gen/test_ip.py`` checks every design for such blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from amaranth.back import rtlil

__all__ = ["convert", "convert_rtlil", "to_rtlil", "rtlil_ports"]

_PORT = re.compile(r"^\s*wire (?:width \d+ )?(?:upto )?(?:signed )?(input|output|inout) (\d+)\s+"
                   r"\\(\S+)\s*$", re.MULTILINE)


def to_rtlil(component, name: str) -> str:
    """RTLIL text of ``component`` as module ``name`` (its submodules ``name.<sub>``), without
    source locations."""
    return rtlil.convert(component, name=name, emit_src=False)


def rtlil_ports(text: str, name: str) -> tuple[str, ...]:
    """Port names of module ``name`` in the RTLIL ``text``, in port order.

    Raises
    ------
    ValueError
        If ``text`` has no module ``name``.
    """
    start = re.search(rf"^module \\{re.escape(name)}$", text, re.MULTILINE)
    if start is None:
        raise ValueError(f"No module {name} in the RTLIL text")
    body = text[start.end():text.index("\nend\n", start.end())]
    ports = sorted((int(index), port) for _, index, port in _PORT.findall(body))
    return tuple(port for _, port in ports)


def convert_rtlil(texts: Iterable[str], top: str) -> str:
    """Verilog of the modules in the RTLIL ``texts``, ``top`` the one with the ``top`` attribute.

    Raises
    ------
    amaranth.back.verilog.YosysError
        If Yosys rejects the design (an instance of a missing module, a port mismatch).
    """
    from amaranth._toolchain.yosys import find_yosys

    # the version bound of amaranth.back.verilog, whose Yosys this is
    yosys = find_yosys(lambda version: version >= (0, 40))
    script = [f"read_rtlil <<rtlil\n{text}\nrtlil" for text in texts]
    script += [
        f"hierarchy -check -top \\{top}",
        # from here on Amaranth's own script (amaranth.back.verilog)
        "proc -nomux -norom",
        "memory_collect",
        "write_verilog -norename",
    ]
    # as Amaranth does: Yosys always warns that not every process can be written as Verilog
    # (Amaranth emits only processes that can)
    return yosys.run(["-q", "-"], "\n".join(script), ignore_warnings=True)


def convert(component, name: str, *, modules: Iterable[str] = ()) -> str:
    """Verilog of ``component`` as module ``name`` and of the modules it instantiates (modules
    in name order, as Yosys writes them).

    Parameters
    ----------
    component : :class:`~amaranth.lib.wiring.Component`
        The design (ports from its signature).
    name : :class:`str`
        Name of the top module; the only one with the ``top`` attribute.
    modules : iterable of :class:`str`
        RTLIL text of the modules the design instantiates by name
        (:attr:`hw.ternary.SharedModule.rtlil`).
    """
    return convert_rtlil([*modules, to_rtlil(component, name)], name)
