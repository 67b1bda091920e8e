"""Reusable cocotb drivers and monitors of amaranth ``lib.stream`` ports.

Every handshake of the project's designs is an amaranth :mod:`amaranth.lib.stream` interface: a
port ``<name>`` appears in the Verilog as ``<name>__valid``, ``<name>__ready`` and
``<name>__payload``, and a transfer happens at a rising clock edge where both ``valid`` and
``ready`` are high. The stream rules apply to the side that offers: ``valid`` may not depend on
``ready``, and once ``valid`` is high it stays high, with the payload unchanged, until the
transfer.

The pieces here run inside a benchmark's single clocked loop instead of each in a coroutine of
its own: one coroutine per bench, one iteration per clock, is cheaper and makes the order of
every write and every draw of a random generator explicit (the gate-level energy measurements
replay these benches, so the cycle at which each word is applied must not drift). A part
(:class:`StreamSource`, :class:`StreamSink`, :class:`StreamMonitor`) has three phases, called by
:class:`Cycles`:

``drive(cycle)``
    the writable phase just after a rising edge (or before the first one): set outputs for the
    coming cycle;
``sample(cycle)``
    the :class:`~cocotb.triggers.ReadOnly` phase before the next edge: the settled values,
    which decide the transfers of the cycle;
``commit(cycle)``
    just after that edge, when the transfers sampled have happened (still a writable phase:
    what is written here and in the next ``drive`` lands in the same time step).

Writes go through cocotb's scheduled writes (the last write to a signal in a time step wins), so
a part that drops ``valid`` in ``commit`` and raises it again in the next ``drive`` leaves the
signal high, without a glitch. A part writes a signal only when the value it wants differs from
the one it wrote last; a signal owned by a part must not be written by anyone else.

A bench loop::

    start_clock(dut)
    source, sink = StreamSource(dut, "i_stream"), StreamSink(dut, "o_stream", ready=[1, 0])
    source.init()
    sink.init()
    await reset(dut)
    source.extend(words)
    cycles = Cycles(dut.clk, [source, sink])
    sink.start()
    while len(sink.payloads) < len(words):
        await cycles.step()
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

__all__ = ["PERIOD_NS", "Cycles", "StreamMonitor", "StreamPort", "StreamSink", "StreamSource",
           "reset", "start_clock"]

#: The clock period of every bench, in ns.
PERIOD_NS = 10

#: A per-cycle pattern: ``None`` (always), a sequence indexed by ``cycle % len`` (empty: always)
#: or a callable of the cycle number (called once per cycle it is consulted, in order).
Pattern = Sequence[int] | Callable[[int], object] | None


def _pattern(pattern: Pattern) -> Callable[[int], bool] | None:
    """``pattern`` as a callable of the cycle, ``None`` for "always"."""
    if pattern is None:
        return None
    if callable(pattern):
        return pattern
    seq = tuple(bool(p) for p in pattern)
    if not seq or all(seq):
        return None
    n = len(seq)
    return lambda cycle: seq[cycle % n]


def start_clock(dut, period_ns: int = PERIOD_NS, clk: str = "clk") -> None:
    """Start a free-running clock on ``dut.<clk>`` (first rising edge at time 0)."""
    cocotb.start_soon(Clock(getattr(dut, clk), period_ns, unit="ns").start())


async def reset(dut, cycles: int = 2, clk: str = "clk", rst: str = "rst") -> None:
    """Hold ``dut.<rst>`` high for ``cycles`` rising edges, then drop it.

    Returns just after the last edge, in the writable phase (``rst`` low is written there).
    """
    edge = RisingEdge(getattr(dut, clk))
    getattr(dut, rst).value = 1
    for _ in range(cycles):
        await edge
    getattr(dut, rst).value = 0


class StreamPort:
    """The three signals of the stream port ``name`` of ``dut``.

    Parameters
    ----------
    dut
        The cocotb handle of the top level.
    name
        The port name (``i_stream``, ``o_stream``, ...): signals ``<name>__valid``,
        ``<name>__ready`` and ``<name>__payload``.
    """

    def __init__(self, dut, name: str) -> None:
        self.name = name
        self.valid = getattr(dut, f"{name}__valid")
        self.ready = getattr(dut, f"{name}__ready")
        self.payload = getattr(dut, f"{name}__payload")


class Cycles:
    """Clock cycles of a bench loop: a cycle counter and the phases of its parts.

    The count starts at 0 at construction (or :meth:`restart`), in the writable phase just
    after a rising edge: cycle ``c`` then ends at the edge at ``start_ns + (c + 1) * period``.

    Parameters
    ----------
    clk
        The clock signal.
    parts
        Objects with ``drive(cycle)``, ``sample(cycle)`` and ``commit(cycle)`` methods,
        called in this order in each phase (so their writes and random draws happen in it).
    """

    def __init__(self, clk, parts: Iterable = ()) -> None:
        self.clk = clk
        self.parts = list(parts)
        self._edge = RisingEdge(clk)
        self._settled = ReadOnly()
        self.cycle = 0
        self.start_ns = get_sim_time(unit="ns")

    def restart(self) -> None:
        """Count from 0 again, from now (call in the writable phase after an edge)."""
        self.cycle = 0
        self.start_ns = get_sim_time(unit="ns")

    def now(self) -> tuple[float, int]:
        """The simulation time in ns and the current cycle."""
        return get_sim_time(unit="ns"), self.cycle

    async def settle(self) -> None:
        """Drive every part, wait for the values before the next edge, sample every part."""
        cycle = self.cycle
        for part in self.parts:
            part.drive(cycle)
        await self._settled
        for part in self.parts:
            part.sample(cycle)

    async def tick(self) -> None:
        """Wait for the rising edge that ends the cycle, commit every part, count the cycle."""
        await self._edge
        cycle = self.cycle
        for part in self.parts:
            part.commit(cycle)
        self.cycle = cycle + 1

    async def step(self) -> None:
        """One whole cycle: :meth:`settle`, then :meth:`tick`."""
        await self.settle()
        await self.tick()


class StreamSource:
    """Drive words from a queue onto a stream port, one transfer per word.

    The head of the queue is offered (``valid`` high, payload the word) until the sink takes it;
    then it leaves the queue and the next word may be offered in the very next cycle. When the
    queue runs empty, ``valid`` drops in the commit phase of the last transfer; the payload keeps
    the last word.

    Parameters
    ----------
    dut
        The cocotb handle of the top level.
    name
        The stream port driven (``<name>__valid`` and ``<name>__payload``; ``<name>__ready``
        is read).
    valid
        When a word waiting at the head may be offered (:data:`Pattern`), consulted in
        ``drive`` only while nothing is offered and the queue is not empty; once offered, a word
        stays offered until taken (the stream rule). ``None``: at once.
    early_payload
        During the cycles the pattern holds a waiting word back, already show it on the payload
        (``valid`` low); by default the payload keeps the last word offered.

    Attributes
    ----------
    queue : collections.deque
        The words not transferred yet, head first.
    accepted : list of int
        The cycle of every transfer (the cycle numbers given by :class:`Cycles`).
    sent : int
        Transfers so far.
    offering : bool
        ``valid`` is high this cycle.
    """

    def __init__(self, dut, name: str, *, valid: Pattern = None,
                 early_payload: bool = False) -> None:
        self.port = StreamPort(dut, name)
        self.queue: deque[int] = deque()
        self.accepted: list[int] = []
        self.sent = 0
        self.offering = False
        self._want = _pattern(valid)
        self._early = early_payload
        self._taken = False
        self._valid: int | None = None  # values written last
        self._payload: int | None = None

    def put(self, word: int) -> None:
        """Queue one word."""
        self.queue.append(word)

    def extend(self, words: Iterable[int]) -> None:
        """Queue words in order."""
        self.queue.extend(words)

    @property
    def idle(self) -> bool:
        """Every queued word has been transferred."""
        return not self.queue

    def clear(self) -> None:
        """Drop ``valid`` and forget the words not transferred (the end of a run)."""
        self.queue.clear()
        self.offering = self._taken = False
        self._set_valid(0)

    def init(self, payload: int = 0) -> None:
        """Write ``valid`` low and ``payload`` (before reset)."""
        self._set_valid(0)
        self._set_payload(payload)

    def _set_valid(self, value: int) -> None:
        if value != self._valid:
            self.port.valid.value = self._valid = value

    def _set_payload(self, word: int) -> None:
        if word != self._payload:
            self.port.payload.value = self._payload = word

    def drive(self, cycle: int) -> None:
        """Offer the head of the queue if it is (or may now be) offered."""
        queue = self.queue
        if not queue:
            self._set_valid(0)
            return
        if not self.offering and (self._want is None or self._want(cycle)):
            self.offering = True
        if self.offering or self._early:
            self._set_payload(queue[0])
        self._set_valid(int(self.offering))

    def sample(self, cycle: int) -> None:
        """Note whether the sink takes the word offered."""
        self._taken = self.offering and bool(int(self.port.ready.value))

    def commit(self, cycle: int) -> None:
        """Retire the word transferred at this edge; drop ``valid`` if nothing is left."""
        if self._taken:
            self._taken = self.offering = False
            self.queue.popleft()
            self.sent += 1
            self.accepted.append(cycle)
            if not self.queue:
                self._set_valid(0)


class StreamMonitor:
    """Passively record the transfers of a stream port and check the offering side.

    Parameters
    ----------
    dut
        The cocotb handle of the top level.
    name
        The stream port watched (nothing is written).

    Attributes
    ----------
    transfers : list of (int, int)
        ``(cycle, payload)`` of every transfer.
    violations : list of str
        Breaches of the stream rules by the offering side (``valid`` dropped or payload changed
        before the transfer) and payloads holding X/Z while offered, as
        ``"cycle <c>: <name> ..."``.
    fired : bool
        A transfer happened in the cycle sampled last.
    unknown : bool
        The payload offered in the cycle sampled last held X/Z (nothing else was checked).
    """

    def __init__(self, dut, name: str) -> None:
        self.port = StreamPort(dut, name)
        self.transfers: list[tuple[int, int]] = []
        self.violations: list[str] = []
        self.fired = False
        self.unknown = False
        self._held: int | None = None

    @property
    def payloads(self) -> list[int]:
        """The payload of every transfer."""
        return [p for _, p in self.transfers]

    @property
    def cycles(self) -> list[int]:
        """The cycle of every transfer."""
        return [c for c, _ in self.transfers]

    def forget(self) -> None:
        """Forget an offer seen before (e.g. across a pause of the sink)."""
        self._held = None

    def drive(self, cycle: int) -> None:
        """Nothing: a monitor writes no signal."""

    def sample(self, cycle: int, ready: int | None = None) -> None:
        """Look at the settled port; ``ready`` given by a sink that drives it."""
        self.fired = self.unknown = False
        port = self.port
        if not int(port.valid.value):
            if self._held is not None:
                self.violations.append(f"cycle {cycle}: {port.name} dropped valid before the "
                                       "transfer")
                self._held = None
            return
        try:
            payload = int(port.payload.value)
        except ValueError:
            self.violations.append(f"cycle {cycle}: {port.name} payload holds X/Z: "
                                   f"{port.payload.value}")
            self.unknown = True
            return
        if self._held is not None and payload != self._held:
            self.violations.append(f"cycle {cycle}: {port.name} changed its payload before the "
                                   "transfer")
        if ready is None:
            ready_value = port.ready.value
            ready = int(ready_value) if ready_value.is_resolvable else 0
        if ready:
            self.transfers.append((cycle, payload))
            self.fired = True
            self._held = None
        else:
            self._held = payload

    def commit(self, cycle: int) -> None:
        """Nothing: the transfers were recorded when sampled."""

    async def offers(self, clk, cycles: int) -> list[int]:
        """Watch ``cycles`` more clock cycles; return those (0, 1, ...) with ``valid`` high."""
        seen = []
        for n in range(cycles):
            await ReadOnly()
            if int(self.port.valid.value):
                seen.append(n)
            await RisingEdge(clk)
        return seen


class StreamSink:
    """Drive ``ready`` of a stream port and collect what is transferred.

    Inactive until :meth:`start` (``ready`` as last written, nothing sampled); while active,
    ``ready`` follows the pattern every cycle and a :class:`StreamMonitor` records the
    transfers and checks the offering side.

    Parameters
    ----------
    dut
        The cocotb handle of the top level.
    name
        The stream port (``<name>__ready`` is written).
    ready
        ``ready`` per cycle (:data:`Pattern`), consulted exactly once in every active
        ``drive``; ``None``: always high.

    Attributes
    ----------
    monitor : StreamMonitor
        The transfers and violations seen.
    """

    def __init__(self, dut, name: str, *, ready: Pattern = None) -> None:
        self.monitor = StreamMonitor(dut, name)
        self.port = self.monitor.port
        self.active = False
        self._pattern = _pattern(ready)
        self._level = 0
        self._ready: int | None = None  # value written last

    @property
    def count(self) -> int:
        """The number of transfers."""
        return len(self.monitor.transfers)

    @property
    def payloads(self) -> list[int]:
        """The payload of every transfer."""
        return self.monitor.payloads

    @property
    def cycles(self) -> list[int]:
        """The cycle of every transfer."""
        return self.monitor.cycles

    def _set(self, value: int) -> None:
        if value != self._ready:
            self.port.ready.value = self._ready = value

    def init(self) -> None:
        """Write ``ready`` low (before reset)."""
        self._set(0)

    def start(self) -> None:
        """Become active from the next ``drive``."""
        self.active = True

    def stop(self) -> None:
        """Drop ``ready`` and stop sampling."""
        self.active = False
        self.monitor.forget()
        self._set(0)

    def drive(self, cycle: int) -> None:
        """Set ``ready`` for the cycle."""
        if self.active:
            pattern = self._pattern
            self._level = level = 1 if pattern is None else int(bool(pattern(cycle)))
            self._set(level)

    def sample(self, cycle: int) -> None:
        """Record a transfer, check the offer."""
        if self.active:
            self.monitor.sample(cycle, self._level)

    def commit(self, cycle: int) -> None:
        """Nothing: the transfers were recorded when sampled."""
