"""Configuration bitstream of the CGRA: layout, encoder, decoder, slot tracing (docs/cgra.md,
"Configuration bitstream"). This module is the single source of truth of the layout.

The bitstream is one flat bit vector (a Python ``int``, bit ``i`` at offset ``i``). Fields,
in this order, offsets from 0, value LSB at the lowest offset, width-0 fields omitted:

1. ``ctrl.<fu>`` per FU in listing order: index of the driving ID among the IDs of the FU's
   type (listing order), ``clog2(number of such IDs)`` bits;
2. ``in.<fu>.<i>.<k>`` per FU in listing order except IUs, input ``i`` = 0 then 1, slot
   ``k`` = 0..3: the slot's source. Crossbar: 0 = unconnected, ``1 + 2*f + p`` = output ``p``
   of FU ``f``, ``clog2(2*nFU + 1)`` bits. Mesh (``T`` tracks): 0 = unconnected,
   ``1 + T*s + t`` = the incoming wire on side ``s`` (N=0, E=1, S=2, W=3), track ``t``, of the
   FU's cell; ``4*T + 1 + p`` = the FU's own output ``p``; ``clog2(4*T + 3)`` bits;
3. mesh only, ``sb.<x>.<y>.<side>.<t>`` per cell row-major (``y`` outer), side N, E, S, W
   (written as the letter), track 0..T-1, only where the neighbour cell exists, 3 bits: the
   driver of that outgoing wire: 0 = none, 1..3 = the incoming wire from side
   ``(side + v) % 4`` at track :func:`tin`, 4 / 5 = the cell FU's ``out0`` / ``out1``.

Side ``s`` of cell ``(x, y)`` faces N ``(x, y-1)``, E ``(x+1, y)``, S ``(x, y+1)``, W
``(x-1, y)``; an outgoing wire on side ``s`` arrives at that neighbour as its incoming wire on
side ``(s + 2) % 4``, same track.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .._checks import check_choice, check_int
from .fabric import SWITCHBOXES, Fabric

__all__ = [
    "SIDES",
    "Field",
    "check_values",
    "decode",
    "encode",
    "layout",
    "length",
    "neighbour",
    "scan_bits",
    "slot_width",
    "sources",
    "tin",
]

SIDES = ("N", "E", "S", "W")
#: Cell offset ``(dx, dy)`` of the neighbour on each side.
_STEP = ((0, -1), (1, 0), (0, 1), (-1, 0))
SLOTS = 4


class Field(NamedTuple):
    """One configuration field: ``name``, bit ``offset`` of its LSB, ``width`` in bits."""

    name: str
    offset: int
    width: int


def clog2(n: int) -> int:
    """Bits needed to hold ``0 .. n-1`` (0 for ``n <= 1``)."""
    return max(0, (n - 1).bit_length())


def _check_fabric(fabric: object) -> Fabric:
    if not isinstance(fabric, Fabric):
        raise TypeError(f"Fabric must be a sim_models.cgra.fabric.Fabric, not {fabric!r}")
    return fabric


def slot_width(fabric: Fabric) -> int:
    """Width of an ``in.*`` slot field: ``clog2(2*nFU + 1)`` (crossbar) or ``clog2(4*T + 3)``
    (mesh)."""
    _check_fabric(fabric)
    if fabric.kind == "crossbar":
        return clog2(2 * len(fabric.fus) + 1)
    return clog2(4 * fabric.network["tracks"] + 3)


def neighbour(fabric: Fabric, x: int, y: int, side: int) -> tuple[int, int] | None:
    """The mesh cell on side ``side`` (0..3 = N, E, S, W) of cell ``(x, y)``, None at the
    edge."""
    dx, dy = _STEP[side]
    nx, ny = x + dx, y + dy
    if 0 <= nx < fabric.network["cols"] and 0 <= ny < fabric.network["rows"]:
        return nx, ny
    return None


def _layout_with_max(fabric: Fabric) -> list[tuple[Field, int]]:
    """The layout with each field's largest legal value."""
    _check_fabric(fabric)
    out: list[tuple[str, int, int]] = []
    for fu in fabric.fus:
        n = len(fabric.ids_of_type(fu.type))
        out.append((f"ctrl.{fu.name}", clog2(n), n - 1))
    sw = slot_width(fabric)
    if fabric.kind == "crossbar":
        slot_max = 2 * len(fabric.fus)
    else:
        slot_max = 4 * fabric.network["tracks"] + 2
    for fu in fabric.fus:
        if fu.type == "iu":
            continue
        for i in (0, 1):
            for k in range(SLOTS):
                out.append((f"in.{fu.name}.{i}.{k}", sw, slot_max))
    if fabric.kind == "mesh":
        net = fabric.network
        for y in range(net["rows"]):
            for x in range(net["cols"]):
                top = 5 if fabric.fu_at(x, y) is not None else 3
                for s, side in enumerate(SIDES):
                    if neighbour(fabric, x, y, s) is None:
                        continue
                    for t in range(net["tracks"]):
                        out.append((f"sb.{x}.{y}.{side}.{t}", 3, top))
    fields = []
    offset = 0
    for name, w, top in out:
        if w == 0:
            continue
        fields.append((Field(name, offset, w), top))
        offset += w
    return fields


