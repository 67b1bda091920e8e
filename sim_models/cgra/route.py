"""Mesh router of the CGRA assembler (docs/cgra.md, "Configuration bitstream").

A *net* is one FU output ``(fu, port)`` and the input slots ``(fu, input, slot)`` it drives.
Each net is routed as a tree over the switchbox graph by Lee's maze routing (breadth-first
search): from every wire the net already owns (distance 0) and from the free outgoing wires of
the source's cell (distance 1), through free wires only, to any wire arriving at the sink's cell.
A wire is owned by one net; a net reuses its own wires for every further sink. Turns follow the
switchbox's track map (:func:`sim_models.cgra.config.tin`): on a ``disjoint`` switchbox a net
keeps its track; on a ``wilton`` switchbox it changes track at each turn.

Nets are routed widest span first; when one cannot be routed the attempt is repeated with the
failed net moved to the front (at most :data:`MAX_ATTEMPTS` attempts) before a
:class:`RouteError` naming the net is raised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from . import config as cfg
from .fabric import Fabric

__all__ = ["MAX_ATTEMPTS", "RouteError", "route"]

#: Attempts with a different net order before giving up.
MAX_ATTEMPTS = 24

_STEP = ((0, -1), (1, 0), (0, 1), (-1, 0))  # N, E, S, W; y grows to S, x to E

Net = tuple[str, int]
Sink = tuple[str, int, int]


class RouteError(ValueError):
    """A net that cannot be routed.

    Attributes
    ----------
    net : tuple of (str, int)
        The source ``(fu, port)`` of the net.
    sink : tuple of (str, int, int)
        The input slot ``(fu, input, slot)`` that could not be reached.
    """

    def __init__(self, message: str, net: Net, sink: Sink) -> None:
        super().__init__(message)
        self.net = net
        self.sink = sink


class _Failed(Exception):
    def __init__(self, net: Net, sink: Sink) -> None:
        self.net = net
        self.sink = sink


class _Mesh:
    def __init__(self, fabric: Fabric) -> None:
        net = fabric.network
        self.cols = net["cols"]
        self.rows = net["rows"]
        self.tracks = net["tracks"]
        self.switchbox = net["switchbox"]
        self.cells = {fu.name: tuple(fabric.cell_of(fu.name)) for fu in fabric.fus}
        # out_track[(s_in, s_out)][t_in] = the outgoing track fed by incoming track t_in
        self.out_track = {}
        for s_in in range(4):
            for s_out in range(4):
                if s_in == s_out:
                    continue
                table = [0] * self.tracks
                for t in range(self.tracks):
                    table[cfg.tin(self.switchbox, s_in, s_out, t, self.tracks)] = t
                self.out_track[(s_in, s_out)] = table

    def neighbour(self, x: int, y: int, side: int) -> tuple[int, int] | None:
        dx, dy = _STEP[side]
        nx, ny = x + dx, y + dy
        if 0 <= nx < self.cols and 0 <= ny < self.rows:
            return nx, ny
        return None

    def attempt(self, order: Sequence[Net], nets: Mapping[Net, Sequence[Sink]]):
        owner: dict[tuple, Net] = {}
        driver: dict[tuple, int] = {}
        slots: dict[Sink, int] = {}
        T = self.tracks
        for net in order:
            src_fu, port = net
            src = self.cells[src_fu]
            tree: list[tuple] = []
            sinks = sorted(nets[net], key=lambda s: (self.distance(src, self.cells[s[0]]), s))
            for sink in sinks:
                dest = self.cells[sink[0]]
                if dest == src:
                    slots[sink] = 4 * T + 1 + port
                    continue
                wire = self.search(net, src, dest, tree, owner)
                if wire is None:
                    raise _Failed(net, sink)
                x, y, s, t = wire
                slots[sink] = 1 + T * ((s + 2) % 4) + t
                # claim the new part of the path
                path = []
                w = wire
                while w is not None and w not in owner:
                    path.append(w)
                    w = self._prev[w]
                for w in path:
                    p = self._prev[w]
                    if p is None:
                        driver[w] = 4 + port
                    else:
                        s_in = (p[2] + 2) % 4
                        driver[w] = (s_in - w[2]) % 4
                    owner[w] = net
                    tree.append(w)
        return driver, slots

    @staticmethod
    def distance(a, b) -> int:
        return abs(a[0] - b[0]) + abs(a[1] - b[1])

    def search(self, net, src, dest, tree, owner):
        prev: dict[tuple, tuple | None] = {}
        queue = deque()
        for w in tree:
            prev[w] = w  # marks "already owned"; never walked back through
            queue.append(w)
        sx, sy = src
        for s in range(4):
            if self.neighbour(sx, sy, s) is None:
                continue
            for t in range(self.tracks):
                w = (sx, sy, s, t)
                if w not in prev and w not in owner:
                    prev[w] = None
                    queue.append(w)
        while queue:
            w = queue.popleft()
            x, y, s, t = w
            cell = self.neighbour(x, y, s)
            if cell == dest:
                self._prev = prev
                return w
            s_in = (s + 2) % 4
            for s_out in range(4):
                if s_out == s_in or self.neighbour(*cell, s_out) is None:
                    continue
                w2 = (cell[0], cell[1], s_out, self.out_track[(s_in, s_out)][t])
                if w2 in prev or w2 in owner:
                    continue
                prev[w2] = w
                queue.append(w2)
        return None


def route(fabric: Fabric, nets: Mapping[Net, Sequence[Sink]]) -> dict[str, int]:
    """Route nets through the switchboxes of a mesh fabric.

    Parameters
    ----------
    fabric : Fabric
        A fabric whose network kind is ``"mesh"``.
    nets : mapping
        ``(source fu, port)`` -> the input slots ``(sink fu, input 0|1, slot 0..3)`` it drives.

    Returns
    -------
    dict of str to int
        Every ``sb.*`` field of :func:`sim_models.cgra.config.layout` (0 where unused) and the
        ``in.<fu>.<i>.<k>`` value of every sink slot.

    Raises
    ------
    TypeError
        If ``fabric`` is not a :class:`Fabric`.
    ValueError
        If the fabric is not a mesh, a net or sink names an unknown FU, port, input or slot,
        or a slot is driven by two nets.
    RouteError
        If a net cannot be routed; the message names the net and the unreachable slot.
    """
    if not isinstance(fabric, Fabric):
        raise TypeError(f"Fabric must be a Fabric, not {type(fabric).__name__}")
    if fabric.network["kind"] != "mesh":
        raise ValueError(f"route needs a mesh fabric; {fabric.name} has a "
                         f"{fabric.network['kind']} network")
    names = {fu.name: fu for fu in fabric.fus}
    seen: dict[Sink, Net] = {}
    for net, sinks in nets.items():
        fu, port = net
        if fu not in names or port not in (0, 1):
            raise ValueError(f"Net source must be (fu, 0|1) of fabric {fabric.name}, not {net!r}")
        for sink in sinks:
            sfu, i, k = sink
            if sfu not in names or names[sfu].type == "iu" or i not in (0, 1) \
                    or k not in range(4):
                raise ValueError(f"Net sink must be (fu, 0|1, 0..3) with an FU that has inputs, "
                                 f"not {sink!r}")
            if sink in seen:
                raise ValueError(f"Slot {sink!r} is driven by two nets, {seen[sink]!r} and "
                                 f"{net!r}")
            seen[sink] = net
    mesh = _Mesh(fabric)

    def span(net):
        src = mesh.cells[net[0]]
        return -max((mesh.distance(src, mesh.cells[s[0]]) for s in nets[net]), default=0)

    order = sorted(nets, key=lambda n: (span(n), -len(nets[n]), n))
    driver = failure = None
    for _ in range(MAX_ATTEMPTS):
        try:
            driver, slots = mesh.attempt(order, nets)
            break
        except _Failed as f:
            failure = f
            if order[0] == f.net:
                break  # first in line and still unroutable
            order.remove(f.net)
            order.insert(0, f.net)
    if driver is None:
        fu, i, k = failure.sink
        raise RouteError(f"cannot route net {failure.net[0]}.out{failure.net[1]} to "
                         f"{fu}.in{i} slot {k}: no free path through the "
                         f"{mesh.switchbox} switchboxes ({mesh.tracks} tracks)",
                         failure.net, failure.sink)
    values = {f.name: 0 for f in cfg.layout(fabric) if f.name.startswith("sb.")}
    for (x, y, s, t), value in driver.items():
        values[f"sb.{x}.{y}.{cfg.SIDES[s]}.{t}"] = value
    for (fu, i, k), value in slots.items():
        values[f"in.{fu}.{i}.{k}"] = value
    return values
