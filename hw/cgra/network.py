"""The CGRA's networks: FU input slot multiplexers, mesh switchboxes and the control network.

All three are purely combinational and steered by fields of the configuration register
(docs/cgra.md, "Configuration bitstream"):

* :class:`SlotMux` -- one FU input: the instruction's ``sel`` picks one of 4 slots, the slot's
  configuration value picks the source (0 = unconnected, reads 0). In a crossbar the sources
  are every FU output (value ``1 + 2*f + p``); in a mesh they are the ``4*T`` wires entering
  the FU's cell (``1 + T*s + t``) and the FU's own two outputs (``4*T + 1 + p``).
* :class:`Switchbox` -- one mesh cell: every outgoing wire (side ``s``, track ``t``) is driven
  by nothing, by an incoming wire of another side (at track :func:`tin`) or by the cell FU's
  ``out0`` / ``out1``.
* :class:`ControlMux` -- the control network: an FU's instruction word from one of the IDs of
  its type.
"""

from amaranth.hdl import Module, Mux
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ..approx._common import check_bool, check_choice, check_int

__all__ = ["SIDES", "SWITCHBOXES", "ControlMux", "SlotMux", "Switchbox", "tin"]

#: Sides of a mesh cell, in configuration order (``y`` grows to S, ``x`` to E).
SIDES = ("N", "E", "S", "W")

#: Switchbox track maps.
SWITCHBOXES = ("disjoint", "wilton")

#: Input slots per FU input.
SLOTS = 4

#: Width of a switchbox configuration field.
SB_BITS = 3


def tin(switchbox, in_side, out_side, t, tracks):
    """Track of the incoming wire on ``in_side`` that may drive track ``t`` of ``out_side``.

    ``"disjoint"``: ``t``. ``"wilton"``: ``t`` straight through (opposite sides);
    ``(t + 1) % tracks`` for a turn with ``(out_side - in_side) % 4 == 1``; ``tracks - 1 - t``
    for a turn with ``(out_side - in_side) % 4 == 3`` (docs/cgra.md).

    Parameters
    ----------
    switchbox : :class:`str`
        ``"disjoint"`` or ``"wilton"``.
    in_side, out_side : :class:`int`
        Sides (index into :data:`SIDES`), different.
    t : :class:`int`
        Outgoing track, ``0`` to ``tracks - 1``.
    tracks : :class:`int`
        Tracks per side and direction.

    Returns
    -------
    :class:`int`
    """
    turn = (out_side - in_side) % 4
    if switchbox == "disjoint" or turn == 2:
        return t
    if turn == 1:
        return (t + 1) % tracks
    return tracks - 1 - t


class SlotMux(wiring.Component):
    """One FU input: 4 configured slots, one chosen per cycle by the instruction.

    ``value = 0`` when ``slots[sel]`` is 0 or greater than ``n_sources``, else
    ``sources[slots[sel] - 1]``. Combinational.

    Parameters
    ----------
    width : :class:`int`
        Data width, 1 to 64.
    n_sources : :class:`int`
        Number of sources, 1 to 1024.

    Members
    -------
    sources : :py:`In(data.ArrayLayout(width, n_sources))`
        Candidate values.
    slots : :py:`In(data.ArrayLayout(ceil_log2(n_sources + 1), 4))`
        Configuration of the 4 slots.
    sel : :py:`In(2)`
        The instruction's slot choice.
    value : :py:`Out(width)`
        Selected value.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid.
    """

    def __init__(self, width, n_sources):
        check_int("Width", width, 1, 64)
        check_int("Sources", n_sources, 1, 1024)
        self._width, self._n = width, n_sources
        self._cfg_bits = ceil_log2(n_sources + 1)
        super().__init__({
            "sources": In(data.ArrayLayout(width, n_sources)),
            "slots": In(data.ArrayLayout(self._cfg_bits, SLOTS)),
            "sel": In(2),
            "value": Out(width),
        })

    width = property(lambda self: self._width, doc="Data width.")
    n_sources = property(lambda self: self._n, doc="Number of sources.")
    cfg_bits = property(lambda self: self._cfg_bits, doc="Width of one slot's configuration.")

    def elaborate(self, platform):
        m = Module()
        index = self.slots[self.sel]
        with m.Switch(index):
            for v in range(1, self._n + 1):
                with m.Case(v):
                    m.d.comb += self.value.eq(self.sources[v - 1])
        return m


