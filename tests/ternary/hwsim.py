"""Amaranth-simulator helpers of the ternary generator tests (tests/ternary/test_*_hw.py).

tests/approx has a module of the same name on ``sys.path``, so the test files load this one by
path (``runpy.run_path``) rather than by ``import hwsim``. Expected values are computed in the
test files with plain Python; this module only drives simulations and checks stream rules.
"""

import random
import re

from amaranth.sim import Simulator


def exactly(message):
    """A ``pytest.raises(match=...)`` pattern matching ``message`` and nothing else."""
    return "^" + re.escape(message) + "$"


def pack(trits):
    """Packed code vector of a flat sequence of trit values (``-2`` is the illegal code)."""
    value = 0
    for i, trit in enumerate(trits):
        value |= (trit & 0b11) << (2 * i)
    return value


def run_comb(dut, vectors, apply, read):
    """Combinational DUT: ``apply(ctx, vector)`` then ``read(ctx)`` for every vector."""
    results = []

    async def bench(ctx):
        for vector in vectors:
            apply(ctx, vector)
            results.append(read(ctx))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return results


def as_dict(const, layout):
    """Fields of a struct-layout constant as a plain :class:`dict` of integers."""
    return {name: getattr(const, name) for name, _ in layout}


async def put(ctx, port, payload):
    """Offer ``payload`` on the stream ``port`` until it is taken (one transfer)."""
    ctx.set(port.payload, payload)
    ctx.set(port.valid, 1)
    await ctx.tick().until(port.ready)
    ctx.set(port.valid, 0)


class UnitRun:
    """One simulation of an :class:`~hw.ternary.OCU` or :class:`~hw.ternary.BinaryOCU`.

    Loads ``words`` (a list of ``k * k`` words, each a list of ``n_i`` element values, word
    ``ky * k + kx``) and ``thresholds`` (a dict) through the write streams, then offers
    ``windows`` (nested ``[ky][kx][ci]`` lists) on ``i_stream``. With ``gaps`` (probability of an
    idle cycle before a window) and ``stall`` (probability of ``o_stream.ready`` low in a cycle)
    the handshakes are exercised at random; with both 0 windows go back to back.

    While running it checks the stream rules on ``o_stream`` (an offered result stays valid and
    unchanged until taken) and that the write streams are never ready while a window is
    offered or ``busy`` is high. ``writes`` (list of (before window index, stream name,
    payload), e.g. ``(4, "w_stream", {"addr": 0, "word": [...]})``) are writes inserted between
    windows; each waits for the unit to become idle. ``pool`` (a :class:`~hw.ternary.Pooling`)
    drives the ``pool`` input of a unit built with ``pooling="select"``.

    Attributes after :meth:`run`: ``results`` (dicts of the result fields), ``in_cycles`` and
    ``out_cycles`` (cycle numbers of the window and result transfers).
    """

    def __init__(self, dut, words, thresholds, windows, *, gaps=0.0, stall=0.0, seed=0,
                 writes=(), max_cycles=20000, pool=None):
        self.dut = dut
        self.words = words
        self.thresholds = thresholds
        self.windows = windows
        self.gaps = gaps
        self.stall = stall
        self.rng = random.Random(seed)
        self.writes = list(writes)
        self.max_cycles = max_cycles
        self.pool = pool
        per_result = dut.windows_per_result
        if pool is not None:
            per_result = 1 if pool.name == "NONE" else 4
        self.expected = len(windows) // per_result
        self.results = []
        self.in_cycles = []
        self.out_cycles = []
        self.cycle = 0

    async def _producer(self, ctx):
        dut = self.dut
        if self.pool is not None:
            ctx.set(dut.pool, self.pool)
        for addr, word in enumerate(self.words):
            await put(ctx, dut.w_stream, {"addr": addr, "word": word})
        await put(ctx, dut.th_stream, self.thresholds)
        for index, window in enumerate(self.windows):
            for before, port, payload in self.writes:
                if before == index:
                    await put(ctx, getattr(dut, port), payload)
            while self.rng.random() < self.gaps:
                await ctx.tick()
            await put(ctx, dut.i_stream, window)

    async def _consumer(self, ctx):
        dut = self.dut
        layout = dut.result_layout
        held = None  # result offered but not taken at the previous edge
        while len(self.results) < self.expected:
            ready = self.rng.random() >= self.stall
            ctx.set(dut.o_stream.ready, ready)
            sampled = await ctx.tick().sample(
                dut.o_stream.valid, dut.o_stream.payload, dut.i_stream.valid,
                dut.i_stream.ready, dut.busy, dut.w_stream.ready, dut.th_stream.ready)
            # awaiting a tick yields the clock and reset values first, then the samples
            valid, payload, i_valid, i_ready, busy, w_ready, th_ready = sampled[-7:]
            self.cycle += 1
            assert self.cycle < self.max_cycles, "simulation does not finish"
            payload = as_dict(payload, layout)
            if held is not None:
                assert valid, f"cycle {self.cycle}: offered result withdrawn"
                assert payload == held, f"cycle {self.cycle}: offered result changed"
            if i_valid or busy:
                assert not w_ready and not th_ready, f"cycle {self.cycle}: write while busy"
            if i_valid and i_ready:
                self.in_cycles.append(self.cycle)
            if valid and ready:
                self.results.append(payload)
                self.out_cycles.append(self.cycle)
                held = None
            else:
                held = payload if valid else None

    def run(self):
        sim = Simulator(self.dut)
        sim.add_clock(1e-6)
        sim.add_testbench(self._producer)
        sim.add_testbench(self._consumer)
        sim.run()
        return self.results
