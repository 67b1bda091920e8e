"""verif.stream's source, sink and monitor against a small amaranth stream FIFO under Icarus.

The FIFO (``SyncFIFOBuffered``, depth 3, 8-bit payloads) is a ``lib.stream`` sink on
``i_stream`` and a source on ``o_stream``, so the same classes drive and collect both sides.
The functions decorated with ``@cocotb.test()`` run inside the simulator (this module is the
cocotb test module); the pytest test below builds the FIFO and runs them.
"""

from __future__ import annotations

import random
import shutil

import cocotb
import pytest
from cocotb.triggers import ReadOnly, RisingEdge

from verif.stream import Cycles, StreamMonitor, StreamSink, StreamSource, reset, start_clock

WORDS = [(7 * n + 3) & 0xFF for n in range(40)]
VALID = [1, 0, 1, 1, 0, 0, 1]
READY = [1, 1, 0, 0, 1, 0, 1, 1, 1]


class _Bus:
    """A part that records what the source side shows each cycle: (valid, ready, payload)."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.seen: list[tuple[int, int, int]] = []

    def drive(self, cycle: int) -> None:
        pass

    def sample(self, cycle: int) -> None:
        d = self.dut
        self.seen.append((int(d.i_stream__valid.value), int(d.i_stream__ready.value),
                          int(d.i_stream__payload.value)))

    def commit(self, cycle: int) -> None:
        pass


async def _setup(dut, source: StreamSource, sink: StreamSink) -> None:
    start_clock(dut)
    source.init()
    sink.init()
    await reset(dut)


async def _run(dut, source, sink, *parts, limit=1000) -> Cycles:
    cycles = Cycles(dut.clk, [source, sink, *parts])
    source.extend(WORDS)
    sink.start()
    while sink.count < len(WORDS):
        assert cycles.cycle < limit, f"timeout: {sink.count} of {len(WORDS)} words out"
        await cycles.step()
    sink.stop()
    return cycles


@cocotb.test()
async def stream_patterns_roundtrip(dut):
    """Every word goes through in order, on the cycles the valid and ready patterns allow."""
    source = StreamSource(dut, "i_stream", valid=VALID)
    sink = StreamSink(dut, "o_stream", ready=READY)
    await _setup(dut, source, sink)
    monitor, bus = StreamMonitor(dut, "i_stream"), _Bus(dut)
    cycles = await _run(dut, source, sink, monitor, bus)
    assert sink.payloads == WORDS
    assert monitor.transfers == list(zip(source.accepted, WORDS, strict=True))
    assert source.sent == len(WORDS) and source.idle
    assert not monitor.violations and not sink.monitor.violations
    assert sink.cycles == sorted(set(sink.cycles))
    # ready follows its pattern; a transfer needs it
    for c in sink.cycles:
        assert READY[c % len(READY)]
    # the source: valid rises only where the pattern allows a new word, stays until the
    # transfer with the payload unchanged, and the payload keeps the last word in the gaps
    offered = False
    last = 0
    for c, (valid, ready, payload) in enumerate(bus.seen):
        if valid and not offered:
            assert VALID[c % len(VALID)], f"cycle {c}: valid raised against the pattern"
        if not valid:
            assert payload == last, f"cycle {c}: the payload changed in a gap"
        offered = bool(valid and not ready)
        if valid:
            last = payload
    assert await sink.monitor.offers(dut.clk, 4) == []
    assert cycles.cycle == len(bus.seen)


@cocotb.test()
async def stream_callable_patterns_and_early_payload(dut):
    """Random valid/ready callables, drawn once per consulted cycle; early payloads in gaps."""
    rng = random.Random(5)
    draws = {"valid": 0, "ready": 0}

    def valid(_cycle):
        draws["valid"] += 1
        return rng.random() < 0.6

    def ready(_cycle):
        draws["ready"] += 1
        return rng.random() < 0.5

    source = StreamSource(dut, "i_stream", valid=valid, early_payload=True)
    sink = StreamSink(dut, "o_stream", ready=ready)
    await _setup(dut, source, sink)
    bus = _Bus(dut)
    cycles = await _run(dut, source, sink, bus)
    assert sink.payloads == WORDS
    assert draws["ready"] == cycles.cycle  # once per active cycle
    # consulted only while a word waits and nothing is offered
    assert len(WORDS) <= draws["valid"] < cycles.cycle
    # early payload: once a word is at the head, the payload shows it even while valid is low
    for n, c in enumerate(source.accepted):
        assert bus.seen[c][0], f"cycle {c}: a transfer without valid"
        for k in range(source.accepted[n - 1] + 1 if n else 0, c + 1):
            assert bus.seen[k][2] == WORDS[n], f"cycle {k}: word {n} not on the payload"


@cocotb.test()
async def stream_monitor_flags_breaches(dut):
    """A source that drops valid or changes the payload before the transfer is reported."""
    sink = StreamSink(dut, "o_stream")
    start_clock(dut)
    dut.i_stream__valid.value = 0
    dut.i_stream__payload.value = 0
    sink.init()
    await reset(dut)
    monitor = StreamMonitor(dut, "i_stream")
    edge = RisingEdge(dut.clk)
    # fill the FIFO (o_stream.ready low) so that i_stream.ready goes low
    plan = [(1, 1), (1, 2), (1, 3), (1, 4), (1, 4), (0, 4), (1, 5), (1, 6), (0, 6)]
    for cycle, (valid, payload) in enumerate(plan):
        dut.i_stream__valid.value = valid
        dut.i_stream__payload.value = payload
        await ReadOnly()
        monitor.sample(cycle)
        await edge
    dut.i_stream__valid.value = 0
    assert monitor.payloads == [1, 2, 3]
    assert monitor.violations == [
        "cycle 5: i_stream dropped valid before the transfer",
        "cycle 7: i_stream changed its payload before the transfer",
        "cycle 8: i_stream dropped valid before the transfer",
    ]
    # the sink collects what the FIFO holds, then nothing more comes
    sink.start()
    cycles = Cycles(dut.clk, [sink])
    while sink.count < 3 and cycles.cycle < 20:
        await cycles.step()
    sink.stop()
    assert sink.payloads == [1, 2, 3] and not sink.monitor.violations
    assert await sink.monitor.offers(dut.clk, 3) == []


def _fifo_verilog() -> str:
    from amaranth.back import verilog
    from amaranth.hdl import Module
    from amaranth.lib import stream, wiring
    from amaranth.lib.fifo import SyncFIFOBuffered
    from amaranth.lib.wiring import In, Out

    class Fifo(wiring.Component):
        def __init__(self):
            super().__init__({"i_stream": In(stream.Signature(8)),
                              "o_stream": Out(stream.Signature(8))})

        def elaborate(self, platform):
            m = Module()
            m.submodules.fifo = fifo = SyncFIFOBuffered(width=8, depth=3)
            wiring.connect(m, wiring.flipped(self.i_stream), fifo.w_stream)
            wiring.connect(m, fifo.r_stream, wiring.flipped(self.o_stream))
            return m

    return verilog.convert(Fifo(), name="stream_fifo", emit_src=False)


@pytest.mark.rtl
@pytest.mark.skipif(not shutil.which("iverilog"), reason="Icarus Verilog is not installed")
def test_stream_parts_on_a_fifo(tmp_path):
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    src = tmp_path / "stream_fifo.v"
    src.write_text(_fifo_verilog())
    runner = get_runner("icarus")
    runner.build(sources=[src], hdl_toplevel="stream_fifo", build_dir=tmp_path / "build",
                 timescale=("1ns", "1ps"), log_file=tmp_path / "build.log")
    log = tmp_path / "sim.log"
    try:
        xml = runner.test(test_module="test_stream", hdl_toplevel="stream_fifo",
                          hdl_toplevel_lang="verilog", build_dir=tmp_path / "build",
                          test_dir=tmp_path, log_file=log)
    except SystemExit as err:  # the runner exits when the simulation fails
        pytest.fail(f"simulation failed ({err}):\n{log.read_text()[-4000:]}")
    assert get_results(xml) == (3, 0), log.read_text()[-4000:]