class Switchbox(wiring.Component):
    """Switchbox of one mesh cell.

    Wires are indexed ``T * s + t`` (side ``s`` in :data:`SIDES` order, track ``t``). For every
    side whose neighbour exists (``sides[s]``) and every track, the 3-bit configuration
    ``cfg[T*s + t]`` selects the driver of outgoing wire ``(s, t)``: 0 = none (0); 1 to 3 = the
    incoming wire from side ``(s + v) % 4`` at track :func:`tin` ``(kind, (s + v) % 4, s, t)``
    (0 when that side has no neighbour); 4 / 5 = the cell FU's ``out0`` / ``out1`` (0 in an
    empty cell); 6 and 7 = none. Outgoing wires of sides without a neighbour are 0, their
    configuration is ignored. Combinational.

    A configuration that closes a loop of wires is not allowed (the loop is a combinational
    loop in hardware; the golden model reads 0 there).

    Parameters
    ----------
    width : :class:`int`
        Data width, 1 to 64.
    tracks : :class:`int`
        Tracks per side and direction, 1 to 8.
    kind : :class:`str`
        ``"disjoint"`` or ``"wilton"``.
    sides : :class:`tuple` of 4 :class:`bool`
        Whether the neighbour on side N, E, S, W exists.
    has_fu : :class:`bool`
        Whether the cell holds an FU.

    Members
    -------
    wire_in : :py:`In(data.ArrayLayout(width, 4 * tracks))`
        Incoming wires.
    fu_out : :py:`In(data.ArrayLayout(width, 2))`
        The cell FU's ``out0``, ``out1``.
    cfg : :py:`In(data.ArrayLayout(3, 4 * tracks))`
        Driver of every outgoing wire.
    wire_out : :py:`Out(data.ArrayLayout(width, 4 * tracks))`
        Outgoing wires.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid.
    """

    def __init__(self, width, tracks, kind, sides, has_fu):
        check_int("Width", width, 1, 64)
        check_int("Tracks", tracks, 1, 8)
        check_choice("Switchbox", kind, SWITCHBOXES)
        if (not isinstance(sides, tuple) or len(sides) != 4
                or not all(isinstance(s, bool) for s in sides)):
            raise TypeError(f"Sides must be a tuple of 4 bools, not {sides!r}")
        check_bool("Has FU", has_fu)
        self._width, self._tracks, self._kind = width, tracks, kind
        self._sides, self._has_fu = sides, has_fu
        n = 4 * tracks
        super().__init__({
            "wire_in": In(data.ArrayLayout(width, n)),
            "fu_out": In(data.ArrayLayout(width, 2)),
            "cfg": In(data.ArrayLayout(SB_BITS, n)),
            "wire_out": Out(data.ArrayLayout(width, n)),
        })

    tracks = property(lambda self: self._tracks, doc="Tracks per side and direction.")
    kind = property(lambda self: self._kind, doc='"disjoint" or "wilton".')
    sides = property(lambda self: self._sides, doc="Neighbours present on N, E, S, W.")
    has_fu = property(lambda self: self._has_fu, doc="The cell holds an FU.")

    def elaborate(self, platform):
        m = Module()
        T = self._tracks
        for s in range(4):
            if not self._sides[s]:
                continue
            for t in range(T):
                # a mux written as an expression, not with m.Switch: a process would drive
                # only the wires of sides with a neighbour, Yosys would write the others' 0 as
                # an `always @*` block that reads nothing, which event-driven simulators never
                # run (the wires stay x)
                cfg, out = self.cfg[T * s + t], 0
                for v in (1, 2, 3):
                    side = (s + v) % 4
                    if self._sides[side]:
                        track = tin(self._kind, side, s, t, T)
                        out = Mux(cfg == v, self.wire_in[T * side + track], out)
                if self._has_fu:
                    for p in (0, 1):
                        out = Mux(cfg == 4 + p, self.fu_out[p], out)
                m.d.comb += self.wire_out[T * s + t].eq(out)
        return m


class ControlMux(wiring.Component):
    """Control network of one FU: the instruction of ID ``sel`` among ``n`` IDs of its type.

    ``instr = instrs[sel]``, or 0 (nop) when ``sel >= n``. Combinational.

    Parameters
    ----------
    width : :class:`int`
        Instruction width, 1 to 64.
    n : :class:`int`
        Number of IDs of the FU's type, 1 to 1024.

    Members
    -------
    instrs : :py:`In(data.ArrayLayout(width, n))`
        Instruction registers of the IDs.
    sel : :py:`In(ceil_log2(n))`
        The ``ctrl.<fu>`` configuration field (absent, 0 bits, for ``n = 1``).
    instr : :py:`Out(width)`
        The FU's instruction.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid.
    """

    def __init__(self, width, n):
        check_int("Width", width, 1, 64)
        check_int("IDs", n, 1, 1024)
        self._n = n
        super().__init__({
            "instrs": In(data.ArrayLayout(width, n)),
            "sel": In(ceil_log2(n)),
            "instr": Out(width),
        })

    n = property(lambda self: self._n, doc="Number of IDs of the FU's type.")

    def elaborate(self, platform):
        m = Module()
        if self._n == 1:
            m.d.comb += self.instr.eq(self.instrs[0])
            return m
        with m.Switch(self.sel):
            for v in range(self._n):
                with m.Case(v):
                    m.d.comb += self.instr.eq(self.instrs[v])
        return m
