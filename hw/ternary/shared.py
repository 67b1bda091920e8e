"""One Verilog module, emitted once, instantiated many times.

Amaranth elaborates every component object on its own and emits every submodule as a module of
its own (``top.ocu0``, ``top.ocu1``, ...), even when they are identical. :class:`SharedModule`
converts one component once, under a chosen module name, and hands out
:class:`~amaranth.hdl.Instance` cells of that module whose ports follow the component's
signature, so that the instantiating design converts in the time of one copy and its Verilog
holds one module body.

Amaranth's simulator does not simulate instances -- it leaves their outputs at their initial
values, silently -- so a design built this way is verified on its Verilog (cocotb), and its
Amaranth-simulated twin uses ordinary submodules.
"""

import re

from amaranth.back import verilog
from amaranth.hdl import ClockSignal, Instance, ResetSignal
from amaranth.lib.wiring import In

__all__ = ["SharedModule"]

_MODULE = re.compile(r"^module\s+(\S+?)\s*\(([^)]*)\);", re.MULTILINE)


class SharedModule:
    """A component converted once to the Verilog module ``name``, to be instantiated N times.

    Parameters
    ----------
    component : :class:`~amaranth.lib.wiring.Component`
        The design to emit; it is elaborated and converted here, once.
    name : :class:`str`
        Verilog module name (a plain identifier; the component's own submodules become
        ``name.<submodule>``, so the name also keeps them apart from other modules).

    Attributes
    ----------
    verilog : :class:`str`
        Verilog of the module and its submodules (``emit_src=False``).
    ports : :class:`tuple` of :class:`str`
        Port names of the module, in the order Amaranth emitted them: each signature member's
        path joined with ``__`` (``i_stream__payload``, ``i_stream__valid``, ...), plus ``clk``
        and ``rst`` when the design uses them.

    Raises
    ------
    :exc:`ValueError`
        If ``name`` is not a plain Verilog identifier.
    """

    def __init__(self, component, name):
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"Module name must be a Verilog identifier, not {name!r}")
        self._signature = component.signature
        self._name = name
        self.verilog = verilog.convert(component, name=name, emit_src=False)
        match = next(m for m in _MODULE.finditer(self.verilog) if m.group(1) == name)
        self.ports = tuple(port.strip() for port in match.group(2).split(","))

    @property
    def name(self):
        """Verilog module name."""
        return self._name

    def instance(self, *, name=None, domain="sync"):
        """A new instance of the module and the interface it is connected to.

        Parameters
        ----------
        name : :class:`str` or :py:`None`
            Prefix of the interface's signal names (``<name>__i_stream__ready``, ...); the
            module name when :py:`None`.
        domain : :class:`str`
            Clock domain whose clock and reset drive the module's ``clk`` and ``rst``.

        Returns
        -------
        instance : :class:`~amaranth.hdl.Instance`
            To be added as a submodule (under the instance name of choice).
        interface : :class:`object`
            Created from the component's signature: the same members, with the same flows, as
            the component itself, so it connects (:func:`~amaranth.lib.wiring.connect`, ``.eq``)
            exactly as the component would.
        """
        interface = self._signature.create(path=(name or self._name,))
        ports = {}
        for path, member, value in self._signature.flatten(interface):
            port = "__".join(str(part) for part in path)
            if port not in self.ports:  # pragma: no cover - Amaranth keeps every member
                raise ValueError(f"Port {port} missing from module {self._name}")
            ports[("i_" if member.flow == In else "o_") + port] = value
        if "clk" in self.ports:
            ports["i_clk"] = ClockSignal(domain)
        if "rst" in self.ports:
            ports["i_rst"] = ResetSignal(domain)
        return Instance(self._name, **ports), interface

