"""One Verilog module, emitted once, instantiated many times.

Amaranth elaborates every component object on its own and emits every submodule as a module of
its own (``top.ocu0``, ``top.ocu1``, ...), even when they are identical. :class:`SharedModule`
converts one component once, under a chosen module name, and hands out
:class:`~amaranth.hdl.Instance` cells of that module whose ports follow the component's
signature, so that the instantiating design converts in the time of one copy and its Verilog
holds one module body.

The module is kept as RTLIL (:attr:`SharedModule.rtlil`): the instantiating design passes it to
:func:`hw.verilog.convert`, which writes the design and its shared modules in one Yosys run (one
``top`` attribute, on the instantiating design).

Amaranth's simulator does not simulate instances -- it leaves their outputs at their initial
values, silently -- so a design built this way is verified on its Verilog (cocotb), and its
Amaranth-simulated twin uses ordinary submodules.
"""

import re
from types import SimpleNamespace

from amaranth.hdl import ClockSignal, Instance, ResetSignal, Shape, ShapeCastable, Signal
from amaranth.lib import data
from amaranth.lib.wiring import In

from .. import verilog as _verilog

__all__ = ["SharedModule"]


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
    rtlil : :class:`str`
        RTLIL of the module and its submodules (no source locations), for
        :func:`hw.verilog.convert`.
    ports : :class:`tuple` of :class:`str`
        Port names of the module, in port order: each signature member's
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
        self.rtlil = _verilog.to_rtlil(component, name)
        self.ports = _verilog.rtlil_ports(self.rtlil, name)
        self._verilog = None

    @property
    def name(self):
        """Verilog module name."""
        return self._name

    @property
    def verilog(self):
        """Verilog of the module and its submodules on their own (:func:`hw.verilog.convert`;
        the module carries the ``top`` attribute)."""
        if self._verilog is None:
            self._verilog = _verilog.convert_rtlil([self.rtlil], self._name)
        return self._verilog

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
            Attributes named after the signature's members (nested for sub-signatures, such
            as ``i_stream.payload``, each level with its ``signature``, so
            :func:`~amaranth.lib.wiring.connect` accepts it), each port a plain
            :class:`~amaranth.hdl.Signal` of the member's width, seen through its layout
            (:class:`~amaranth.lib.data.View`) when the member has one, so fields read and
            assign as on the component. Plain signals keep the instantiating design's Verilog
            free of one debug wire per layout field per instance (82,944 of them for 96 OCUs
            of 96 x 3 x 3 trits).
        """
        prefix = name or self._name
        interface = SimpleNamespace(signature=self._signature)
        ports = {}
        # paths and flows (as seen from outside) of the port members; the throwaway interface
        # is not used in the design, so none of its signals is emitted
        template = self._signature.create(path=(prefix,))
        for path, member, _ in self._signature.flatten(template):
            port = "__".join(str(part) for part in path)
            if port not in self.ports:  # pragma: no cover - Amaranth keeps every member
                raise ValueError(f"Port {port} missing from module {self._name}")
            shape = member.shape
            plain = Signal(Shape.cast(shape).width, name=f"{prefix}__{port}")
            if isinstance(shape, data.Layout):
                value = data.View(shape, plain)
            elif isinstance(shape, ShapeCastable):
                value = shape(plain)
            else:
                value = plain
            node, like = interface, template
            for part in path[:-1]:
                like = getattr(like, str(part))
                if not hasattr(node, str(part)):
                    setattr(node, str(part), SimpleNamespace(signature=like.signature))
                node = getattr(node, str(part))
            setattr(node, str(path[-1]), value)
            ports[("i_" if member.flow == In else "o_") + port] = plain
        if "clk" in self.ports:
            ports["i_clk"] = ClockSignal(domain)
        if "rst" in self.ports:
            ports["i_rst"] = ResetSignal(domain)
        return Instance(self._name, **ports), interface