def layout(fabric: Fabric) -> list[Field]:
    """The configuration fields of ``fabric`` in bitstream order (module docstring).

    Parameters
    ----------
    fabric : Fabric
        The fabric.

    Returns
    -------
    list of Field
        Contiguous fields, the first at offset 0.
    """
    return [f for f, _ in _layout_with_max(fabric)]


def length(fabric: Fabric) -> int:
    """Length of the bitstream in bits (the scan chain's length)."""
    fields = layout(fabric)
    return fields[-1].offset + fields[-1].width if fields else 0


def check_values(fabric: Fabric, values: Mapping[str, int]) -> dict[str, int]:
    """Validate configuration values and return every field's value (missing ones 0).

    Parameters
    ----------
    fabric : Fabric
        The fabric.
    values : Mapping of str to int
        Field values by name. A missing ``ctrl.<fu>`` takes the fabric's binding (the index of
        the FU's ID among the IDs of its type), every other missing field 0. A ``ctrl.<fu>``
        of width 0 (one ID of the FU's type) may be given as 0.

    Returns
    -------
    dict of str to int
        Every field of :func:`layout` with its value.

    Raises
    ------
    TypeError
        If a value is not an integer.
    ValueError
        For an unknown field or a value out of its range: a ``ctrl`` above the number of IDs of
        the type minus 1, a slot above ``2*nFU`` (crossbar) or ``4*T + 2`` (mesh), a
        switchbox value above 5 (above 3 in an empty cell).
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"Configuration values must be a mapping of field name to int, not "
                        f"{type(values).__name__}")
    fields = _layout_with_max(fabric)
    known = {f.name: top for f, top in fields}
    zero_width = {f"ctrl.{fu.name}" for fu in fabric.fus}
    for name, value in values.items():
        if name not in known:
            if name in zero_width:
                check_int(f"Configuration field {name!r}", value, 0, 0,
                          "a single ID of this type")
                continue
            raise ValueError(f"Unknown configuration field {name!r} for fabric "
                             f"{fabric.name!r}")
        check_int(f"Configuration field {name!r}", value, 0, known[name])
    full = {f.name: int(values.get(f.name, 0)) for f, _ in fields}
    for fu in fabric.fus:
        name = f"ctrl.{fu.name}"
        if name in full and name not in values:
            full[name] = fabric.ids_of_type(fu.type).index(fabric.id_of(fu.name))
    return full


def encode(fabric: Fabric, values: Mapping[str, int]) -> int:
    """The bitstream of configuration values (a missing ``ctrl.<fu>`` takes the fabric's
    binding, every other missing field is 0).

    Raises
    ------
    TypeError, ValueError
        As :func:`check_values`.
    """
    full = check_values(fabric, values)
    bits = 0
    for f in layout(fabric):
        bits |= full[f.name] << f.offset
    return bits


def decode(fabric: Fabric, bits: int) -> dict[str, int]:
    """Every field's raw value in a bitstream (values are not range-checked; use
    :func:`check_values`).

    Raises
    ------
    TypeError
        If ``bits`` is not an integer.
    ValueError
        If ``bits`` is negative or longer than :func:`length`.
    """
    n = length(fabric)
    bits = _check_bits(bits, n)
    return {f.name: (bits >> f.offset) & ((1 << f.width) - 1) for f in layout(fabric)}


def _check_bits(bits: object, n: int) -> int:
    message = f"Configuration bits must be an integer between 0 and 2**{n} - 1, not {bits!r}"
    if isinstance(bits, (bool, np.bool_)) or not isinstance(bits, numbers.Integral):
        raise TypeError(message)
    bits = int(bits)
    if not 0 <= bits < (1 << n):
        raise ValueError(message)
    return bits


def scan_bits(fabric: Fabric, bits: int) -> list[int]:
    """The bits in scan-chain shift order: bit 0 (offset 0) first, :func:`length` bits."""
    n = length(fabric)
    bits = _check_bits(bits, n)
    return [(bits >> i) & 1 for i in range(n)]


def _side(name: str, side: object) -> int:
    if isinstance(side, str):
        if side in SIDES:
            return SIDES.index(side)
        raise ValueError(f"{name} must be 0..3 or one of N, E, S, W, not {side!r}")
    return check_int(name, side, 0, 3)


def tin(switchbox: str, in_side: int | str, out_side: int | str, t: int, tracks: int) -> int:
    """Incoming track that feeds outgoing track ``t`` of side ``out_side`` from side
    ``in_side``.

    ``disjoint``: ``t``. ``wilton``: ``t`` straight through; ``(t + 1) % tracks`` for a turn
    with ``(out_side - in_side) % 4 == 1``; ``tracks - 1 - t`` with ``== 3``.

    Parameters
    ----------
    switchbox : {"disjoint", "wilton"}
        Switchbox kind.
    in_side, out_side : int or str
        Sides 0..3 (or ``"N"``, ``"E"``, ``"S"``, ``"W"``); they must differ.
    t : int
        Outgoing track, ``0 .. tracks - 1``.
    tracks : int
        Tracks per side and direction, 1 to 8.

    Returns
    -------
    int
        The incoming track.

    Raises
    ------
    TypeError, ValueError
        For an invalid parameter or equal sides.
    """
    check_choice("Switchbox", switchbox, SWITCHBOXES)
    a = _side("In side", in_side)
    b = _side("Out side", out_side)
    tracks = check_int("Tracks", tracks, 1, 8)
    t = check_int("Track", t, 0, tracks - 1, "tracks - 1")
    turn = (b - a) % 4
    if turn == 0:
        raise ValueError(f"In side and out side must differ, both are {SIDES[a]}")
    if switchbox == "disjoint" or turn == 2:
        return t
    if turn == 1:
        return (t + 1) % tracks
    return tracks - 1 - t


def sources(fabric: Fabric, values: Mapping[str, int]
            ) -> dict[tuple[str, int, int], tuple[str, int] | None]:
    """Trace every input slot to the FU output that drives it.

    Parameters
    ----------
    fabric : Fabric
        The fabric.
    values : Mapping of str to int
        Configuration values (missing ones 0), e.g. :func:`decode` of a bitstream.

    Returns
    -------
    dict
        ``(fu, input, slot) -> (driving fu, port)``, or None for an unconnected slot, an
        undriven wire, a wire beyond the mesh edge or a loop of switchboxes (which read 0).
        Every non-IU FU, inputs 0 and 1, slots 0..3.

    Raises
    ------
    TypeError, ValueError
        As :func:`check_values`.
    """
    full = check_values(fabric, values)
    out: dict[tuple[str, int, int], tuple[str, int] | None] = {}
    names = [fu.name for fu in fabric.fus]
    mesh = fabric.kind == "mesh"
    tracks = fabric.network.get("tracks", 0)
    for fu in fabric.fus:
        if fu.type == "iu":
            continue
        for i in (0, 1):
            for k in range(SLOTS):
                v = full[f"in.{fu.name}.{i}.{k}"]
                if v == 0:
                    src = None
                elif not mesh:
                    src = (names[(v - 1) // 2], (v - 1) % 2)
                elif v > 4 * tracks:
                    src = (fu.name, v - 4 * tracks - 1)
                else:
                    s, t = divmod(v - 1, tracks)
                    x, y = fu.at
                    src = _wire_in(fabric, full, x, y, s, t, set())
                out[(fu.name, i, k)] = src
    return out


def _wire_in(fabric, full, x, y, s, t, seen) -> tuple[str, int] | None:
    """Driver of the incoming wire on side ``s``, track ``t`` of cell ``(x, y)``."""
    cell = neighbour(fabric, x, y, s)
    if cell is None:
        return None
    return _wire_out(fabric, full, cell[0], cell[1], (s + 2) % 4, t, seen)


def _wire_out(fabric, full, x, y, s, t, seen) -> tuple[str, int] | None:
    """Driver of the outgoing wire on side ``s``, track ``t`` of cell ``(x, y)``."""
    key = (x, y, s, t)
    if key in seen:
        return None  # a loop of switchboxes drives nothing
    seen.add(key)
    v = full[f"sb.{x}.{y}.{SIDES[s]}.{t}"]
    if v == 0:
        return None
    if v >= 4:
        fu = fabric.fu_at(x, y)
        return None if fu is None else (fu.name, v - 4)
    in_side = (s + v) % 4
    net = fabric.network
    return _wire_in(fabric, full, x, y, in_side,
                    tin(net["switchbox"], in_side, s, t, net["tracks"]), seen)
